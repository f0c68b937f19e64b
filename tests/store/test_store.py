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
    chat.send("5")  # tick fear
    chat.send("6")  # done
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
