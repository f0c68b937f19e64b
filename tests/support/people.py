"""People at the console driver (tests/support/driver.py): agreed, at a reflection, and what the database
keeps about them (every table that holds a person's rows, the raw bytes of the file and its WAL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.support.driver import Chat

WAYOUTS = {"back", "menu", "resume", "skip"}
PERSON_TABLES = ("answers", "journal", "records", "completions", "checkins", "schedules", "followups", "messages")


def agreed(app, user: str = "p") -> Chat:
    """Someone who opened the bot (/start) and agreed to the notice (option 1)."""
    chat = Chat(app, user)
    chat.send("/start")
    chat.send("1")  # agree
    assert app.store.load(chat.pid).agreed
    return chat


def agree(chat, flow: str = "signs") -> None:
    chat.send(f"/flow {flow}")
    chat.press("agree")
    assert chat.last.flow == flow


def to_reflection(chat, limit: int = 30) -> None:
    """Answer on (first real option; Done at a checklist) until the person is at a reflection step."""
    for _ in range(limit):
        if chat.last.kind == "reflection":
            return
        if chat.last.kind == "checklist":
            chat.press(chat.last.options[0].id)
            chat.press("done")
            continue
        choice = next(o for o in chat.last.options if o.id not in WAYOUTS)
        chat.press(choice.id)
    raise AssertionError(f"no reflection reached from {chat.at}")


def agree_and_reflect(app, user: str, start: datetime, text: str, flow: str = "signs") -> Chat:
    """Agree, answer on until a reflection step and write `text` there (it is kept as an answer and in the journal)."""
    chat = Chat(app, user, start=start)
    agree(chat, flow)
    to_reflection(chat)
    chat.send(text)
    return chat


def raw_bytes(db: Path) -> bytes:
    """The database file and its write-ahead log, as they are on disk right now."""
    data = db.read_bytes()
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    return data


def rows_about(store, pid: str) -> int:
    n = sum(store.execute(f"SELECT count(*) FROM {t} WHERE person = ?", (pid,)).fetchone()[0] for t in PERSON_TABLES)
    return n + store.execute("SELECT count(*) FROM people WHERE id = ?", (pid,)).fetchone()[0]
