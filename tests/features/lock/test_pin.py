"""The PIN itself: set with two equal entries, refused kindly at the wrong length, paused after wrong tries
(by a stored time, read through the injected clock), forgotten only by /delete, and stored so that a copied
database holds neither the PIN nor a hash to try PINs against."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from bot.features.lock import state
from bot.features.lock.guard import FREE_TRIES
from bot.features.lock.pin import derive
from bot.store.crypto import Cipher, new_key
from flows.model import Input
from tests.conftest import make_app
from tests.support.lock import PIN, is_locked, lock_row, on_pad, set_pin
from tests.support.people import agreed

LENGTH = "A PIN has 4 to 8 digits"


def keys(chat, digits: str) -> None:
    for d in digits:
        chat.press(f"pin:{d}")


# ---- setting a PIN -------------------------------------------------------------------------------------

def test_a_pin_is_set_only_after_two_equal_entries(app):
    chat = agreed(app)
    chat.send("/lock")
    chat.send("1234")
    assert chat.at == "lock confirm"
    assert lock_row(app, chat.pid) is None or lock_row(app, chat.pid)[0] is None  # nothing stored yet
    out = chat.send("4321")
    assert "didn't match" in out and "nothing was set" in out
    assert chat.at == "lock set"  # starts again from the first entry
    assert lock_row(app, chat.pid) is None or lock_row(app, chat.pid)[0] is None
    chat.send("4321")
    assert chat.at == "lock confirm"
    out = chat.send("4321")
    assert "Your PIN is set." in out and "/delete" in out
    assert lock_row(app, chat.pid)[0] is not None


def test_the_pad_keys_set_a_pin_too(app):
    chat = agreed(app)
    chat.send("/lock")
    keys(chat, "12345")
    chat.press("pin:del")
    assert chat.last.text.endswith("● ● ● ●")  # four dots, no digits
    chat.press("pin:ok")
    assert chat.at == "lock confirm"
    keys(chat, "1234")
    chat.press("pin:ok")
    assert lock_row(app, chat.pid)[0] is not None
    chat.send("/exit")
    chat.send("/lock")  # locked: the unlock pad
    assert on_pad(chat)
    chat.send("12345")
    assert on_pad(chat)  # the deleted 5 was not part of it
    assert "didn't match" in chat.outputs[-1]


@pytest.mark.parametrize("typed", ["123", "1", "123456789", "1234 5678 90"])
def test_typed_pins_of_the_wrong_length_are_refused_kindly(app, typed):
    chat = agreed(app)
    chat.send("/lock")
    out = chat.handle(Input.text(typed))  # as the console sends digits typed at a pad (bot/adapters/console.py)
    assert LENGTH in out
    assert chat.at == "lock set"
    out = chat.send("1234")
    assert chat.at == "lock confirm"
    out = chat.handle(Input.text(typed))
    assert LENGTH in out and chat.at == "lock confirm"  # the first entry is kept
    chat.send("1234")
    assert lock_row(app, chat.pid)[0] is not None
    assert app.store.journal(chat.pid) == []  # the digits were never free text to keep


def test_too_few_keys_on_the_pad_are_refused_and_more_than_eight_are_not_taken(app):
    chat = agreed(app)
    chat.send("/lock")
    keys(chat, "123")
    out = chat.press("pin:ok")
    assert LENGTH in out and chat.at == "lock set"
    keys(chat, "123456789")
    assert chat.last.text.count("●") == 8
    chat.press("pin:ok")
    assert chat.at == "lock confirm"
    chat.send("12345678")
    assert "Your PIN is set." in chat.outputs[-1]


def test_typed_digits_while_locked_never_reach_the_journal(app):
    chat = agreed(app)
    set_pin(chat)
    chat.send("/exit")
    out = chat.send("123")  # three digits: too short for a PIN, too many for an option number
    assert on_pad(chat) and LENGTH in out
    assert app.store.journal(chat.pid) == []


# ---- wrong tries ---------------------------------------------------------------------------------------

def locked(app):
    chat = agreed(app)
    set_pin(chat)
    chat.send("/lock now")
    assert is_locked(app, chat.pid)
    chat.send("hello")  # the first message after locking gets the neutral start
    assert chat.at == "welcome hello"
    chat.send("/journal")
    assert on_pad(chat)
    return chat


def test_five_wrong_tries_pause_by_a_stored_time(app):
    chat = locked(app)
    for n in range(1, FREE_TRIES):
        out = chat.send("0000")
        assert "didn't match" in out and lock_row(app, chat.pid)[3] == n and lock_row(app, chat.pid)[4] is None
    out = chat.send("0000")
    fifth = chat.now
    retry_at = state.read(app.store, chat.pid).retry_at
    assert retry_at == fifth + timedelta(minutes=1)
    assert f"after {retry_at:%H:%M}" in out and "help lines are open" in out
    # the right PIN during the pause is refused, and counts as nothing
    chat.now = retry_at - timedelta(seconds=10)
    out = chat.send(PIN)
    assert on_pad(chat) and "pause" in out
    assert is_locked(app, chat.pid)
    assert state.read(app.store, chat.pid).retry_at == retry_at
    # after the pause, accepted, and the tries start again
    chat.now = retry_at
    out = chat.send(PIN)
    assert out.startswith("Unlocked.")
    assert not is_locked(app, chat.pid)
    assert lock_row(app, chat.pid)[3:] == (0, None)


def test_each_wrong_try_after_the_fifth_doubles_the_pause(app):
    chat = locked(app)
    for _ in range(FREE_TRIES):
        chat.send("0000")
    first = state.read(app.store, chat.pid).retry_at
    chat.now = first
    chat.send("0000")
    assert state.read(app.store, chat.pid).retry_at == chat.now + timedelta(minutes=2)


def test_the_pause_holds_over_a_restart(app, store_path, content):
    chat = locked(app)
    for _ in range(FREE_TRIES):
        chat.send("0000")
    retry_at = state.read(app.store, chat.pid).retry_at
    app.store.close()
    again = make_app(store_path, content)
    chat.app = again
    chat.now = retry_at - timedelta(seconds=30)  # the driver adds 5 s a turn
    chat.send(PIN)
    assert is_locked(again, chat.pid)
    chat.now = retry_at
    chat.send(PIN)
    assert not is_locked(again, chat.pid)
    again.store.close()


def test_a_forgotten_pin_points_to_delete(app):
    chat = locked(app)
    out = chat.press("lock:forgot")
    assert "/delete" in out and "can't be recovered" in out
    assert on_pad(chat)


def test_delete_while_locked_erases_the_lock_too(app):
    chat = locked(app)
    chat.send("/journal")
    chat.send("/delete")
    assert chat.at == "delete confirm"
    chat.press("delete_all")
    for table in ("people", "locks"):
        column = "id" if table == "people" else "person"
        assert app.store.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (chat.pid,)).fetchone()[0] == 0
    # a new start has no lock
    chat.send("/start")
    chat.send("1")
    chat.send("/journal")
    assert chat.at == "journal page"


# ---- how it is stored ----------------------------------------------------------------------------------

def stored(app, pid: str) -> tuple[dict, str | None]:
    """The scrypt parameters and salt (`pin`), with the hash as stored (`pin_hash`) under "hash"."""
    text, digest, kid = app.store.execute("SELECT pin, pin_hash, key_id FROM locks WHERE person = ?",
                                          (pid,)).fetchone()
    return {**json.loads(text), "hash": digest}, kid


def test_with_a_data_key_the_stored_pin_is_neither_the_pin_nor_its_hash(store_path, content):
    key = new_key()
    app = make_app(store_path, content, data_key=key)
    chat = agreed(app)
    set_pin(chat)
    data, kid = stored(app, chat.pid)
    plain_hash = base64.b64encode(derive(PIN, base64.b64decode(data["salt"]), data["n"], data["r"],
                                         data["p"])).decode()
    row = "".join(app.store.execute("SELECT pin, pin_hash FROM locks WHERE person = ?", (chat.pid,)).fetchone())
    assert PIN not in row
    assert data["hash"] != plain_hash and plain_hash not in row
    assert kid == Cipher(key).current
    # what it is: that hash, encrypted with the key (so the comparison above compared the right things)
    assert Cipher(key).decrypt(data["hash"], kid, chat.pid, "lock_pin") == plain_hash
    chat.send("/lock now")
    chat.send("/journal")
    chat.send(PIN)
    assert not is_locked(app, chat.pid)
    app.store.close()


def test_without_a_key_the_hash_is_stored_salted_and_slow(app):
    chat = agreed(app)
    set_pin(chat)
    data, kid = stored(app, chat.pid)
    assert kid is None and PIN not in json.dumps(data)
    assert data["n"] >= 2**13 and len(base64.b64decode(data["salt"])) == 16


def test_the_pin_survives_fulcrum_rekey(store_path, content):
    """pin.py: the encryption is the pepper, and unlike a key mixed into the hash it survives a rekey."""
    from click.testing import CliRunner

    from bot.features.privacy import check_keys
    from bot.ops.cli import cli

    old, new = new_key(), new_key()
    app = make_app(store_path, content, data_key=old)
    chat = agreed(app)
    set_pin(chat)
    chat.send("/lock now")
    app.store.close()
    result = CliRunner().invoke(cli, ["rekey", "--new-key", new, "--db", str(store_path)],
                                env={"FULCRUM_DATA_KEY": old})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("re-encrypted 2 values")  # this person wrote nothing: their row and the PIN
    after = make_app(store_path, content, data_key=new)
    check_keys(after.store)  # the new key reads everything, the PIN included
    assert stored(after, chat.pid)[1] == Cipher(new).current
    chat.app = after
    chat.send("hello")
    chat.send(PIN)
    assert not is_locked(after, chat.pid)
    after.store.close()
    # a key that cannot read the PIN is found at start, like one that cannot read answers (here only the
    # PIN is encrypted: this person wrote nothing)
    from bot.store.store import Store
    wrong = Store(store_path, Cipher(new_key()))
    assert wrong.execute("SELECT count(*) FROM journal").fetchone()[0] == 0
    with pytest.raises(Exception, match="encrypted with key"):
        check_keys(wrong)
    wrong.close()
