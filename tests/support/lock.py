"""People with a PIN, at the console driver (tests/support/driver.py): set one, lock, and what the lock stored."""

from __future__ import annotations

from tests.support.driver import Chat

PIN = "2580"


def set_pin(chat: Chat, pin: str = PIN) -> None:
    """/lock, then the PIN twice (typed, as the console takes it at a pad step)."""
    chat.send("/lock")
    assert chat.at == "lock set", chat.outputs[-1]
    chat.send(pin)
    assert chat.at == "lock confirm", chat.outputs[-1]
    chat.send(pin)
    assert "Your PIN is set." in chat.outputs[-1]


def lock_row(app, pid: str) -> tuple | None:
    """The person's row in the `locks` table: (pin, locked, neutral, failures, retry_at)."""
    return app.store.execute("SELECT pin, locked, neutral, failures, retry_at FROM locks WHERE person = ?",
                             (pid,)).fetchone()


def is_locked(app, pid: str) -> bool:
    row = lock_row(app, pid)
    return bool(row and row[1])


def on_pad(chat: Chat) -> bool:
    return chat.last is not None and chat.last.kind == "pad" and chat.at == "lock unlock"
