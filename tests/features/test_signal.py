"""The safety signal end to end: what sets it (fear answers, not feeling safe, 'It's getting worse', the crisis
screen) and what never does (a check question answered "I'm safe"); clearing it in /about; and, with it set, a walk
through every topic for every relationship that never shows an option tagged `unsafe_when_afraid` bare."""

from __future__ import annotations

import random

import pytest

from flows.content import SAFETY_SIGNAL
from flows.engine import afraid
from flows.model import Context, Conversation, Input, Person
from tests.support.driver import Chat
from tests.support.engine import NOW, apply_result
from tests.support.people import agreed

CRISIS = "he hit me and I'm scared to go home"


def signal(app, chat: Chat):
    return app.store.load(chat.pid).profile.get(SAFETY_SIGNAL)


def test_a_crisis_message_sets_it(app):
    chat = agreed(app)
    assert not signal(app, chat)
    chat.send(CRISIS)
    assert chat.at.startswith("crisis ")
    assert signal(app, chat) == "crisis"


def check_text(app) -> str:
    """A message triage answers with the check question (a phrase that may be everyday)."""
    for text in ("he's going to kill me if I'm late again lol", "I could kill him", "my boss will kill me",
                 "I'm dying to see it"):
        verdict = app.triage.assess(text)
        if verdict and verdict.tier == "check":
            return text
    pytest.skip("no check-tier example among the candidates")


def test_a_check_answered_im_safe_does_not_set_it(app):
    chat = agreed(app)
    chat.send(check_text(app))
    assert chat.at.startswith("check ")
    chat.press("safe")
    assert not signal(app, chat)


def test_a_check_answered_not_safe_sets_it(app):
    chat = agreed(app)
    chat.send(check_text(app))
    chat.press("not_safe")
    assert chat.at.startswith("crisis ")
    assert signal(app, chat) == "crisis"


@pytest.mark.parametrize("flow, presses, word", [
    ("signs", ["continue", "fear", "done"], "fear"),
    ("boundaries", ["continue", "skip", "skip", "not_sure", "afraid"], "fear"),
    ("communication", ["continue", "worried"], "fear"),
    ("walk_away", ["continue", "unsafe"], "unsafe"),
    ("walk_away", ["continue", "unsure"], "unsure"),
    ("walk_away", ["continue", "safe", "worse"], "worse"),
])
def test_fear_answers_set_it(app, flow, presses, word):
    chat = agreed(app)
    chat.send(f"/flow {flow}")
    for option in presses:
        chat.press(option)
    assert signal(app, chat) == word


def test_it_is_cleared_in_about_and_the_ideas_come_back(app):
    chat = agreed(app)
    chat.send(CRISIS)
    out = chat.send("/about")
    assert "Things have changed" in out
    chat.press("changed")
    assert chat.at == "signal ask"
    chat.press("clear")
    assert not signal(app, chat)
    assert "Things have changed" not in chat.send("/about")


def test_about_offers_no_clearing_when_it_is_not_set(app):
    chat = agreed(app)
    assert "Things have changed" not in chat.send("/about")


def test_no_follow_up_offer_after_fear_or_not_yet(app):
    chat = agreed(app)
    chat.send("/flow boundaries")
    for option in ("continue", "skip", "skip", "not_sure", "fine", "not_yet"):
        out = chat.press(option)
    assert chat.at == "boundaries summary"
    assert "/ask_later boundaries" not in [o.id for o in chat.last.options]


def test_the_follow_up_is_still_offered_after_a_plan_to_act(app):
    chat = agreed(app)
    chat.send("/flow boundaries")
    for option in ("continue", "skip", "skip", "not_sure", "fine", "this_week"):
        chat.press(option)
    assert "/ask_later boundaries" in [o.id for o in chat.last.options]


def test_the_signal_is_stored_encrypted(tmp_path, content):
    from tests.conftest import make_app
    from tests.support.people import raw_bytes
    from bot.core.settings import Settings  # noqa: F401

    app = make_app(tmp_path / "k.db", content, data_key="kD3vq4yQ0m3g1c9cF2mKqf0Xx8o5Zr4Yt6Wb7Ns1Lp0=")
    try:
        chat = agreed(app)
        chat.send(CRISIS)
        assert signal(app, chat) == "crisis"
        app.store.checkpoint()
        data = raw_bytes(tmp_path / "k.db")
        assert b"safety_signal" not in data and b"relationship" not in data
    finally:
        app.store.close()


# ---- with the signal set: every topic, every relationship, random walks -------------------------------------

TOPICS = ("signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
          "walk_away")
RELATIONSHIPS = ("partner", "work", "family", "other", "unsaid", None)
WAYOUTS = {"back", "menu", "resume", "skip"}


def assert_not_bare(engine, reply) -> None:
    flow = engine.content.flows[reply.flow]
    step = flow.steps[reply.step]
    shown = {o.id for o in reply.options}
    caveats = flow.text.steps[step.id].caveats
    for spec in step.option_specs():
        if spec.unsafe_when_afraid == "hide":
            assert spec.id not in shown, f"{reply.flow}.{reply.step}: '{spec.id}' shown while afraid"
        elif spec.unsafe_when_afraid and spec.id in shown:
            assert caveats[spec.id] in reply.text, f"{reply.flow}.{reply.step}: '{spec.id}' shown bare"


@pytest.mark.parametrize("topic", TOPICS)
def test_no_tagged_option_is_ever_shown_bare_while_afraid(engine, topic):
    rng = random.Random(topic)
    for relationship in RELATIONSHIPS:
        for _ in range(40):
            profile = {SAFETY_SIGNAL: "fear"}
            if relationship:
                profile["relationship"] = relationship
            p = Person(agreed=True, profile=profile, conversation=Conversation())
            ctx = Context(now=NOW)
            res = engine.handle(p, Input.command("flow", topic), ctx)
            apply_result(p, res)
            for _ in range(30):
                reply = res.replies[-1]
                if reply.flow != topic:
                    break
                assert_not_bare(engine, reply)
                assert afraid(p)
                if reply.kind == "summary":
                    assert "seek_help" in {o.id for o in reply.options}, f"{topic}: no specialist help offered"
                    break
                own = [o for o in reply.options if o.id not in WAYOUTS and o.id != "done"]
                if reply.kind == "reflection" or (reply.kind == "input"):
                    inp = Input.text("a few words") if rng.random() < 0.5 else Input.option("skip")
                elif reply.kind == "checklist":
                    ticks = [o for o in own if rng.random() < 0.4]
                    inp = Input.option(ticks[0].id) if ticks and not reply.options[0].ticked else Input.option("done")
                else:
                    inp = Input.option(rng.choice(own).id)
                res = engine.handle(p, inp, ctx)
                apply_result(p, res)
                p.profile.update(res.profile)
