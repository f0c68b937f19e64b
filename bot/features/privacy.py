"""What a person can do about their own data and their chat: /exit, /delete, /export; and key rotation.

The engine only names these (`Result.actions`); the handlers below run inside the turn's transaction
(the `privacy` feature's actions). Adapters act on `Outcome.delete_messages` (delete those chat messages) and on
`Reply.document` (send or write the file).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from collections.abc import Callable, Sequence
from typing import Any

from bot.store.crypto import Cipher, KeyError_
from bot.core.feature import Feature, TurnContext
from bot.core.clock import iso
from bot.store.store import Store
from flows.model import Reply

log = logging.getLogger("fulcrum")

EXPORT_NAME = "fulcrum-export.json"
TEXT_TABLES = ("answers", "journal")


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
    row = q("SELECT created_at, last_seen, agreed_at, active, profile, state, content_version FROM people "
            "WHERE id = ?", (pid,)).fetchone()
    out: dict[str, Any] = {"exported_at": iso(now), "format": "fulcrum-export/1"}
    if row is None:
        return {**out, "profile": {}, "answers": {}, "journal": [], "checkins": [], "completions": [],
                "schedule": None, "followups": [], "conversation": None}
    out["account"] = {"created_at": row[0], "last_seen": row[1], "agreed_at": row[2], "active": bool(row[3]),
                      "content_version": row[6]}
    out["profile"] = json.loads(row[4])
    out["conversation"] = json.loads(row[5])
    answers: dict[str, dict[str, Any]] = {}
    for flow, step, value, kid, updated in q(
            "SELECT flow, step, value, key_id, updated_at FROM answers WHERE person = ? ORDER BY flow, step", (pid,)):
        text = store.cipher.decrypt(value, kid, pid, f"answer:{flow}.{step}")
        answers.setdefault(flow, {})[step] = json.loads(text)
    out["answers"] = answers
    out["journal"] = [
        {"created_at": r[0], "flow": r[1], "step": r[2], "text": store.cipher.decrypt(r[3], r[4], pid, "journal")}
        for r in q("SELECT created_at, flow, step, text, key_id FROM journal WHERE person = ? ORDER BY created_at, id",
                   (pid,))]
    out["completions"] = [{"flow": r[0], "completed_at": r[1]} for r in q(
        "SELECT flow, completed_at FROM completions WHERE person = ? ORDER BY completed_at", (pid,))]
    out["checkins"] = _row(q("SELECT at, rating, kind, flow FROM checkins WHERE person = ? ORDER BY at, id", (pid,)))
    rows = _row(q("SELECT * FROM schedules WHERE person = ?", (pid,)))
    out["schedule"] = {k: v for k, v in rows[0].items() if k != "person"} if rows else None
    out["followups"] = _row(q("SELECT flow, due_at, sent_at FROM followups WHERE person = ? ORDER BY due_at", (pid,)))
    return out


def _row(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def feature() -> Feature:
    """/exit, /delete and /export: what the engine names in `Result.actions`, done inside the turn."""
    return Feature("privacy", actions={"exit": quick_exit, "erase": erase, "export": export})


# ---- keys ------------------------------------------------------------------------------------------------


def check_keys(store: Store) -> None:
    """Fail at start, in one line, when the database holds text the configured key cannot read."""
    kids = {r[0] for t in (*TEXT_TABLES, "locks") for r in store.execute(f"SELECT DISTINCT key_id FROM {t} WHERE key_id IS NOT NULL")}
    missing = sorted(k for k in kids if not store.cipher.has_key(k))
    if not missing:
        return
    have = f"FULCRUM_DATA_KEY is key {store.cipher.current}" if store.cipher.current else "FULCRUM_DATA_KEY is not set"
    raise KeyError_(f"{store.path}: text is encrypted with key {', '.join(missing)}, but {have}; "
                    "set it to the key the data was written with")


def rekey(store: Store, new: Cipher, text_steps: frozenset[tuple[str, str]],
          also: Sequence[Callable[[Store, Cipher], int]] = ()) -> int:
    """Re-encrypt every free-text value with `new`, in one transaction; returns how many values. `also`: other
    features' re-encryption (the lock's PIN hashes, `bot.features.lock.state.rekey`), run in that transaction
    while the store still reads with the old key; `fulcrum rekey` passes them (a feature imports no other).

    Values are read with the store's cipher (the current key, or none for plaintext). Answers that are not
    free text (option ids, ratings) stay as they are unless they were encrypted.
    """
    if not new.enabled:
        raise KeyError_("the new key is empty")
    old = store.cipher
    count = 0
    with store.transaction():
        rows = store.execute("SELECT person, flow, step, value, key_id FROM answers").fetchall()
        for pid, flow, step, value, kid in rows:
            if kid is None and (flow, step) not in text_steps:
                continue
            field = f"answer:{flow}.{step}"
            plain = old.decrypt(value, kid, pid, field)
            enc, new_kid = new.encrypt(plain, pid, field)
            store.execute("UPDATE answers SET value = ?, key_id = ? WHERE person = ? AND flow = ? AND step = ?",
                          (enc, new_kid, pid, flow, step))
            count += 1
        for rid, pid, value, kid in store.execute("SELECT id, person, text, key_id FROM journal").fetchall():
            plain = old.decrypt(value, kid, pid, "journal")
            enc, new_kid = new.encrypt(plain, pid, "journal")
            store.execute("UPDATE journal SET text = ?, key_id = ? WHERE id = ?", (enc, new_kid, rid))
            count += 1
        for more in also:
            count += more(store, new)
    store.checkpoint()  # the old ciphertexts (or plaintext) leave the WAL
    store.cipher = new
    return count


def warn_if_plaintext(cipher: Cipher) -> None:
    if not cipher.enabled:
        log.warning("FULCRUM_DATA_KEY is not set: what people write is stored unencrypted "
                    "(make a key with `fulcrum keygen`)")
