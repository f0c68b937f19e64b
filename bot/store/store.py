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
        self.db = Database(self.conn)
        self.cipher = cipher or Cipher()
        self._lock = threading.RLock()
        self._last_update_at = ""
        self._tracked: list[tuple[int, int, str, str, str]] = []  # message ids not yet written (see track_message)
        # Message ids in the chats of people who have not agreed: kept in memory only, never written, until they
        # agree (`save` moves them into `messages`), so /exit can clear a chat from its first message.
        self._unagreed: OrderedDict[str, dict[tuple[int, int], str]] = OrderedDict()
        try:
            migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable SQLite database ({exc})") from None

    def close(self) -> None:
        if self._tracked:
            with self.transaction():
                pass
        self.conn.close()

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
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # ---- people and their answers ----------------------------------------------------------------

    def load(self, pid: str) -> Person | None:
        row = self.execute("SELECT state, profile, agreed_at FROM people WHERE id = ?", (pid,)).fetchone()
        if row is None:
            return None
        answers: dict[str, dict[str, Any]] = {}
        for flow, step, value, kid in self.execute(
                "SELECT flow, step, value, key_id FROM answers WHERE person = ?", (pid,)):
            text = self.cipher.decrypt(value, kid, pid, f"answer:{flow}.{step}")
            answers.setdefault(flow, {})[step] = json.loads(text)
        completed = frozenset(r[0] for r in self.execute("SELECT DISTINCT flow FROM completions WHERE person = ?", (pid,)))
        return Person(conversation=Conversation.from_dict(json.loads(row[0])), answers=answers, completed=completed,
                      agreed=row[2] is not None, profile=json.loads(row[1]))

    def exists(self, pid: str) -> bool:
        return self.execute("SELECT 1 FROM people WHERE id = ?", (pid,)).fetchone() is not None

    def save(self, pid: str, result: Result, now: datetime, *, chat_id: int | None = None,
             content_version: str | None = None, text_steps: frozenset[tuple[str, str]] = frozenset()) -> None:
        """Write one turn's result. Call inside a transaction. `text_steps` are answers a person wrote."""
        stamp = iso(now)
        profile_json = None
        if result.profile:
            row = self.execute("SELECT profile FROM people WHERE id = ?", (pid,)).fetchone()
            profile = json.loads(row[0]) if row else {}
            profile.update(result.profile)
            profile_json = json.dumps(profile, sort_keys=True)
        state = json.dumps(result.conversation.to_dict(), sort_keys=True)
        self.execute(
            """INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state, content_version)
               VALUES (?, ?, ?, ?, ?, COALESCE(?, '{}'), ?, ?)
               ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, state = excluded.state,
                 chat_id = COALESCE(excluded.chat_id, people.chat_id), active = 1,
                 profile = COALESCE(?, people.profile),
                 agreed_at = COALESCE(people.agreed_at, excluded.agreed_at),
                 content_version = excluded.content_version""",
            (pid, chat_id, stamp, stamp, stamp, profile_json, state, content_version, profile_json),
        )
        if pid in self._unagreed:  # they agreed: what /exit should clear of their first messages is written now
            self._write_messages([(c, m, pid, at) for (c, m), at in self._unagreed.pop(pid).items()])
        for (flow, step), value in result.answers.items():
            raw = json.dumps(value, ensure_ascii=False)
            kid = None
            if (flow, step) in text_steps:
                raw, kid = self.cipher.encrypt(raw, pid, f"answer:{flow}.{step}")
            self.execute(
                """INSERT INTO answers (person, flow, step, value, key_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(person, flow, step) DO UPDATE SET value = excluded.value, key_id = excluded.key_id,
                   updated_at = excluded.updated_at""",
                (pid, flow, step, raw, kid, stamp),
            )
        for entry in result.journal:
            self.add_journal(pid, entry.flow, entry.step, entry.text, now)
        for event in result.events:
            if event.name == "flow_completed":
                self.execute("INSERT INTO completions (person, flow, completed_at) VALUES (?, ?, ?)",
                             (pid, event.flow, stamp))

    def add_journal(self, pid: str, flow: str, step: str, text: str, now: datetime) -> int:
        value, kid = self.cipher.encrypt(text, pid, "journal")
        cur = self.execute("INSERT INTO journal (person, created_at, flow, step, text, key_id) VALUES (?, ?, ?, ?, ?, ?)",
                           (pid, iso(now), flow, step, value, kid))
        return int(cur.lastrowid or 0)

    def journal(self, pid: str, *, offset: int = 0, limit: int = 5) -> list[dict[str, Any]]:
        rows = self.execute(
            "SELECT id, created_at, flow, step, text, key_id FROM journal WHERE person = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (pid, limit, offset)).fetchall()
        return [{"id": r[0], "created_at": r[1], "flow": r[2], "step": r[3],
                 "text": self.cipher.decrypt(r[4], r[5], pid, "journal")} for r in rows]

    def journal_count(self, pid: str) -> int:
        return int(self.execute("SELECT count(*) FROM journal WHERE person = ?", (pid,)).fetchone()[0])

    def journal_entry(self, pid: str, entry_id: int) -> dict[str, Any] | None:
        """One of this person's entries, or None (another person's id is as good as none)."""
        r = self.execute("SELECT id, created_at, flow, step, text, key_id FROM journal WHERE person = ? AND id = ?",
                         (pid, entry_id)).fetchone()
        if r is None:
            return None
        return {"id": r[0], "created_at": r[1], "flow": r[2], "step": r[3],
                "text": self.cipher.decrypt(r[4], r[5], pid, "journal")}

    def delete_journal(self, pid: str, entry_id: int) -> bool:
        """Delete one entry (secure_delete overwrites it in the file); True when there was one."""
        return self.execute("DELETE FROM journal WHERE person = ? AND id = ?", (pid, entry_id)).rowcount > 0

    def set_profile(self, pid: str, **values: Any) -> None:
        row = self.execute("SELECT profile FROM people WHERE id = ?", (pid,)).fetchone()
        if row is None:
            return
        profile = json.loads(row[0])
        profile.update(values)
        self.execute("UPDATE people SET profile = ? WHERE id = ?", (json.dumps(profile, sort_keys=True), pid))

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

    # ---- erasure ------------------------------------------------------------------------------------

    def erase(self, pid: str) -> None:
        """Delete every row about a person (call inside a transaction; then `checkpoint()` after commit)."""
        for table in ("answers", "journal", "completions", "checkins", "schedules", "followups", "messages", "locks"):
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
        stamp = iso(now)
        self.execute("INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)", (update_id, stamp))
        if stamp != self._last_update_at:  # the status figure needs seconds, not a write per update
            self._last_update_at = stamp
            self.execute("INSERT INTO meta (key, value) VALUES ('last_update_at', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (stamp,))

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

    def track_message(self, pid: str, chat_id: int, message_id: int, now: datetime) -> None:
        """Remember a message id for /exit. It is written at the start of the next transaction (any turn, or
        the minute sweep), which saves a commit per sent message; a crash before then can only leave those
        few ids unremembered. Ids of someone who has not agreed are held in memory instead (see `save`)."""
        self._tracked.append((chat_id, message_id, pid, iso(now), pid))

    def _flush_tracked(self) -> None:
        rows, self._tracked = self._tracked, []
        if not rows:
            return
        pids = sorted({r[2] for r in rows})
        known: set[str] = set()
        for i in range(0, len(pids), 500):
            chunk = pids[i:i + 500]
            known.update(r[0] for r in self.conn.execute(
                f"SELECT id FROM people WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        self._write_messages([r[:4] for r in rows if r[2] in known])
        for chat_id, message_id, pid, at, _ in rows:
            if pid not in known:
                self._hold_message(pid, chat_id, message_id, at)

    def _write_messages(self, rows: list[tuple[int, int, str, str]]) -> None:
        if rows:
            self.conn.executemany(
                "INSERT OR IGNORE INTO messages (chat_id, message_id, person, sent_at) VALUES (?, ?, ?, ?)", rows)

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

    def forget_messages(self, pid: str) -> None:
        self.execute("DELETE FROM messages WHERE person = ?", (pid,))
        self._unagreed.pop(pid, None)

    # ---- anonymous figures ---------------------------------------------------------------------------

    def bump(self, metric: str, now: datetime, *, flow: str = "", count: int = 1, total: float = 0.0) -> None:
        self.execute(
            """INSERT INTO stats (week, metric, flow, count, total) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(week, metric, flow) DO UPDATE SET count = count + excluded.count,
               total = total + excluded.total""",
            (week_of(now), metric, flow, count, total),
        )
