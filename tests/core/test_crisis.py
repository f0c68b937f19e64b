"""Crisis handling from every step: a message that signals danger is answered with the numbers, and
"Back to where I was" returns the person to exactly where they were, losing nothing they wrote.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.model import Input
from tests.conftest import make_app

MENU_IDS = ["signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
            "walk_away", "safety_plan", "someone_else", "seek_help"]
RESUME = "Back to where I was"
_ids = itertools.count()


@pytest.fixture(scope="module")
def capp(tmp_path_factory, content):
    app = make_app(tmp_path_factory.mktemp("crisis") / "c.db", content, default_country="GB")
    yield app
    app.store.close()


def _examples(app) -> list[str]:
    """Examples of crisis rules (a `check` rule's examples ask whether the person is safe instead)."""
    out = []
    for cat in app.triage.spec.categories.values():
        for rule in cat.rules:
            if rule.tier == "crisis":
                out += rule.examples[:2]
    return out


class Walker:
    def __init__(self, app, pid: str):
        self.app, self.pid = app, pid
        self.now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
        self.last = None

    def send(self, inp: Input):
        self.now += timedelta(seconds=5)
        outcome = self.app.handle(self.pid, inp, self.now)
        for reply in outcome.replies:
            if reply.is_step:
                self.last = reply
        return outcome


def _assert_crisis_reply(outcome, category: str) -> None:
    assert outcome.crisis == category
    reply = outcome.replies[-1]
    assert reply.flow == "crisis" and reply.step == "respond"
    # The line after the acknowledgement is the emergency number: GB (the default) or their own country.
    assert re.match(r"In danger now\? Call \d{2,5}\b", reply.text.split("\n")[1])
    assert RESUME in [o.label for o in reply.options]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_crisis_from_anywhere_keeps_the_way_back(capp, data):
    app = capp
    w = Walker(app, f"cli:walk{next(_ids)}")
    w.send(Input.command("flow", data.draw(st.sampled_from(MENU_IDS), label="flow")))
    w.send(Input.option("agree"))
    for _ in range(data.draw(st.integers(0, 12), label="steps")):
        if w.last.kind == "reflection" and data.draw(st.booleans()):
            w.send(Input.text("a few words"))
        else:
            w.send(Input.option(data.draw(st.sampled_from([o.id for o in w.last.options]))))
    text = data.draw(st.sampled_from(_examples(app)), label="message")
    category = app.triage.classify(text)
    assert category is not None

    before = app.store.load(w.pid)
    at_text_step = app.content.flows[before.conversation.flow].steps[before.conversation.step].kind in (
        "reflection", "input")
    saved = {}
    if at_text_step:  # the service first takes the text as the answer (a validator may refuse it), then interrupts
        saved = app.engine.handle(before, Input.text(text), app.context(w.now)).answers
    expected = before.conversation  # "Back to where I was" is the very step they left, with its own text

    _assert_crisis_reply(w.send(Input.text(text)), category)
    outcome = w.send(Input.option("resume"))

    after = app.store.load(w.pid)
    assert (w.last.flow, w.last.step) == (expected.flow, expected.step)
    assert (after.conversation.flow, after.conversation.step) == (expected.flow, expected.step)
    assert after.conversation.history == expected.history
    assert after.conversation.draft == expected.draft
    assert outcome.replies[-1].flow == expected.flow
    for (flow, step), value in saved.items():  # what they wrote is kept where they wrote it
        assert after.answers[flow][step] == value


def test_crisis_in_a_reflection_is_saved_to_the_journal(app):
    from tests.support.people import agree, to_reflection
    from tests.support.driver import Chat

    chat = Chat(app, "r")
    agree(chat)
    to_reflection(chat)
    where = (chat.last.flow, chat.last.step)
    chat.send("I want to die")
    assert chat.last.flow == "crisis"
    assert app.store.journal(chat.pid)[0]["text"] == "I want to die"
    assert app.store.load(chat.pid).answers[where[0]][where[1]] == "I want to die"


def test_crisis_from_the_menu(capp):
    w = Walker(capp, f"cli:menu{next(_ids)}")
    w.send(Input.command("start"))
    w.send(Input.option("agree"))
    assert w.last.flow == "menu"
    text = "I think he will kill me tonight"
    _assert_crisis_reply(w.send(Input.text(text)), capp.triage.classify(text))
    w.send(Input.option("resume"))
    assert w.last.flow == "menu"


def test_crisis_before_agreeing_is_answered_and_nothing_is_stored(capp):
    w = Walker(capp, f"cli:new{next(_ids)}")
    w.send(Input.command("flow", "signs"))
    assert w.last.flow == "onboarding"
    _assert_crisis_reply(w.send(Input.text("i want to kill myself")), "self_harm")
    assert capp.store.load(w.pid) is None
    assert capp.store.execute("SELECT count(*) FROM people WHERE id = ?", (w.pid,)).fetchone()[0] == 0
    w.send(Input.option("resume"))
    assert (w.last.flow, w.last.step) == ("onboarding", "notice")
    assert capp.store.load(w.pid) is None
    # agreeing afterwards still takes them to what they first asked for
    w.send(Input.option("agree"))
    assert w.last.flow == "signs"


def test_crisis_in_a_command_argument(capp):
    w = Walker(capp, f"cli:arg{next(_ids)}")
    w.send(Input.command("start"))
    w.send(Input.option("agree"))
    _assert_crisis_reply(w.send(Input.command("flow", "i am going to hurt myself")), "self_harm")


def test_crisis_from_a_checkin(capp):
    w = Walker(capp, f"cli:ci{next(_ids)}")
    w.send(Input.command("start"))
    w.send(Input.option("agree"))
    w.send(Input.command("checkin"))
    assert w.last.flow == "checkin"
    where = (w.last.flow, w.last.step)
    _assert_crisis_reply(w.send(Input.text("he hits me")), capp.triage.classify("he hits me"))
    w.send(Input.option("resume"))
    assert (w.last.flow, w.last.step) == where
