"""The SQLite store: file mode, pragmas, atomic turns, resuming after a restart, clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.store.store import Store, StoreError
from flows.model import Conversation, Input, JournalEntry, Result
from tests.conftest import make_app
from tests.support.driver import Chat


def test_new_database_is_owner_only(store_path: Path):
    old = os.umask(0o022)
    try:
        Store(store_path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600


def test_every_connection_has_the_pragmas(fresh_store: Store):
    q = lambda p: fresh_store.execute(f"PRAGMA {p}").fetchone()[0]  # noqa: E731
    assert q("journal_mode") == "wal"
    assert q("synchronous") == 1  # NORMAL
    assert q("foreign_keys") == 1
    assert q("secure_delete") == 1


def test_missing_folder_is_one_clear_line(tmp_path: Path):
    with pytest.raises(StoreError) as err:
        Store(tmp_path / "nope" / "f.db")
    assert "does not exist" in str(err.value) and "\n" not in str(err.value)


def test_corrupt_file_is_one_clear_line(tmp_path: Path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StoreError) as err:
        Store(bad)
    assert str(bad) in str(err.value) and "\n" not in str(err.value)


def test_a_failed_turn_writes_nothing(fresh_store: Store, now):
    result = Result(conversation=Conversation(flow="signs", step="pick"),
                    answers={("signs", "pick"): ["fear"]}, journal=[JournalEntry("signs", "moment", "x")])
    with pytest.raises(RuntimeError):
        with fresh_store.transaction():
            fresh_store.save("cli:a", result, now)
            raise RuntimeError("killed half way")
    assert fresh_store.load("cli:a") is None
    assert fresh_store.execute("SELECT count(*) FROM answers").fetchone()[0] == 0
    assert fresh_store.execute("SELECT count(*) FROM journal").fetchone()[0] == 0


def test_progress_survives_a_restart(store_path: Path, content):
    app = make_app(store_path, content)
    chat = Chat(app, "r")
    chat.send("/flow signs")
    chat.send("1")  # agree
    chat.send("1")  # let's start
    chat.send("8")  # tick fear
    chat.send("9")  # done
    assert chat.at == "signs often"
    app.store.close()

    again = make_app(store_path, content)
    person = again.store.load("cli:r")
    assert person is not None
    assert person.conversation.step == "often"
    assert person.answers["signs"]["pick"] == ["fear"]
    assert again.view("cli:r", chat.now).step == "often"
    again.store.close()


def test_nothing_is_stored_before_agreeing(app, now):
    app.handle("cli:new", Input.command("flow", "signs"), now)
    assert app.store.load("cli:new") is None
    assert app.store.execute("SELECT count(*) FROM people").fetchone()[0] == 0


# ---- message ids for /exit before and after agreeing --------------------------------------------------------

def test_message_ids_before_agreeing_stay_in_memory_then_move_in_when_they_agree(app, now):
    from datetime import timedelta

    from bot.core.clock import iso

    store, pid = app.store, "cli:newcomer"
    app.handle(pid, Input.open(), now)
    store.track_message(pid, 77, 1, now)  # their /start
    store.track_message(pid, 77, 2, now)  # the notice
    store.track_message(pid, 77, 2, now + timedelta(minutes=1))  # edited later: Telegram counts from the send
    with store.transaction():
        pass  # the next transaction writes what was tracked: nothing, for someone who has not agreed
    assert store.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert store.execute("SELECT count(*) FROM people").fetchone()[0] == 0
    assert store.tracked_messages(pid, now) == [(77, 1), (77, 2)]

    app.handle(pid, Input.option("agree", turn=store_turn(app, pid)), now + timedelta(minutes=2))
    assert store.load(pid).agreed
    rows = store.execute("SELECT chat_id, message_id, sent_at FROM messages WHERE person = ? ORDER BY message_id",
                         (pid,)).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(77, 1), (77, 2)]
    assert {r[2] for r in rows} == {iso(now)}  # when they were sent, not when they were written
    assert pid not in store._unagreed


def test_held_ids_expire_after_48_hours_and_are_forgotten_by_exit_and_erase(app, now):
    from datetime import timedelta

    store, pid = app.store, "cli:newcomer"
    store.track_message(pid, 77, 1, now - timedelta(hours=49))
    store.track_message(pid, 77, 2, now - timedelta(hours=1))
    with store.transaction():
        pass
    assert store.tracked_messages(pid, now) == [(77, 2)]
    with store.transaction():
        store.prune(now)
    assert list(store._unagreed[pid]) == [(77, 2)]
    with store.transaction():
        store.forget_messages(pid)
    assert store.tracked_messages(pid, now) == []
    store.track_message(pid, 77, 3, now)
    with store.transaction():
        store.erase(pid)
    assert store.tracked_messages(pid, now) == []


def store_turn(app, pid):
    return app._pending[pid].turn
