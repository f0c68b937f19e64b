"""The SQLite store: one file, owner-only, every handled input committed in one transaction."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.core.clock import iso, week_of
from bot.store.crypto import Cipher
from bot.store.migrations import migrations
from flows.model import Conversation, Person, Result

TEXT_KINDS = ("reflection", "input")
OPENED_KEPT = 64  # decrypted values remembered within one transaction (a turn needs a handful; a sweep, none)


class StoreError(Exception):
    """A database that cannot be used; the message is one line naming the file."""


def _create_owner_only(path: Path) -> None:
    if not path.parent.is_dir():
        raise StoreError(f"{path}: the folder {path.parent} does not exist")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"{path}: cannot read and write this file (check its owner and permissions)")
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the database ({exc.strerror})") from None
    os.close(fd)


def connect(path: Path, *, secure_delete: bool = True) -> sqlite3.Connection:
    """A connection with the pragmas every connection must have."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA cache_size=-16000")  # 16 MB of pages: a turn reads what recent turns wrote
        conn.execute("PRAGMA wal_autocheckpoint=4000")  # fewer, larger checkpoints (each one syncs)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a usable SQLite database ({exc})") from None
    return conn


class Store:
    def __init__(self, path: str | Path, cipher: Cipher | None = None, *, secure_delete: bool = True):
        self.path = Path(path).expanduser().resolve()
        _create_owner_only(self.path)
        self.conn = connect(self.path, secure_delete=secure_delete)
        self._secure_delete = secure_delete
        self._fold_conn: sqlite3.Connection | None = None  # fold_wal's own connection, opened on first use
        self._fold_lock = threading.Lock()
        self.db = Database(self.conn)
        self.cipher = cipher or Cipher()
        self._lock = threading.RLock()
        self._last_update_at = ""
        # message ids not yet written (see track_message): (chat id, message id, person, sent at, expires at or None)
        self._tracked: list[tuple[int, int, str, str, str | None]] = []
        # Message ids in the chats of people who have not agreed: kept in memory only, never written, until they
        # agree (`save` moves them into `messages`), so /exit can clear a chat from its first message.
        self._unagreed: OrderedDict[str, dict[tuple[int, int], str]] = OrderedDict()
        self._checkpoint_after_commit = False  # something deleted: fold the WAL so its old pages go too
        self._opened: dict[tuple[str, str, str, str], str] = {}  # decrypted in this transaction (see `unseal`)
        # A person's sealed columns as `load` read them in this transaction, for `save` (forgotten on any other
        # write of the row, and when the transaction ends)
        self._loaded: dict[str, tuple[Any, Any, Any, Any]] = {}
        try:
            migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable SQLite database ({exc})") from None

    def close(self) -> None:
        if self._tracked:
            with self.transaction():
                pass
        with self._fold_lock:
            if self._fold_conn is not None:
                self._fold_conn.close()
                self._fold_conn = None
        self.conn.close()

    def fold_wal(self) -> int:
        """Copy what the WAL holds into the database file (a PASSIVE checkpoint: it never waits for, nor holds
        up, a turn), on a connection of its own: called from a worker thread by a frequent job (retention's
        WAL_JOB), so that a turn's COMMIT does not do it. Without it SQLite does it inside the COMMIT that
        fills the WAL (wal_autocheckpoint): at 100,000 people one COMMIT in a hundred did, 10–250 ms each, three
        quarters of all COMMIT time (benchmarks/throughput.py). Returns the frames copied (-1 when busy)."""
        with self._fold_lock:
            if self._fold_conn is None:
                self._fold_conn = connect(self.path, secure_delete=self._secure_delete)
            busy, _, copied = self._fold_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return -1 if busy else int(copied)

    # ---- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One atomic unit; nested uses join the outer one."""
        with self._lock:
            if self.conn.in_transaction:
                self._flush_tracked()
                yield self
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._flush_tracked()
                yield self
                # A COMMIT that fails (busy, I/O error) must not leave the transaction open: every later
                # `transaction()` would join it as if nested and never commit.
                self.conn.execute("COMMIT")
            except BaseException:
                self._checkpoint_after_commit = False
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._opened.clear()
                self._loaded.clear()
            if self._checkpoint_after_commit:
                self._checkpoint_after_commit = False
                self.checkpoint()

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # ---- people and their answers ----------------------------------------------------------------

    def seal(self, text: str, pid: str, field: str) -> tuple[str, str | None]:
        """`text` encrypted for this person and field with the current key (as it is without a key)."""
        value, kid = self.cipher.encrypt(text, pid, field)
        if kid is not None and self.conn.in_transaction and len(self._opened) < OPENED_KEPT:
            self._opened[(value, kid, pid, field)] = text  # read back in this transaction: no decrypting
        return value, kid

    def unseal(self, value: Any, kid: str | None, pid: str, field: str) -> Any:
        """A stored value, decrypted when it was encrypted (`kid`), as it is when it was not.

        Within a transaction each sealed value is decrypted once: a turn reads a person's row, and the lock's
        visit and the save read it again. The same ciphertext under the same key, person and field is the same
        text, so what is remembered cannot go stale; it is forgotten when the transaction ends."""
        if kid is None or value is None:
            return value
        if not self.conn.in_transaction:
            return self.cipher.decrypt(value, kid, pid, field)
        key = (value, kid, pid, field)
        text = self._opened.get(key)
        if text is None:
            text = self.cipher.decrypt(value, kid, pid, field)
            if len(self._opened) < OPENED_KEPT:
                self._opened[key] = text
        return text

    def load(self, pid: str) -> Person | None:
        row = self.execute("SELECT state, profile, agreed_at, answers, completed, key_id FROM people WHERE id = ?",
                           (pid,)).fetchone()
        if row is None:
            return None
        state, profile, agreed_at, answers, completed, kid = row
        self._loaded[pid] = (profile, answers, completed, kid)
        return Person(conversation=Conversation.from_dict(json.loads(self.unseal(state, kid, pid, "state"))),
                      answers=self._answers(pid, answers, kid), completed=frozenset(self._completed(pid, completed, kid)),
                      agreed=agreed_at is not None, profile=json.loads(self.unseal(profile, kid, pid, "profile")))

    def _answers(self, pid: str, value: str | None, kid: str | None) -> dict[str, dict[str, Any]]:
        """The person's answers: the sealed value on their row, or (before m005's move) their `answers` rows."""
        if value is not None:
            return json.loads(self.unseal(value, kid, pid, "answers"))
        answers: dict[str, dict[str, Any]] = {}
        for flow, step, raw, row_kid in self.execute(
                "SELECT flow, step, value, key_id FROM answers WHERE person = ?", (pid,)):
            answers.setdefault(flow, {})[step] = json.loads(self.unseal(raw, row_kid, pid, f"answer:{flow}.{step}"))
        return answers

    def _completed(self, pid: str, value: str | None, kid: str | None) -> list[str]:
        if value is not None:
            return json.loads(self.unseal(value, kid, pid, "completed"))
        return sorted({flow for flow, _ in self.completions(pid)})

    def answers(self, pid: str) -> dict[str, dict[str, Any]]:
        row = self.execute("SELECT answers, key_id FROM people WHERE id = ?", (pid,)).fetchone()
        return self._answers(pid, row[0], row[1]) if row else {}

    def exists(self, pid: str) -> bool:
        return self.execute("SELECT 1 FROM people WHERE id = ?", (pid,)).fetchone() is not None

    def save(self, pid: str, result: Result, now: datetime, *, chat_id: int | None = None,
             content_version: str | None = None, text_steps: frozenset[tuple[str, str]] = frozenset()) -> None:
        """Write one turn's result. Call inside a transaction. (`text_steps` is no longer needed: every answer
        is encrypted when a key is set.)"""
        stamp = iso(now)
        row = self._loaded.pop(pid, None) if self.conn.in_transaction else None
        if row is None:
            row = self.execute("SELECT profile, answers, completed, key_id FROM people WHERE id = ?",
                               (pid,)).fetchone()
        kid = self.cipher.current
        # A row written under another key (or none), or not yet moved by m005, is rewritten whole.
        whole = row is None or row[3] != kid or row[1] is None or row[2] is None
        finished = [e.flow for e in result.events if e.name == "flow_completed" and e.flow]
        values: dict[str, Any] = {"state": result.conversation.to_dict()}
        if whole or result.profile:
            profile = json.loads(self.unseal(row[0], row[3], pid, "profile")) if row else {}
            profile.update(result.profile)
            values["profile"] = profile
        if whole or result.answers:
            answers = self._answers(pid, row[1], row[3]) if row else {}
            for (flow, step), value in result.answers.items():
                answers.setdefault(flow, {})[step] = value
            values["answers"] = answers
        if whole or finished:
            done = set(self._completed(pid, row[2], row[3]) if row else ())
            values["completed"] = sorted(done | set(finished))
        sealed = {name: self.seal(json.dumps(v, sort_keys=True, ensure_ascii=False), pid, name)[0]
                  for name, v in values.items()}
        if row is None:
            self.execute(
                """INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state, answers, completed,
                                       key_id, content_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (pid, chat_id, stamp, stamp, stamp, sealed["profile"], sealed["state"], sealed["answers"],
                 sealed["completed"], kid, content_version))
        else:
            names = sorted(sealed)
            self.execute(
                f"""UPDATE people SET {", ".join(f"{n} = ?" for n in names)}, key_id = ?, last_seen = ?,
                      chat_id = COALESCE(?, chat_id), active = 1, agreed_at = COALESCE(agreed_at, ?),
                      content_version = ? WHERE id = ?""",
                (*(sealed[n] for n in names), kid, stamp, chat_id, stamp, content_version, pid))
            if row[1] is None:
                self.execute("DELETE FROM answers WHERE person = ?", (pid,))  # moved onto the row above
        if pid in self._unagreed:  # they agreed: what /exit should clear of their first messages is written now
            self.conn.executemany(self._TRACK_MESSAGE, [(c, m, pid, at, None, pid)
                                                        for (c, m), at in self._unagreed.pop(pid).items()])
        for entry in result.journal:
            self.add_journal(pid, entry.flow, entry.step, entry.text, now)
        for flow in finished:
            value, row_kid = self.seal(flow, pid, "completion.flow")
            self.execute("INSERT INTO completions (person, flow, completed_at, key_id) VALUES (?, ?, ?, ?)",
                         (pid, value, stamp, row_kid))

    def forget_answer(self, pid: str, flow: str, step: str, text: str) -> bool:
        """Remove the answer at flow/step when it is `text` (a journal entry deleted by the person); True if so."""
        row = self._row(pid)
        if row is None or row["answers"].get(flow, {}).get(step) != text:
            return False
        del row["answers"][flow][step]
        if not row["answers"][flow]:
            del row["answers"][flow]
        self._write_row(pid, row, "answers")
        return True

    def _row(self, pid: str) -> dict[str, Any] | None:
        """The sealed part of a person's row, decrypted (for the rare writes outside `save`)."""
        row = self.execute("SELECT state, profile, answers, completed, key_id FROM people WHERE id = ?",
                           (pid,)).fetchone()
        if row is None:
            return None
        state, profile, answers, completed, kid = row
        return {"state": json.loads(self.unseal(state, kid, pid, "state")),
                "profile": json.loads(self.unseal(profile, kid, pid, "profile")),
                "answers": self._answers(pid, answers, kid), "completed": self._completed(pid, completed, kid),
                "whole": kid != self.cipher.current or answers is None or completed is None}

    def _write_row(self, pid: str, row: dict[str, Any], changed: str) -> None:
        self._loaded.pop(pid, None)
        names = ["answers", "completed", "profile", "state"] if row["whole"] else [changed]
        sealed = [self.seal(json.dumps(row[n], sort_keys=True, ensure_ascii=False), pid, n)[0] for n in names]
        self.execute(f"UPDATE people SET {', '.join(f'{n} = ?' for n in names)}, key_id = ? WHERE id = ?",
                     (*sealed, self.cipher.current, pid))
        if row["whole"]:
            self.execute("DELETE FROM answers WHERE person = ?", (pid,))  # moved onto the row

    def completions(self, pid: str) -> list[tuple[str, str]]:
        """(flow, completed_at) of every finished topic, oldest first, decrypted."""
        return [(self.unseal(flow, kid, pid, "completion.flow"), at) for flow, at, kid in self.execute(
            "SELECT flow, completed_at, key_id FROM completions WHERE person = ? ORDER BY completed_at, rowid", (pid,))]

    def add_journal(self, pid: str, flow: str, step: str, text: str, now: datetime) -> int:
        if self.cipher.enabled:  # where it was written says much too: flow and step go inside the ciphertext
            payload = json.dumps({"flow": flow, "step": step, "text": text}, ensure_ascii=False)
            (value, kid), flow, step = self.seal(payload, pid, "journal.entry"), "", ""
        else:
            value, kid = text, None
        cur = self.execute("INSERT INTO journal (person, created_at, flow, step, text, key_id) VALUES (?, ?, ?, ?, ?, ?)",
                           (pid, iso(now), flow, step, value, kid))
        return int(cur.lastrowid or 0)

    def _entry(self, pid: str, r: Any) -> dict[str, Any]:
        entry = {"id": r[0], "created_at": r[1], "flow": r[2], "step": r[3]}
        if r[5] is not None and r[2] == "":
            return {**entry, **json.loads(self.cipher.decrypt(r[4], r[5], pid, "journal.entry"))}
        return {**entry, "text": self.unseal(r[4], r[5], pid, "journal")}  # written before flow and step were sealed

    def journal(self, pid: str, *, offset: int = 0, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.execute(
            "SELECT id, created_at, flow, step, text, key_id FROM journal WHERE person = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (pid, limit, offset)).fetchall()
        return [self._entry(pid, r) for r in rows]

    def journal_count(self, pid: str) -> int:
        return int(self.execute("SELECT count(*) FROM journal WHERE person = ?", (pid,)).fetchone()[0])

    def journal_entry(self, pid: str, entry_id: int) -> dict[str, Any] | None:
        """One of this person's entries, or None (another person's id is as good as none)."""
        r = self.execute("SELECT id, created_at, flow, step, text, key_id FROM journal WHERE person = ? AND id = ?",
                         (pid, entry_id)).fetchone()
        return None if r is None else self._entry(pid, r)

    def delete_journal(self, pid: str, entry_id: int) -> bool:
        """Delete one entry (secure_delete overwrites it in the file; the WAL is folded and emptied after the
        commit); True when there was one."""
        gone = self.execute("DELETE FROM journal WHERE person = ? AND id = ?", (pid, entry_id)).rowcount > 0
        self._checkpoint_after_commit |= gone
        return gone

    # ---- the record (bot/features/record): everything but id, person and created_at sealed as one value ----

    RECORD_FIELD = "record.entry"

    def add_record(self, pid: str, fields: dict[str, Any], now: datetime) -> int:
        """A new entry written down at `now`; `fields` (when it happened, what, where…) are sealed together."""
        value, kid = self.seal(json.dumps(fields, ensure_ascii=False, sort_keys=True), pid, self.RECORD_FIELD)
        cur = self.execute("INSERT INTO records (person, created_at, body, key_id) VALUES (?, ?, ?, ?)",
                           (pid, iso(now), value, kid))
        return int(cur.lastrowid or 0)

    def update_record(self, pid: str, record_id: int, fields: dict[str, Any]) -> bool:
        """Replace an entry's sealed fields (its written-down time stays); True when there was one."""
        value, kid = self.seal(json.dumps(fields, ensure_ascii=False, sort_keys=True), pid, self.RECORD_FIELD)
        cur = self.execute("UPDATE records SET body = ?, key_id = ? WHERE person = ? AND id = ?",
                           (value, kid, pid, record_id))
        self._checkpoint_after_commit |= cur.rowcount > 0  # the old words leave the WAL too
        return cur.rowcount > 0

    def _record(self, pid: str, r: Any) -> dict[str, Any]:
        return {**json.loads(self.unseal(r[2], r[3], pid, self.RECORD_FIELD)), "id": r[0], "created_at": r[1]}

    def records(self, pid: str) -> list[dict[str, Any]]:
        """Every entry of this person, decrypted, in the order they were written down (oldest first)."""
        return [self._record(pid, r) for r in self.execute(
            "SELECT id, created_at, body, key_id FROM records WHERE person = ? ORDER BY created_at, id", (pid,))]

    def record(self, pid: str, record_id: int) -> dict[str, Any] | None:
        """One of this person's entries, or None (another person's id is as good as none)."""
        r = self.execute("SELECT id, created_at, body, key_id FROM records WHERE person = ? AND id = ?",
                         (pid, record_id)).fetchone()
        return None if r is None else self._record(pid, r)

    def record_count(self, pid: str) -> int:
        return int(self.execute("SELECT count(*) FROM records WHERE person = ?", (pid,)).fetchone()[0])

    def delete_record(self, pid: str, record_id: int) -> bool:
        """Delete one entry (overwritten in the file by secure_delete; the WAL folded after the commit)."""
        gone = self.execute("DELETE FROM records WHERE person = ? AND id = ?", (pid, record_id)).rowcount > 0
        self._checkpoint_after_commit |= gone
        return gone

    def set_profile(self, pid: str, **values: Any) -> None:
        row = self._row(pid)
        if row is None:
            return
        row["profile"].update(values)
        self._write_row(pid, row, "profile")

    def zone_of(self, pid: str) -> tzinfo:
        """The person's time zone (from their check-in schedule), else UTC: for dates shown to them."""
        row = self.execute("SELECT tz FROM schedules WHERE person = ?", (pid,)).fetchone()
        if row and row[0]:
            try:
                return ZoneInfo(str(row[0]))
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return timezone.utc

    def set_active(self, pid: str, active: bool) -> None:
        self.execute("UPDATE people SET active = ? WHERE id = ?", (1 if active else 0, pid))
        if not active:
            self.execute("UPDATE schedules SET next_due = NULL WHERE person = ?", (pid,))

    # ---- check-ins and follow-ups (bot/features/checkins): rating and topic sealed, times plain for the sweep ----

    def add_checkin(self, pid: str, now: datetime, rating: int | None, kind: str, flow: str | None) -> None:
        stored: Any = rating
        kid = self.cipher.current
        if kid is not None:
            stored = self.seal(json.dumps(rating), pid, "checkin.rating")[0]
        topic = None if flow is None else self.seal(flow, pid, "checkin.flow")[0]
        self.execute("INSERT INTO checkins (person, at, rating, kind, flow, key_id) VALUES (?, ?, ?, ?, ?, ?)",
                     (pid, iso(now), stored, kind, topic, kid))

    def checkins(self, pid: str, *, since: datetime | None = None) -> list[dict[str, Any]]:
        """This person's check-in and follow-up rows, oldest first, decrypted."""
        sql, params = "SELECT at, rating, kind, flow, key_id FROM checkins WHERE person = ?", [pid]
        if since is not None:
            sql += " AND at >= ?"
            params.append(iso(since))
        out = []
        for at, rating, kind, flow, kid in self.execute(sql + " ORDER BY at, id", params):
            if kid is not None:
                rating = json.loads(self.cipher.decrypt(rating, kid, pid, "checkin.rating"))
            out.append({"at": at, "rating": rating, "kind": kind, "flow": self.unseal(flow, kid, pid, "checkin.flow")})
        return out

    def add_followup(self, pid: str, flow: str, due: datetime) -> None:
        value, kid = self.seal(flow, pid, "followup.flow")
        self.execute("INSERT INTO followups (person, flow, due_at, key_id) VALUES (?, ?, ?, ?)",
                     (pid, value, iso(due), kid))

    def followups(self, pid: str, *, pending: bool = False) -> list[dict[str, Any]]:
        """This person's follow-ups (only those not yet sent, when `pending`), by due time, decrypted."""
        sql = "SELECT id, flow, due_at, sent_at, key_id FROM followups WHERE person = ?"
        rows = self.execute(sql + (" AND sent_at IS NULL" if pending else "") + " ORDER BY due_at, id", (pid,))
        return [{"id": r[0], "flow": self.unseal(r[1], r[4], pid, "followup.flow"), "due_at": r[2], "sent_at": r[3]}
                for r in rows]

    # ---- erasure ------------------------------------------------------------------------------------

    def erase(self, pid: str) -> None:
        """Delete every row about a person (call inside a transaction; then `checkpoint()` after commit)."""
        self._loaded.pop(pid, None)
        for table in ("answers", "journal", "records", "completions", "checkins", "schedules", "followups", "messages",
                      "locks"):
            self.execute(f"DELETE FROM {table} WHERE person = ?", (pid,))
        self.execute("DELETE FROM people WHERE id = ?", (pid,))
        self._unagreed.pop(pid, None)
        self.execute("DELETE FROM dead_letters WHERE person = ?", (pid,))  # not a foreign key: may predate agreeing

    def checkpoint(self, attempts: int = 5, pause: float = 0.05) -> bool:
        """Fold the WAL into the database and truncate it; True when no page was left behind.

        A reader elsewhere can keep pages busy: try a few times, then log (without any person's data)."""
        for attempt in range(attempts):
            with self._lock:
                busy, _, _ = self.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0:
                return True
            if attempt + 1 < attempts:
                time.sleep(pause * (attempt + 1))
        logging.getLogger("fulcrum").warning("checkpoint: the WAL is still busy after %d attempts; "
                                             "deleted data may stay in %s-wal until the next checkpoint",
                                             attempts, self.path.name)
        return False

    # ---- exactly-once ---------------------------------------------------------------------------------

    def seen_update(self, update_id: int) -> bool:
        return self.execute("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)).fetchone() is not None

    def record_update(self, update_id: int, now: datetime) -> None:
        self.claim_update(update_id, now)

    def claim_update(self, update_id: int, now: datetime) -> bool:
        """Record the update id; False when it was already recorded (a redelivery). One statement where
        `seen_update` then `record_update` take two: inside the turn's transaction, a turn that fails takes
        its claim with it."""
        stamp = iso(now)
        claimed = self.execute("INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
                               (update_id, stamp)).rowcount > 0
        if claimed and stamp != self._last_update_at:  # the status figure needs seconds, not a write per update
            self._last_update_at = stamp
            self.execute("INSERT INTO meta (key, value) VALUES ('last_update_at', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (stamp,))
        return claimed

    def prune(self, now: datetime, *, updates_days: int = 3, messages_hours: int = 48) -> tuple[int, int]:
        old_updates = iso(now - timedelta(days=updates_days))
        old_messages = iso(now - timedelta(hours=messages_hours))
        a = self.execute("DELETE FROM processed_updates WHERE at < ?", (old_updates,)).rowcount
        b = self.execute("DELETE FROM messages WHERE sent_at < ?", (old_messages,)).rowcount
        for pid in list(self._unagreed):
            held = self._unagreed[pid]
            for key in [k for k, at in held.items() if at < old_messages]:
                del held[key]
            if not held:
                del self._unagreed[pid]
        return a, b

    # ---- dead letters (bot/adapters/telegram/serve.py) ------------------------------------------------------------

    def add_dead_letter(self, update_id: int, person: str, kind: str, error: str, attempts: int, payload: str,
                        now: datetime) -> bool:
        """Keep an update whose turn could not be committed. Call inside a transaction. `payload` is the
        update's JSON and is encrypted; the rest is not personal. False when this update is already kept."""
        value, kid = self.cipher.encrypt(payload, person, f"dead_letter:{update_id}")
        cur = self.execute(
            "INSERT OR IGNORE INTO dead_letters (update_id, person, kind, error, attempts, at, payload, key_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (update_id, person, kind, error, attempts, iso(now), value, kid))
        return cur.rowcount > 0

    def dead_letter_count(self) -> int:
        return int(self.execute("SELECT count(*) FROM dead_letters").fetchone()[0])

    def dead_letters(self) -> list[dict[str, Any]]:
        """What was kept, oldest first, without the update itself (no person, no payload)."""
        return [{"update_id": r[0], "kind": r[1], "error": r[2], "attempts": r[3], "at": r[4]} for r in self.execute(
            "SELECT update_id, kind, error, attempts, at FROM dead_letters ORDER BY at, id")]

    def dead_letter_payload(self, update_id: int) -> str | None:
        """The kept update's JSON, decrypted, or None (for tests and a careful look; not for replaying it)."""
        row = self.execute("SELECT person, payload, key_id FROM dead_letters WHERE update_id = ?",
                           (update_id,)).fetchone()
        if row is None:
            return None
        return self.cipher.decrypt(row[1], row[2], row[0], f"dead_letter:{update_id}")

    def prune_dead_letters(self, now: datetime, *, days: int = 30) -> int:
        """Forget dead letters older than `days` (call inside a transaction)."""
        return self.execute("DELETE FROM dead_letters WHERE at < ?", (iso(now - timedelta(days=days)),)).rowcount

    # ---- tracked messages (for /exit) ------------------------------------------------------------------

    UNAGREED_PEOPLE = 10_000  # people whose message ids are held in memory (the oldest are forgotten first)
    UNAGREED_MESSAGES = 500  # ids held per person (the oldest are forgotten first)

    def track_message(self, pid: str, chat_id: int, message_id: int, now: datetime, *,
                      expires_at: datetime | None = None) -> None:
        """Remember a message id for /exit. It is written at the start of the next transaction (any turn, or
        the minute sweep), which saves a commit per sent message; a crash before then can only leave those
        few ids unremembered. Ids of someone who has not agreed are held in memory instead (see `save`).
        `expires_at`: when the message should leave the chat (`expired_messages`)."""
        self._tracked.append((chat_id, message_id, pid, iso(now), iso(expires_at) if expires_at else None))

    # A message id for /exit, written only while its person is stored (the statement itself asks): a message seen
    # again keeps its first sending time and gains a due time if it has one now.
    _TRACK_MESSAGE = """INSERT INTO messages (chat_id, message_id, person, sent_at, expires_at)
        SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE id = ?)
        ON CONFLICT(chat_id, message_id) DO UPDATE SET expires_at = COALESCE(excluded.expires_at, messages.expires_at)"""

    def _flush_tracked(self) -> None:
        """Write the tracked ids of stored people, one statement a message; hold the others' in memory (they have
        not agreed)."""
        rows, self._tracked = self._tracked, []
        for chat_id, message_id, pid, at, expires in rows:
            if not self.conn.execute(self._TRACK_MESSAGE, (chat_id, message_id, pid, at, expires, pid)).rowcount:
                self._hold_message(pid, chat_id, message_id, at)

    def _hold_message(self, pid: str, chat_id: int, message_id: int, at: str) -> None:
        held = self._unagreed.setdefault(pid, {})
        self._unagreed.move_to_end(pid)
        held.setdefault((chat_id, message_id), at)  # the first time it was seen: Telegram counts from the send
        while len(held) > self.UNAGREED_MESSAGES:
            del held[next(iter(held))]
        while len(self._unagreed) > self.UNAGREED_PEOPLE:
            self._unagreed.popitem(last=False)

    def tracked_messages(self, pid: str, now: datetime) -> list[tuple[int, int]]:
        """The chat messages /exit may still delete (younger than 48 h): written ones, and, for someone who has
        not agreed, the ones held in memory."""
        since = iso(now - timedelta(hours=48))
        with self.transaction():
            stored = {(r[0], r[1]) for r in self.execute(
                "SELECT chat_id, message_id FROM messages WHERE person = ? AND sent_at >= ?", (pid, since))}
            held = {key for key, at in self._unagreed.get(pid, {}).items() if at >= since}
        return sorted(stored | held, key=lambda m: (m[1], m[0]))

    def expired_messages(self, now: datetime, *, limit: int = 500) -> list[tuple[int, int]]:
        """(chat id, message id) of messages due to leave the chat (`track_message(expires_at=...)`), oldest first."""
        return [(r[0], r[1]) for r in self.execute(
            "SELECT chat_id, message_id FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? "
            "ORDER BY expires_at LIMIT ?", (iso(now), limit))]

    def forget_message_ids(self, ids: list[tuple[int, int]]) -> None:
        """Forget these messages (deleted from the chat, or no longer deletable)."""
        self.conn.executemany("DELETE FROM messages WHERE chat_id = ? AND message_id = ?", ids)

    def forget_messages(self, pid: str) -> None:
        self.execute("DELETE FROM messages WHERE person = ?", (pid,))
        self._unagreed.pop(pid, None)

    # ---- anonymous figures ---------------------------------------------------------------------------

    def bump(self, metric: str, now: datetime, *, flow: str = "", count: int = 1, total: float = 0.0) -> None:
        """Add to a weekly figure. With a key, the metric and flow (a flow id or a crisis category) are stored
        as keyed tags: in a database of few people, "crisis/strangulation" this week would point at someone.
        `fulcrum stats` tags the names it knows to read them back (bot/ops/stats.py)."""
        self.execute(
            """INSERT INTO stats (week, metric, flow, count, total) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(week, metric, flow) DO UPDATE SET count = count + excluded.count,
               total = total + excluded.total""",
            (week_of(now), self.cipher.tag(metric), self.cipher.tag(flow) if flow else "", count, total),
        )
