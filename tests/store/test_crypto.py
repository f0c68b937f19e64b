"""Encryption at rest: nothing a person writes is readable in the file; keys rotate; wrong keys fail clearly."""

from __future__ import annotations

import json
import os
import sys
import subprocess
import tempfile

import pytest

from bot.core.figures import known_names
from bot.store.crypto import Cipher, KeyError_, new_key
from bot.features.privacy import check_keys, export_data, rekey
from bot.store.store import Store
from tests.conftest import make_app
from tests.support.people import agree, raw_bytes, to_reflection
from tests.support.driver import Chat

MARKER = "QZX-secret-reflection-5521"


def _write(app, user: str = "k") -> tuple[Chat, tuple[str, str]]:
    chat = Chat(app, user)
    agree(chat)
    to_reflection(chat)
    where = (chat.last.flow, chat.last.step)
    chat.send(MARKER)
    return chat, where


def _cli(*args: str, key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FULCRUM_")}
    if key:
        env["FULCRUM_DATA_KEY"] = key
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=tempfile.gettempdir(),
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_with_a_key_the_text_never_appears_in_the_file_or_wal(store_path, content):
    app = make_app(store_path, content, data_key=new_key())
    chat, (flow, step) = _write(app)
    assert MARKER.encode() not in raw_bytes(store_path)  # WAL still holds the turn here
    row = app.store.execute("SELECT key_id FROM people WHERE id = ?", (chat.pid,)).fetchone()
    assert row[0] == app.store.cipher.current
    assert app.store.execute("SELECT count(*) FROM answers").fetchone()[0] == 0  # answers live, sealed, on the row
    assert app.store.execute("SELECT count(*) FROM journal WHERE key_id IS NULL").fetchone()[0] == 0
    # and it reads back for the person
    assert app.store.load(chat.pid).answers[flow][step] == MARKER
    assert app.store.journal(chat.pid)[0]["text"] == MARKER
    app.store.checkpoint()
    assert MARKER.encode() not in raw_bytes(store_path)
    app.store.close()


def test_rekey_old_key_to_new_key(store_path, content):
    old, new = new_key(), new_key()
    app = make_app(store_path, content, data_key=old)
    chat, (flow, step) = _write(app)
    done = app.store.completions(chat.pid)
    n = rekey(app.store, Cipher(new), known_names(content))
    assert n == 2 + len(done)  # the person's row (state, profile, answers), the journal entry, finished flows
    app.store.close()

    with_new = Store(store_path, Cipher(new))
    assert with_new.load(chat.pid).answers[flow][step] == MARKER
    assert with_new.journal(chat.pid)[0]["text"] == MARKER
    with_new.close()
    with_old = Store(store_path, Cipher(old))
    with pytest.raises(KeyError_):
        with_old.load(chat.pid)
    with pytest.raises(KeyError_):
        check_keys(with_old)
    with_old.close()


def test_rekey_from_plaintext_to_a_key(store_path, content):
    app = make_app(store_path, content)
    assert not app.store.cipher.enabled
    chat, (flow, step) = _write(app)
    assert MARKER.encode() in raw_bytes(store_path)
    key = new_key()
    chosen = next(v for v in app.store.load(chat.pid).answers["signs"].values() if isinstance(v, list))[0]
    assert f'"{chosen}"'.encode() in raw_bytes(store_path)
    assert rekey(app.store, Cipher(key), known_names(content)) == 2 + len(app.store.completions(chat.pid))
    assert app.store.execute("SELECT count(*) FROM people WHERE key_id IS NULL").fetchone()[0] == 0
    assert f'"{chosen}"'.encode() not in raw_bytes(store_path)  # option ids are encrypted too now
    assert MARKER.encode() not in raw_bytes(store_path)  # secure_delete + checkpoint: the plaintext is gone
    app.store.close()
    again = Store(store_path, Cipher(key))
    assert again.load(chat.pid).answers[flow][step] == MARKER
    again.close()


def test_fulcrum_rekey_command_counts_and_reminds(store_path, content):
    old, new = new_key(), new_key()
    app = make_app(store_path, content, data_key=old)
    chat, _ = _write(app)
    rows = 2 + len(app.store.completions(chat.pid))
    app.store.close()
    out = _cli("rekey", "--new-key", new, "--db", str(store_path), key=old)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"re-encrypted {rows} values with key {Cipher(new).current}"
    assert "FULCRUM_DATA_KEY" in lines[1]
    # the old key no longer opens it: one line naming the problem
    out = _cli("rekey", "--new-key", new_key(), "--db", str(store_path), key=old)
    assert out.returncode == 1
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and "encrypted with key" in err[0] and "FULCRUM_DATA_KEY" in err[0], out.stderr


def test_wrong_or_missing_key_fails_in_one_line(store_path, content):
    app = make_app(store_path, content, data_key=new_key())
    _write(app)
    app.store.close()
    for key in (new_key(), None):
        out = subprocess.run([sys.executable, "-m", "bot", "chat", "--db", str(store_path)], input="", text=True,
                             capture_output=True, cwd=tempfile.gettempdir(), timeout=120,
                             env={**{k: v for k, v in os.environ.items() if not k.startswith("FULCRUM_")},
                                  **({"FULCRUM_DATA_KEY": key} if key else {})})
        assert out.returncode == 1
        lines = [l for l in out.stderr.splitlines() if l.startswith("fulcrum:")]
        assert len(lines) == 1 and "encrypted with key" in lines[0], out.stderr
    out = _cli("rekey", "--new-key", "not-a-key", "--db", str(store_path))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "--new-key" in out.stderr


def test_chat_warns_once_when_text_is_stored_in_the_clear(store_path):
    out = _cli("chat", "--db", str(store_path))
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("FULCRUM_DATA_KEY is not set") == 1
    out = _cli("chat", "--db", str(store_path.with_name("k.db")), key=new_key())
    assert "FULCRUM_DATA_KEY is not set" not in out.stderr


def test_a_value_copied_to_another_person_does_not_decrypt(store_path, content, now):
    app = make_app(store_path, content, data_key=new_key())
    a, (flow, step) = _write(app, "a")
    b = Chat(app, "b")
    agree(b)
    value, kid = app.store.execute("SELECT answers, key_id FROM people WHERE id = ?", (a.pid,)).fetchone()
    with app.store.transaction():
        app.store.execute("UPDATE people SET answers = ? WHERE id = ?", (value, b.pid))
    with pytest.raises(KeyError_, match="could not be decrypted"):
        app.store.load(b.pid)
    # and to another field of the same person
    jtext = app.store.execute("SELECT text FROM journal WHERE person = ?", (a.pid,)).fetchone()[0]
    with pytest.raises(KeyError_):
        app.store.cipher.decrypt(jtext, kid, a.pid, "answers")
    app.store.close()


def test_cipher_round_trip_and_key_id():
    key = new_key()
    c = Cipher(key)
    value, kid = c.encrypt("hello", "cli:x", "journal")
    assert kid == c.current and "hello" not in value
    assert c.decrypt(value, kid, "cli:x", "journal") == "hello"
    assert Cipher().encrypt("hello", "cli:x", "journal") == ("hello", None)
    with pytest.raises(KeyError_, match="not configured"):
        Cipher(new_key()).decrypt(value, kid, "cli:x", "journal")


def test_export_is_decrypted_for_the_person(store_path, content, now):
    app = make_app(store_path, content, data_key=new_key())
    chat, (flow, step) = _write(app)
    data = export_data(app.store, chat.pid, now)
    assert data["answers"][flow][step] == MARKER
    assert data["journal"][0]["text"] == MARKER
    app.store.close()


def test_rows_from_before_the_move_are_read_then_sealed_at_the_next_turn(store_path, content):
    app = make_app(store_path, content)
    chat, (flow, step) = _write(app)
    answers = app.store.load(chat.pid).answers
    with app.store.transaction():  # the layout before m005: one plaintext row per answer, nothing on the person's row
        app.store.execute("UPDATE people SET answers = NULL, completed = NULL WHERE id = ?", (chat.pid,))
        for f, steps in answers.items():
            for s, v in steps.items():
                app.store.execute("INSERT INTO answers (person, flow, step, value, updated_at) VALUES (?, ?, ?, ?, '')",
                                  (chat.pid, f, s, json.dumps(v)))
    app.store.close()
    app = make_app(store_path, content, data_key=new_key())
    assert app.store.load(chat.pid).answers == answers
    chat.app = app
    chat.send("/menu")
    assert app.store.execute("SELECT count(*) FROM answers").fetchone()[0] == 0
    row = app.store.execute("SELECT key_id, answers, state FROM people WHERE id = ?", (chat.pid,)).fetchone()
    assert row[0] == app.store.cipher.current and MARKER not in row[1] and "signs" not in row[2]
    assert app.store.load(chat.pid).answers[flow][step] == MARKER
    app.store.close()
