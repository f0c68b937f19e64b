"""One person's lock, as the `locks` table keeps it (one row once they set a PIN or used /exit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import from_iso, iso
from bot.features.lock.pin import Stored
from bot.store.store import Store


@dataclass
class Lock:
    pin: Stored | None = None
    locked: bool = False  # set by /exit, /lock now and the idle sweep; cleared by the right PIN
    neutral: bool = False  # after /exit: the next message gets a start that shows nothing of before
    idle_minutes: int | None = None  # None: the setting's default
    failures: int = 0
    retry_at: datetime | None = None
    last_seen: datetime | None = None  # of the person (people.last_seen), before this turn

    def idle(self, default: int) -> timedelta:
        return timedelta(minutes=self.idle_minutes or default)

    def is_locked(self, now: datetime, default_idle: int) -> bool:
        """Locked, or would be: a PIN, and no turn for longer than the idle time."""
        if self.pin is None:
            return False
        return self.locked or (self.last_seen is not None and now - self.last_seen >= self.idle(default_idle))


def read(store: Store, pid: str) -> Lock | None:
    """The person's lock (a default one when they have none), or None when the person is not stored."""
    row = store.execute(
        "SELECT p.last_seen, l.pin, l.pin_hash, l.key_id, l.locked, l.neutral, l.idle_minutes, l.failures, l.retry_at "
        "FROM people p LEFT JOIN locks l ON l.person = p.id WHERE p.id = ?", (pid,)).fetchone()
    if row is None:
        return None
    last_seen, pin, digest, kid, locked, neutral, idle, failures, retry_at = row
    return Lock(pin=Stored.from_columns(pin, digest, kid) if pin and digest else None, locked=bool(locked), neutral=bool(neutral),
                idle_minutes=idle, failures=failures or 0, retry_at=from_iso(retry_at), last_seen=from_iso(last_seen))


def write(store: Store, pid: str, lock: Lock) -> None:
    pin = lock.pin
    store.execute(
        """INSERT INTO locks (person, pin, pin_hash, key_id, locked, neutral, idle_minutes, failures, retry_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(person) DO UPDATE SET pin = excluded.pin, pin_hash = excluded.pin_hash,
             key_id = excluded.key_id,
             locked = excluded.locked, neutral = excluded.neutral, idle_minutes = excluded.idle_minutes,
             failures = excluded.failures, retry_at = excluded.retry_at""",
        (pid, pin.params() if pin else None, pin.digest if pin else None, pin.key_id if pin else None, int(lock.locked), int(lock.neutral),
         lock.idle_minutes, lock.failures, iso(lock.retry_at)))


def idle_unlocked(store: Store, now: datetime, default_idle: int) -> list[str]:
    """People with a PIN, not yet locked, who have been away longer than their idle time."""
    rows = store.execute(
        "SELECT l.person, p.last_seen, l.idle_minutes FROM locks l JOIN people p ON p.id = l.person "
        "WHERE l.pin IS NOT NULL AND l.locked = 0").fetchall()
    return [pid for pid, seen, idle in rows
            if seen and now - from_iso(seen) >= timedelta(minutes=idle or default_idle)]  # type: ignore[operator]


def lock_now(store: Store, pid: str) -> None:
    store.execute("UPDATE locks SET locked = 1 WHERE person = ?", (pid,))
