"""A property of the lock: once locked, nothing a person wrote or chose shows, whatever is sent.

Real engine, real SQLite file, the composed features. Each example: a person agrees, walks a topic (ticking,
rating, choosing, writing a reflection), keeps a journal note, sets up check-ins and visits /export and
/progress, sets a PIN, and is locked (by /exit, /lock now, or the idle time passing). Then any sequence of
inputs: old buttons (every option id and turn seen while unlocked, and the check-in sweep's reminder buttons),
commands, Back/Menu/Back to where I was, wrong PINs, pad keys, stickers, everyday text, danger. No reply while
locked may contain a typed text or a chosen answer's label, no document (export) may go out, the chat stays
locked, and a crisis message gets the crisis screen with the emergency number in that same turn.

`test_unlocked_the_same_tokens_do_show` runs the same collection without locking: there they show, so the
property's check can fail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.core.inputs import parse_command
from bot.features.checkins.sweeper import prompt_reply
from flows.model import Input, Reply
from tests.conftest import CONTENT, make_app
from tests.support.lock import PIN, is_locked, set_pin
from tests.support.people import agree, agreed

CRISIS = "he choked me last night"
TOPICS = ("signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
          "walk_away", "seek_help")
COMMANDS = ("/restart", "/checkins", "/journal", "/progress", "/export", "/about", "/menu", "/checkin", "/lock",
            "/unlock", "/start", "/journal one more line", "/lock now")
EVERYDAY = ("hi", "hello?", "what is this", "ok", "thanks", "can you show me my notes", "1", "2", "done",
            "show me what I wrote", "Back", "Menu")
# Keys and typed PINs are drawn from digits that are not in PIN ("2580"), so no draw can unlock.
WRONG_DIGITS = "134679"
SECRET_WORDS = ("quorbly", "zanthe", "miskelow", "trevanny", "plimsoll", "ardwick", "vollent", "cashmer")


# ---- what the person did while unlocked ----------------------------------------------------------------

@dataclass
class Person:
    chat: object
    typed: list[str] = field(default_factory=list)  # texts they wrote
    chosen: list[str] = field(default_factory=list)  # labels of answers they picked in topic flows
    buttons: set[tuple[str, int | None]] = field(default_factory=set)  # every (option id, turn) shown

    def seen(self) -> None:
        for reply in self.chat.outcome.replies:
            for option in reply.options:
                self.buttons.add((option.id, reply.turn))


def open_screens_text(content) -> str:
    """Every word the screens open while locked can show (their content files, and the common notes and
    labels: way-outs such as 'Back', 'Menu' and 'Back to where I was')."""
    names = [f for f, flow in content.flows.items() if flow.spec.open_when_locked] + ["common"]
    return "\n".join((CONTENT / content.lang / f"{name}.yaml").read_text(encoding="utf-8")
                     for name in names if (CONTENT / content.lang / f"{name}.yaml").exists())


def press(person: Person, option_id: str, *, topic: bool = True) -> None:
    chat = person.chat
    label = next(o.label for o in chat.last.options if o.id == option_id)
    chat.press(option_id)
    person.seen()
    if topic:
        person.chosen.append(label)


def write(person: Person, line: str) -> None:
    person.chat.send(line)
    person.seen()
    person.typed.append(line.removeprefix("/journal ").strip())


def live_unlocked(app, user: str, words: list[str]) -> Person:
    """A walk through `signs` (two ticks, a rating, a feeling, a reflection), a journal note, check-ins with
    the weekly summary, /export and /progress looked at; then a PIN."""
    person = Person(agreed(app, user))
    chat = person.chat
    agree(chat, "signs")
    person.seen()
    press(person, "continue", topic=False)
    press(person, "decisions")
    press(person, "condescension")
    press(person, "done", topic=False)
    press(person, "4")
    press(person, "subtle")
    write(person, f"{words[0]} said the {words[1]} was mine to keep")
    write(person, f"/journal {words[2]} {words[3]} by the window")
    for line in ("/checkins", "/export", "/progress", "/journal", "/about"):
        chat.send(line)
        person.seen()
    chat.send("/checkins")
    for option in ("daily", "t0800", "Europe/London", "done", "more", "summary_on"):
        press(person, option, topic=False)
    # The reminders the check-in sweep sends carry buttons of their own (/checkin, /progress, …).
    for kind in ("checkin", "followup", "summary"):
        for option in prompt_reply(app.env, kind, {}, "signs").options:
            person.buttons.add((option.id, None))
    chat.send("/flow signs")
    person.seen()
    set_pin(chat)
    person.seen()
    return person


def tokens(app, person: Person) -> list[str]:
    """What must never show while locked: every typed text, and the labels of answers chosen in the topic.
    Labels that the open screens also show (generic ones, way-outs) are left out: seeing them on the help
    screen says nothing of what was chosen. Labels of one or a few characters (the rating '4') are left
    out too: they match ordinary words and numbers on any screen (the emergency number, a date). The
    country's name is not collected either: the crisis screen names it for everyone of that country."""
    open_text = open_screens_text(app.content)
    chosen = [label for label in person.chosen if len(label) > 3 and label not in open_text]
    assert "Decisions get made for me" in chosen  # the exclusions leave the checklist's labels in
    return person.typed + chosen


def leaked(replies: list[Reply], secrets: list[str]) -> list[str]:
    shown = "\n".join(r.text + "\n" + "\n".join(o.label for o in r.options) for r in replies).casefold()
    return [s for s in secrets if s.casefold() in shown]


# ---- what may be sent while locked ---------------------------------------------------------------------

def actions():
    """One input; ("old", n) is the n-th (modulo) of the buttons the person saw while unlocked."""
    return st.one_of(
        st.integers(0, 10_000).map(lambda n: ("old", n)),
        st.sampled_from(TOPICS).map(lambda t: ("command", f"/flow {t}")),
        st.sampled_from(COMMANDS).map(lambda c: ("command", c)),
        st.sampled_from(("back", "menu", "resume", "lock:back", "lock:now", "lock:off", "lock:change",
                         "lock:idle:5", "lock:forgot", "lock:help")).map(lambda o: ("option", (o, None))),
        st.text(WRONG_DIGITS, min_size=4, max_size=8).map(lambda d: ("text", d)),
        st.sampled_from([*WRONG_DIGITS, "del", "ok"]).map(lambda k: ("option", (f"pin:{k}", None))),
        st.just(("sticker", None)),
        st.sampled_from(EVERYDAY).map(lambda t: ("text", t)),
        st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=40)
        .map(lambda t: ("text", t)),
        st.just(("crisis", CRISIS)),
    )


def send(app, chat, kind: str, value) -> object:
    chat.now += timedelta(seconds=7)
    if kind == "sticker":
        return app.not_text(chat.pid, chat.now)
    if kind == "option":
        option_id, turn = value
        return app.handle(chat.pid, Input.option(option_id, turn=turn), chat.now)
    if kind == "command":
        return app.handle(chat.pid, parse_command(value), chat.now)
    return app.handle(chat.pid, Input.text(value), chat.now)


# ---- the property --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_app(tmp_path_factory, content):
    application = make_app(tmp_path_factory.mktemp("lockprop") / "lock.db", content, default_country="GB")
    yield application
    application.store.close()


USERS = itertools.count()


def check_locked_run(app, how: str, words: list[str], steps: list[tuple[str, object]]) -> None:
    person = live_unlocked(app, f"prop{next(USERS)}", words)
    chat = person.chat
    secrets = tokens(app, person)
    buttons = sorted(person.buttons, key=str)
    if how == "exit":
        chat.send("/exit")
    elif how == "lock now":
        chat.send("/lock now")
    else:  # the idle time passes; the next input finds the chat locked
        chat.now += timedelta(minutes=app.settings.lock_idle_minutes, seconds=1)
    for i, (kind, value) in enumerate(steps):
        if kind == "old":
            kind, value = "option", buttons[value % len(buttons)]
        outcome = send(app, chat, kind, value)
        where = f"step {i} {kind} {value!r}"
        assert leaked(outcome.replies, secrets) == [], where
        assert all(r.document is None for r in outcome.replies), f"{where}: a document went out while locked"
        assert "export" not in outcome.actions, where
        assert is_locked(app, chat.pid), f"{where}: unlocked without the PIN"
        if kind == "crisis":
            steps_shown = [r for r in outcome.replies if r.is_step]
            assert steps_shown and steps_shown[-1].flow == "crisis", f"{where}: {outcome.replies}"
            assert "Call 999" in "\n".join(r.text for r in outcome.replies), where
            assert outcome.crisis is not None, where


def locked_runs(max_steps: int):
    return dict(how=st.sampled_from(("exit", "lock now", "idle")),
                words=st.permutations(SECRET_WORDS).map(lambda p: list(p[:4])),
                steps=st.lists(actions(), min_size=1, max_size=max_steps))


@given(**locked_runs(12))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_nothing_personal_shows_while_locked(shared_app, how, words, steps):
    check_locked_run(shared_app, how, words, steps)


@pytest.mark.slow
@given(**locked_runs(30))
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_nothing_personal_shows_while_locked_long(shared_app, how, words, steps):
    check_locked_run(shared_app, how, words, steps)


# ---- the property can fail -----------------------------------------------------------------------------

def test_unlocked_the_same_tokens_do_show(shared_app):
    app = shared_app
    person = live_unlocked(app, "unlocked-control", list(SECRET_WORDS[:4]))
    chat = person.chat
    secrets = tokens(app, person)
    journal = send(app, chat, "command", "/journal")
    assert f"{SECRET_WORDS[2]} {SECRET_WORDS[3]} by the window" in leaked(journal.replies, secrets)
    assert f"{SECRET_WORDS[0]} said the {SECRET_WORDS[1]} was mine to keep" in leaked(journal.replies, secrets)
    send(app, chat, "command", "/flow signs")
    pick = send(app, chat, "option", ("continue", None))  # the checklist, with their ticks
    assert "Decisions get made for me" in leaked(pick.replies, secrets)
    assert [o.label for r in pick.replies for o in r.options if o.ticked] == ["✓ Decisions get made for me",
                                                                              "✓ I get talked down to"]
    send(app, chat, "command", "/export")
    sent = send(app, chat, "option", ("send", None))
    assert any(r.document is not None for r in sent.replies)
    assert not is_locked(app, chat.pid)
