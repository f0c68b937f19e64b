"""What a person can do about their own data and their chat: /exit, /delete, /export; and key rotation.

The engine only names these (`Result.actions`); the handlers below run inside the turn's transaction
(the `privacy` feature's actions). Adapters act on `Outcome.delete_messages` (delete those chat messages) and on
`Reply.document` (send or write the file).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from bot.store.crypto import Cipher, KeyError_
from bot.core.feature import Env, Feature, Job, Sender, TurnContext
from bot.core.clock import from_iso, iso
from bot.store.store import Store
from flows.model import Reply

log = logging.getLogger("fulcrum")

EXPORT_NAME = "fulcrum-export.json"


# ---- /exit and /delete -----------------------------------------------------------------------------


def _clear_chat(ctx: TurnContext) -> None:
    """Hand the adapter every message we may still delete (younger than 48 h), and forget them."""
    store = ctx.store
    ids = store.tracked_messages(ctx.pid, ctx.now)
    seen = set(ctx.outcome.delete_messages)
    ctx.outcome.delete_messages += [m for m in ids if m not in seen]
    store.forget_messages(ctx.pid)


def quick_exit(ctx: TurnContext) -> None:
    """Clear the chat; the person's place is kept. One neutral message, nothing about the bot's topic."""
    _clear_chat(ctx)
    notes = ctx.content.common.notes
    ctx.outcome.replies = [Reply(f"{notes['chat_cleared']}\n\n{notes['chat_cleared_older']}")]


def erase(ctx: TurnContext) -> None:
    """Runs before the service erases the rows: collect the chat's message ids while they still exist."""
    _clear_chat(ctx)
    ctx.outcome.replies = [Reply(ctx.content.note("deleted"))]


# ---- /export -------------------------------------------------------------------------------------------


def export(ctx: TurnContext) -> None:
    data = export_data(ctx.store, ctx.pid, ctx.now)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    reply = Reply(ctx.content.note("export_ready"), document=(EXPORT_NAME, body))
    replies = ctx.outcome.replies
    # The file first, then the step the person is back at (it carries the buttons).
    at = len(replies) - 1 if replies and replies[-1].is_step else len(replies)
    replies.insert(at, reply)


def export_data(store: Store, pid: str, now: datetime) -> dict[str, Any]:
    """Everything stored about one person, decrypted for them, as plain JSON-ready data."""
    q = store.execute
    row = q("SELECT created_at, last_seen, agreed_at, active, content_version FROM people WHERE id = ?",
            (pid,)).fetchone()
    person = store.load(pid)
    out: dict[str, Any] = {"exported_at": iso(now), "format": "fulcrum-export/1"}
    if row is None or person is None:
        return {**out, "profile": {}, "answers": {}, "journal": [], "record": [], "checkins": [], "completions": [],
                "schedule": None, "followups": [], "conversation": None}
    out["account"] = {"created_at": row[0], "last_seen": row[1], "agreed_at": row[2], "active": bool(row[3]),
                      "content_version": row[4]}
    out["profile"] = person.profile
    out["conversation"] = person.conversation.to_dict()
    out["answers"] = {flow: dict(sorted(steps.items())) for flow, steps in sorted(person.answers.items())}
    out["journal"] = [{k: e[k] for k in ("created_at", "flow", "step", "text")}
                      for e in reversed(store.journal(pid, limit=-1))]
    out["record"] = [{k: e[k] for k in sorted(e) if k != "id"} for e in store.records(pid)]
    out["completions"] = [{"flow": flow, "completed_at": at} for flow, at in store.completions(pid)]
    out["checkins"] = store.checkins(pid)
    rows = _row(q("SELECT * FROM schedules WHERE person = ?", (pid,)))
    out["schedule"] = {k: v for k, v in rows[0].items() if k != "person"} if rows else None
    out["followups"] = [{k: f[k] for k in ("flow", "due_at", "sent_at")} for f in store.followups(pid)]
    return out


def _row(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


# ---- messages that leave the chat after a while (`Reply.expires_after`: the safety plan on screen) ----------

EXPIRY_JOB = "expiring-messages"
EXPIRY_SWEEP = 30.0  # seconds between sweeps: a message leaves at most this late


async def delete_expired(env: Env, sender: Sender) -> None:
    """One job for everyone: delete the messages whose time is up, then forget them. A crash in between deletes
    them again next time (Telegram then says they are gone, which is logged and skipped); nothing is slept on."""
    store, now = env.store, sender.clock()
    with store.transaction():
        due = store.expired_messages(now)
    if not due:
        return
    await sender.delete_messages(due)
    with store.transaction():
        store.forget_message_ids(due)
    log.info("expired messages: %d deleted from chats", len(due))


def feature() -> Feature:
    """/exit, /delete and /export: what the engine names in `Result.actions`, done inside the turn; and the job
    that deletes messages marked to leave the chat."""
    return Feature("privacy", actions={"exit": quick_exit, "erase": erase, "export": export},
                   jobs=(Job(EXPIRY_JOB, interval=EXPIRY_SWEEP, first=15, run=delete_expired),))


# ---- keys ------------------------------------------------------------------------------------------------

# Every table with a key id column: what `check_keys` and `rekey` cover.
KEYED_TABLES = ("people", "answers", "journal", "records", "checkins", "followups", "completions", "dead_letters",
                "locks")
PIN_FIELD = "lock_pin"  # the lock's PIN hash (bot/features/lock/pin.py), sealed like any other value


def check_keys(store: Store) -> None:
    """Fail at start, in one line, when the database holds values the configured key cannot read."""
    kids = {r[0] for t in KEYED_TABLES
            for r in store.execute(f"SELECT DISTINCT key_id FROM {t} WHERE key_id IS NOT NULL")}
    missing = sorted(k for k in kids if not store.cipher.has_key(k))
    if not missing:
        return
    have = f"FULCRUM_DATA_KEY is key {store.cipher.current}" if store.cipher.current else "FULCRUM_DATA_KEY is not set"
    raise KeyError_(f"{store.path}: text is encrypted with key {', '.join(missing)}, but {have}; "
                    "set it to the key the data was written with")


def rekey(store: Store, new: Cipher, names: list[str]) -> int:
    """Re-encrypt every personal value with `new`, in one transaction; returns how many rows.

    Values are read with the store's cipher (the current key, or none for plaintext); plaintext rows written
    before a key was set are encrypted too. The weekly figures' names are tagged again: `names` are those
    that can occur (bot.core.figures.known_names); a tag of anything else cannot be read back and is kept.
    """
    if not new.enabled:
        raise KeyError_("the new key is empty")
    old = store.cipher
    with store.transaction():
        plain = {pid: store.load(pid) for (pid,) in store.execute("SELECT id FROM people").fetchall()}
        entries = [(pid, store.journal_entry(pid, rid)) for rid, pid in store.execute("SELECT id, person FROM journal")]
        records = [(pid, store.record(pid, rid)) for rid, pid in store.execute("SELECT id, person FROM records")]
        checkins = {pid: store.checkins(pid) for (pid,) in store.execute("SELECT DISTINCT person FROM checkins")}
        followups = {pid: store.followups(pid) for (pid,) in store.execute("SELECT DISTINCT person FROM followups")}
        completions = {pid: store.completions(pid) for (pid,) in store.execute("SELECT DISTINCT person FROM completions")}
        letters = [(uid, pid, old.decrypt(v, kid, pid, f"dead_letter:{uid}"))
                   for uid, pid, v, kid in store.execute("SELECT update_id, person, payload, key_id FROM dead_letters")]
        figures = store.execute("SELECT week, metric, flow, count, total FROM stats").fetchall()
        pins = [(pid, old.decrypt(v, kid, pid, PIN_FIELD))
                for pid, v, kid in store.execute("SELECT person, pin_hash, key_id FROM locks WHERE pin_hash IS NOT NULL")]
        store.cipher = new
        try:
            count = _write_all(store, plain, entries, checkins, followups, completions, letters)
            count += _write_records(store, records)
            for pid, digest in pins:
                value, kid = store.seal(digest, pid, PIN_FIELD)
                store.execute("UPDATE locks SET pin_hash = ?, key_id = ? WHERE person = ?", (value, kid, pid))
            count += len(pins)
            _retag(store, old, new, names, figures)
        except BaseException:
            store.cipher = old
            raise
    store.checkpoint()  # the old ciphertexts (or plaintext) leave the WAL
    return count


def _write_all(store: Store, people: dict, entries: list, checkins: dict, followups: dict, completions: dict,
               letters: list) -> int:
    """Write what was read, with the store's (new) cipher: the same rows, sealed again."""
    q = store.execute
    for pid, person in people.items():
        row = {"state": person.conversation.to_dict(), "profile": person.profile, "answers": person.answers,
               "completed": sorted(person.completed), "whole": True}
        store._write_row(pid, row, "")  # noqa: SLF001 - the store's own whole-row writer
    for pid, e in entries:
        q("DELETE FROM journal WHERE id = ?", (e["id"],))
        new_id = store.add_journal(pid, e["flow"], e["step"], e["text"], from_iso(e["created_at"]))
        q("UPDATE journal SET id = ? WHERE id = ?", (e["id"], new_id))
    for pid, rows in checkins.items():
        q("DELETE FROM checkins WHERE person = ?", (pid,))
        for r in rows:
            store.add_checkin(pid, from_iso(r["at"]), r["rating"], r["kind"], r["flow"])
    for pid, rows in followups.items():
        for f in rows:
            value, kid = store.seal(f["flow"], pid, "followup.flow")
            q("UPDATE followups SET flow = ?, key_id = ? WHERE id = ?", (value, kid, f["id"]))
    for pid, rows in completions.items():
        q("DELETE FROM completions WHERE person = ?", (pid,))
        for flow, at in rows:
            value, kid = store.seal(flow, pid, "completion.flow")
            q("INSERT INTO completions (person, flow, completed_at, key_id) VALUES (?, ?, ?, ?)", (pid, value, at, kid))
    for uid, pid, payload in letters:
        value, kid = store.seal(payload, pid, f"dead_letter:{uid}")
        q("UPDATE dead_letters SET payload = ?, key_id = ? WHERE update_id = ?", (value, kid, uid))
    return (len(people) + len(entries) + sum(map(len, checkins.values())) + sum(map(len, followups.values()))
            + sum(map(len, completions.values())) + len(letters))


def _write_records(store: Store, records: list) -> int:
    """Each record entry sealed again with the store's (new) cipher, in place: its id and written-down time stay."""
    for pid, entry in records:
        store.update_record(pid, entry["id"], {k: v for k, v in entry.items() if k not in ("id", "created_at")})
    return len(records)


def _retag(store: Store, old: Cipher, new: Cipher, names: list[str], figures: list) -> None:
    """The weekly figures under the new key's tags (plain names from before any key are tagged as well)."""
    named = {name: name for name in names} | {old.tag(name): name for name in names}
    store.execute("DELETE FROM stats")
    for week, metric, flow, count, total in figures:
        metric, flow = (new.tag(named[v]) if v in named else v for v in (metric, flow))
        store.execute("""INSERT INTO stats (week, metric, flow, count, total) VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT(week, metric, flow) DO UPDATE SET count = count + excluded.count,
                         total = total + excluded.total""", (week, metric, flow, count, total))


def warn_if_plaintext(cipher: Cipher) -> None:
    if not cipher.enabled:
        log.warning("FULCRUM_DATA_KEY is not set: everything about people is stored unencrypted "
                    "(make a key with `fulcrum keygen`)")
