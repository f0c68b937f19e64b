"""Shared steps for the privacy tests: reach a reflection, scan the raw database files."""

from __future__ import annotations

from pathlib import Path

WAYOUTS = {"back", "menu", "resume", "skip"}
PERSON_TABLES = ("answers", "journal", "completions", "checkins", "schedules", "followups", "messages")


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
