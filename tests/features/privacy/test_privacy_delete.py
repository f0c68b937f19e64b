"""/delete: a confirmation with exactly two choices, then nothing about the person anywhere in the file.

The scans read the raw bytes of the database and its -wal. A control run with secure_delete off shows the
same scan finds deleted text when SQLite is allowed to leave it in free space, so a clean scan means something.
"""

from __future__ import annotations



from bot.core.service import Fulcrum
from bot.store.store import Store
from tests.conftest import make_app
from tests.support.people import agree, raw_bytes, rows_about, to_reflection
from tests.support.driver import Chat

FIRST = "QZX-first-marker-7731"
SECOND = "QZX-second-marker-9902"


def _app(store_path, content, *, secure_delete: bool) -> Fulcrum:
    return make_app(store_path, content, store=Store(store_path, secure_delete=secure_delete))


def _write_markers(chat: Chat) -> None:
    """One marker in a reflection, then the same reflection answered again (the first is overwritten)."""
    agree(chat)
    to_reflection(chat)
    reflection = (chat.last.flow, chat.last.step)
    chat.send(FIRST)
    chat.press("back")
    assert (chat.last.flow, chat.last.step) == reflection
    chat.send(SECOND)
    person = chat.app.store.load(chat.pid)
    assert person.answers[reflection[0]][reflection[1]] == SECOND


def _delete(chat: Chat):
    chat.send("/delete")
    assert chat.last.flow == "delete"
    assert [o.label for o in chat.last.options] == ["Delete everything", "Cancel"]
    chat.press("delete_all")
    return chat.outcome


def test_delete_leaves_no_trace_in_the_database_or_its_wal(store_path, content):
    app = _app(store_path, content, secure_delete=True)
    chat = Chat(app, "d")
    _write_markers(chat)
    app.store.track_message(chat.pid, 42, 7, chat.now)
    before = raw_bytes(store_path)
    assert SECOND.encode() in before  # no key in this test: the text is there to be found

    outcome = _delete(chat)

    assert outcome.erased
    assert outcome.delete_messages == [(42, 7)]
    assert [r.text for r in outcome.replies] == [app.content.note("deleted")]
    assert "48 hours" in outcome.replies[0].text and "erased" in outcome.replies[0].text
    assert rows_about(app.store, chat.pid) == 0
    data = raw_bytes(store_path)
    assert FIRST.encode() not in data
    assert SECOND.encode() not in data
    wal = store_path.with_name(store_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpoint(TRUNCATE) found no busy page
    app.store.close()


def test_control_without_secure_delete_the_scan_finds_deleted_text(store_path, content):
    app = _app(store_path, content, secure_delete=False)
    assert app.store.execute("PRAGMA secure_delete").fetchone()[0] == 0
    chat = Chat(app, "c")
    _write_markers(chat)
    assert FIRST.encode() in raw_bytes(store_path)
    assert SECOND.encode() in raw_bytes(store_path)

    _delete(chat)

    assert rows_about(app.store, chat.pid) == 0
    assert SECOND.encode() in raw_bytes(store_path), "control: without secure_delete the text stays in free pages"
    app.store.close()


def test_nothing_is_stored_after_delete_until_they_start_again(app, content):
    chat = Chat(app, "n")
    agree(chat)
    _delete(chat)
    chat.send("hello")
    assert chat.last.flow == "onboarding"
    assert rows_about(app.store, chat.pid) == 0
    assert app.store.load(chat.pid) is None
    chat.press("agree")
    assert app.store.load(chat.pid) is not None


def test_cancel_goes_back_to_where_they_were_and_keeps_everything(app):
    chat = Chat(app, "k")
    agree(chat)
    to_reflection(chat)
    chat.send("kept")
    where = chat.at
    chat.send("/delete")
    chat.press("cancel")
    assert chat.at == where
    assert app.store.journal_count(chat.pid) == 1


def test_delete_before_agreeing_stores_nothing(app):
    chat = Chat(app, "early")
    chat.send("/start")
    assert chat.last.flow == "onboarding"
    chat.send("/delete")
    assert chat.last.flow == "delete"
    chat.press("delete_all")
    assert chat.outcome.replies[0].text.startswith("Everything I saved about you is erased")
    assert app.store.execute("SELECT count(*) FROM people").fetchone()[0] == 0


def test_checkpoint_retries_while_a_reader_holds_the_wal(fresh_store, now, monkeypatch):
    import sqlite3

    fresh_store.execute("CREATE TABLE IF NOT EXISTS t (x)")
    fresh_store.execute("INSERT INTO t VALUES (1)")
    reader = sqlite3.connect(str(fresh_store.path))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a read snapshot pins the WAL
    fresh_store.execute("INSERT INTO t VALUES (2)")
    sleeps: list[float] = []
    monkeypatch.setattr("bot.store.store.time.sleep", sleeps.append)
    # Each TRUNCATE checkpoint waits busy_timeout (30 s in production) for the reader: 90 s of nothing here.
    fresh_store.execute("PRAGMA busy_timeout=20")
    assert fresh_store.checkpoint(attempts=3) is False
    assert len(sleeps) == 2
    reader.execute("COMMIT")
    reader.close()
    assert fresh_store.checkpoint() is True
