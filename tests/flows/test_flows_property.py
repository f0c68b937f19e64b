"""Property test: whatever a person sends, in whatever flow, the engine never fails, never leaves them
nowhere, and someone who then simply keeps answering reaches a summary.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.engine import Engine
from flows.model import Context, Input, Person
from tests.support.engine import apply_result

WAYOUTS = {"back", "menu", "resume"}
CTX = Context(now=datetime(2026, 1, 1, tzinfo=timezone.utc), values={"intake_url": "https://example.org/intake"})


def _send(engine: Engine, person: Person, action) -> object:
    """An action as the console would turn it into an Input; option numbers count from 1."""
    kind, value = action
    if kind == "number":
        options = engine.options(person)
        inp = Input.option(options[value - 1].id) if 1 <= value <= len(options) else Input.text(str(value))
    elif kind == "bogus_option":
        inp = Input.option(value)
    elif kind == "text":
        inp = Input.text(value)
    elif kind == "open":
        inp = Input.open()
    else:
        name, _, arg = value.partition(" ")
        inp = Input.command(name, arg)
    res = engine.handle(person, inp, CTX)
    apply_result(person, res)
    return res


def _assert_valid(engine: Engine, person: Person, res) -> None:
    conv = person.conversation
    flows = engine.content.flows
    assert conv.flow in flows, conv.flow
    assert conv.step in flows[conv.flow].steps, (conv.flow, conv.step)
    last = res.replies[-1]
    assert last.is_step and (last.flow, last.step) == (conv.flow, conv.step)
    assert last.options or flows[conv.flow].steps[conv.step].kind == "summary"


def _keep_answering(engine: Engine, person: Person, limit: int = 30) -> bool:
    """Pick the first option that is not a way-out (Done on a checklist, "x" at a reflection) until a summary."""
    for _ in range(limit):
        conv = person.conversation
        step = engine.content.flows[conv.flow].steps[conv.step]
        if step.kind == "summary":
            return True
        if step.kind == "reflection":
            inp = Input.text("x")
        elif step.kind == "checklist":
            inp = Input.option("done")
        else:
            choices = [o for o in engine.options(person) if o.id not in WAYOUTS]
            assert choices, f"{conv.flow}.{conv.step}: nothing to answer with"
            inp = Input.option(choices[0].id)
        res = engine.handle(person, inp, CTX)
        apply_result(person, res)
        _assert_valid(engine, person, res)
    step = engine.content.flows[person.conversation.flow].steps[person.conversation.step]
    return step.kind == "summary"


MENU_IDS = ["signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
            "walk_away", "safety_plan", "someone_else", "seek_help"]
COMMANDS = st.sampled_from(["menu", "back", "restart", "help", "start", "exit", "progress", "nonsense",
                            "flow", "flow nowhere", "flow onboarding", "flow menu", "start walk_away",
                            *[f"flow {f}" for f in MENU_IDS]])
ACTIONS = st.one_of(
    st.tuples(st.just("number"), st.integers(min_value=-1, max_value=14)),
    st.tuples(st.just("number"), st.integers(min_value=1, max_value=4)),  # mostly in range
    st.tuples(st.just("text"), st.text(max_size=40)),
    st.tuples(st.just("text"), st.sampled_from(["Back", "Menu", "Done", "Skip this one", "Continue", "3", "  "])),
    st.tuples(st.just("bogus_option"), st.sampled_from(["zzz", "done", "skip", "continue", "answer", "resume", "1"])),
    st.tuples(st.just("command"), COMMANDS),
    st.tuples(st.just("open"), st.just("")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.sampled_from(MENU_IDS), agree_first=st.booleans(), actions=st.lists(ACTIONS, max_size=25))
def test_random_input_never_breaks_and_answering_reaches_a_summary(engine, start, agree_first, actions):
    person = Person()
    res = _send(engine, person, ("command", f"flow {start}"))
    _assert_valid(engine, person, res)
    if agree_first:
        res = _send(engine, person, ("number", 1))
        _assert_valid(engine, person, res)
        assert person.agreed and person.conversation.flow == start
    for action in actions:
        res = _send(engine, person, action)
        _assert_valid(engine, person, res)
    assert _keep_answering(engine, person), (person.conversation.flow, person.conversation.step)


@pytest.mark.parametrize("fid", MENU_IDS)
def test_each_flow_answered_straight_through_reaches_its_own_summary(engine, fid):
    person = Person(agreed=True)
    _send(engine, person, ("command", f"flow {fid}"))
    assert _keep_answering(engine, person)
    # the first non-way-out answer never hands over mid-flow, except into help
    assert person.conversation.flow in (fid, "seek_help")
