"""The lock never stands between a person and help (console level: the real engine on a real SQLite file).

A locked person who writes about danger gets the crisis screen, with the emergency number, in that same turn;
/help, Help and support (seek_help), the check question, technology safety and /delete all open without the
PIN; "Back to where I was" from any of them asks for the PIN and, after it, returns to where they were."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.support.lock import PIN, is_locked, lock_row, on_pad, set_pin
from tests.support.people import agree, agreed

STRANGLED = "he choked me last night"
CHECK = "she says she knows where i work"  # a `tier: check` example in content/safety.yaml


@pytest.fixture
def gb_app(store_path, content):
    application = make_app(store_path, content, default_country="GB")  # the emergency number is 999
    yield application
    application.store.close()


def locked_at_signs_pick(app, how: str = "exit"):
    """Agreed, in the middle of a topic (signs, pick), a PIN set, then locked by /exit or /lock now."""
    chat = agreed(app)
    agree(chat, "signs")
    chat.press("continue")
    assert chat.at == "signs pick"
    set_pin(chat)
    assert chat.at == "signs pick"  # setting a PIN returns to the place
    chat.send("/exit" if how == "exit" else "/lock now")
    assert is_locked(app, chat.pid)
    return chat


@pytest.mark.parametrize("how", ["exit", "lock now"])
def test_a_strangulation_message_gets_the_crisis_screen_in_the_same_turn(gb_app, how):
    chat = locked_at_signs_pick(gb_app, how)
    out = chat.send(STRANGLED)
    assert chat.at == "crisis respond"
    assert "Call 999" in out
    assert "choked or strangled" in out
    assert "Enter your PIN" not in out
    assert chat.outcome.crisis is not None
    assert is_locked(gb_app, chat.pid)  # help came without unlocking


def test_crisis_after_the_neutral_start_too(gb_app):
    chat = locked_at_signs_pick(gb_app)
    chat.send("hello")
    assert chat.at == "welcome hello"
    out = chat.send(STRANGLED)
    assert chat.at == "crisis respond" and "Call 999" in out


def test_the_check_question_opens_while_locked(gb_app):
    chat = locked_at_signs_pick(gb_app)
    out = chat.send(CHECK)
    assert chat.at == "check ask"
    assert "Call 999" in out
    chat.press("talk")  # "I'd like to talk to someone": seek_help
    assert chat.at.startswith("seek_help ")
    assert is_locked(gb_app, chat.pid)


@pytest.mark.parametrize("command, at", [("/help", "help help"), ("/flow seek_help", "seek_help ")])
def test_help_screens_open_while_locked(gb_app, command, at):
    chat = locked_at_signs_pick(gb_app)
    chat.send(command)
    assert chat.at.startswith(at), chat.outputs[-1]
    assert not on_pad(chat)


def test_help_then_find_help_then_phone_safety_while_locked(gb_app):
    chat = locked_at_signs_pick(gb_app)
    chat.send("/help")
    chat.press([o.id for o in chat.last.options][0])  # Find help and support
    assert chat.at.startswith("seek_help "), chat.outputs[-1]
    chat.send("/help")
    chat.press("phone")  # Keeping your phone private
    assert chat.at.startswith("tech_safety "), chat.outputs[-1]
    assert is_locked(gb_app, chat.pid)


def test_the_help_button_under_the_pad_opens_help(gb_app):
    chat = locked_at_signs_pick(gb_app)
    chat.send("hello")  # the first message after /exit gets the neutral start; the next asks for the PIN
    assert chat.at == "welcome hello"
    chat.send("/journal")
    assert on_pad(chat)
    chat.press("lock:help")
    assert chat.at == "help help"


def test_delete_while_locked_erases_everything(gb_app):
    chat = locked_at_signs_pick(gb_app)
    chat.send("/delete")
    assert chat.at == "delete confirm"
    chat.press("delete_all")
    assert chat.outcome.erased
    assert gb_app.store.load(chat.pid) is None
    assert lock_row(gb_app, chat.pid) is None


@pytest.mark.parametrize("opened", ["crisis", "help", "welcome"])
def test_back_to_where_i_was_asks_for_the_pin_then_returns(gb_app, opened):
    chat = locked_at_signs_pick(gb_app)
    chat.send({"crisis": STRANGLED, "help": "/help", "welcome": "hello"}[opened])
    assert chat.at.startswith(opened)
    out = chat.press("resume")
    assert on_pad(chat), out
    assert "Noticing the signs" not in out  # the topic's title: nothing of where they were shows
    out = chat.send(PIN)
    assert chat.at == "signs pick"
    assert out.startswith("Unlocked.")
    assert not is_locked(gb_app, chat.pid)


def test_a_wrong_pin_after_back_stays_on_the_pad(gb_app):
    chat = locked_at_signs_pick(gb_app)
    chat.send("/help")
    chat.press("resume")
    out = chat.send("0000")
    assert on_pad(chat) and "didn't match" in out
    chat.send(PIN)
    assert chat.at == "signs pick"
