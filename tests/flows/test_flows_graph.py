"""The flows as graphs: every step reachable, every step able to finish, every target real, the menu complete.

Works on the compiled machines (`flows.engine.machine_config`), so it checks what the engine will run,
not just what the YAML says.
"""

from __future__ import annotations

import string
from collections import defaultdict
from datetime import datetime, timezone

import pytest

from flows.content import _condition_refs, step_targets
from flows.engine import machine_config
from flows.model import Context, Input, Person
from tests.support.engine import turn

MENU_ORDER = ["signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
              "walk_away", "safety_plan", "someone_else", "seek_help"]
ALL_TOPICS = [f for f in MENU_ORDER if f != "seek_help"]
# The reflection topics. The safety plan is a tool with its own shape (a part a screen, a picker to change one,
# a summary that says where the plan is rather than repeating it): tests/features/plan/ walks it.
TOPICS = [f for f in ALL_TOPICS if f != "safety_plan"]
INTERACTIVE = {"choice", "checklist", "scale", "reflection", "input"}
# Distinctive phrases of the source article: the flows carry its ideas in their own words.
ARTICLE_PHRASES = ["dance of power", "cornerstone of any healthy relationship", "never too late to make changes",
                   "fear of retribution", "deeply ingrained", "many faces of power", "permeate",
                   "resistant to change", "don't hesitate to seek help"]
DIRECTIVE_PHRASES = ["you should leave", "you must leave", "this is abuse", "you are a victim", "abuser"]


def _graph(flow, content) -> tuple[dict[str, set[str]], list[str]]:
    cfg = machine_config(flow, content)
    edges: dict[str, set[str]] = defaultdict(set)
    for t in cfg["transitions"]:
        if t["dest"] is not None:
            edges[t["source"]].add(t["dest"])
    return edges, cfg["states"]


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _texts(flow):
    """Every piece of text a person can read in a flow: (where, text, is_label)."""
    for sid, st in flow.text.steps.items():
        yield sid, st.text, False
        for key, block in st.blocks.items():
            yield f"{sid}.{key}", block, False
        for oid, label in st.options.items():
            yield f"{sid}.{oid}", label, True
        for extra in (st.continue_, st.low, st.high):
            if extra:
                yield sid, extra, True


def test_menu_lists_exactly_the_topics_in_order(content):
    assert [f.id for f in content.menu_flows()] == MENU_ORDER


def test_machines_compile_for_every_flow(content, engine):
    assert set(engine.machines) == set(content.flows)
    for fid, flow in content.flows.items():
        assert set(flow.steps) <= set(engine.machines[fid].states)


@pytest.mark.parametrize("fid", MENU_ORDER)
def test_every_menu_flow_is_reachable_from_the_menu(content, fid):
    edges, _ = _graph(content.flows["menu"], content)
    assert f"exit_flow_{fid}" in _reach(edges, content.flows["menu"].spec.start)


def test_every_step_is_reachable_from_its_start(content):
    for fid, flow in content.flows.items():
        edges, _ = _graph(flow, content)
        missing = set(flow.steps) - _reach(edges, flow.spec.start)
        assert not missing, f"{fid}: unreachable steps {sorted(missing)}"


def _terminal(flow, state: str) -> bool:
    if state.startswith("exit_"):
        return True
    step = flow.steps[state]
    return step.kind == "summary" or step.end or any(o.action for o in step.option_specs())


def test_every_step_can_reach_a_summary_or_an_exit(content):
    for fid, flow in content.flows.items():
        edges, states = _graph(flow, content)
        for state in states:
            reached = _reach(edges, state)
            assert any(_terminal(flow, s) for s in reached), f"{fid}.{state}: no way to a summary or an exit"


def test_every_target_exists(content):
    for fid, flow in content.flows.items():
        for sid, step in flow.steps.items():
            steps, flows, _ = step_targets(step)
            assert set(steps) <= set(flow.steps), f"{fid}.{sid}: unknown step in {steps}"
            assert set(flows) <= set(content.flows), f"{fid}.{sid}: unknown flow in {flows}"
        _, states = _graph(flow, content)
        for state in states:
            if state.startswith("exit_flow_"):
                assert state[len("exit_flow_"):] in content.flows, f"{fid}: hands over to {state}"


@pytest.mark.parametrize("fid", TOPICS)
def test_topic_flow_shape(content, fid):
    flow = content.flows[fid]
    steps = list(flow.steps.values())
    kinds = [s.kind for s in steps]
    interactive = [s for s in steps if s.kind in INTERACTIVE]
    assert 4 <= len(interactive) <= 10, f"{fid}: {len(interactive)} interactive steps"
    assert "reflection" in kinds, f"{fid}: no reflection"
    assert flow.steps[flow.spec.start].kind == "message", f"{fid}: should open with a short intro"
    summaries = [s for s in steps if s.kind == "summary"]
    assert summaries, f"{fid}: no summary"
    for s in summaries:
        # Next steps: offered topics, and options that open one (some only when they fit what was said).
        always = [*s.offers, *(o.flow for o in s.option_specs() if o.flow and o.when is None)]
        nexts = [*s.offers, *(o.flow for o in s.option_specs() if o.flow)]
        assert "seek_help" in always, f"{fid}.{s.id}: does not always offer seek_help"
        assert 2 <= len(nexts) <= 6, f"{fid}.{s.id}: next steps {nexts}"
        st = flow.text.steps[s.id]
        pieces = [st.text, *st.blocks.values()]
        assert any("{progress}" in p for p in pieces), f"{fid}.{s.id}: no {{progress}}"
        # It answers to what the person said: a block shown for their answers, or their words where they help.
        fields = {f for p in pieces for _, f, _, _ in string.Formatter().parse(p) if f}
        # An answer quoted, or a block shown for what was answered (a summary that explains, issue 17 item 3)
        explained = any(_condition_refs(b.when) for b in s.blocks)
        assert fields - {"progress"} or explained, f"{fid}.{s.id}: reflects none of the person's answers"
    # at least one real branch: a step with two different destinations
    edges, _ = _graph(flow, content)
    assert any(len(edges[s.id]) >= 2 for s in steps if s.kind != "summary"), f"{fid}: no branch"


@pytest.mark.parametrize("fid", ALL_TOPICS)
def test_topic_intro_says_how_long_and_that_they_can_stop(content, fid):
    flow = content.flows[fid]
    intro = flow.text.steps[flow.spec.start].text
    assert "minute" in intro and "stop" in intro, f"{fid}: intro should say how long it takes and that they can stop"


@pytest.mark.parametrize("fid, target", [("walk_away", "seek_help"), ("communication", "support"),
                                         ("boundaries", "support"), ("signs", "seek_help")])
def test_safety_branches_hand_over(content, fid, target):
    edges, _ = _graph(content.flows[fid], content)
    assert f"exit_flow_{target}" in _reach(edges, content.flows[fid].spec.start)


def _walk(engine, person, inputs):
    ctx = Context(now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    reply = None
    for inp in inputs:
        reply = turn(engine, person, inp, ctx).replies[-1]
    return reply


def test_walk_away_unsafe_offers_help_before_anything_else(engine):
    p = Person(agreed=True)
    reply = _walk(engine, p, [Input.command("flow", "walk_away"), Input.option("continue"), Input.option("unsafe")])
    assert reply.step == "safety"
    first = reply.options[0].id
    reply = _walk(engine, p, [Input.option(first)])
    assert (reply.flow, reply.step) == ("seek_help", "directory")


def test_communication_worried_is_steered_to_support_not_to_talk(engine):
    p = Person(agreed=True, profile={"relationship": "partner"})  # else support asks who it is about first
    reply = _walk(engine, p, [Input.command("flow", "communication"), Input.option("continue"),
                              Input.option("worried")])
    assert reply.step == "unsafe"
    reply = _walk(engine, p, [Input.option(reply.options[0].id)])
    assert (reply.flow, reply.step) == ("support", "intro")


def test_boundaries_afraid_never_reaches_when_to_raise_it(engine):
    p = Person(agreed=True)
    _walk(engine, p, [Input.command("flow", "boundaries"), Input.option("continue"), Input.option("skip"),
                      Input.option("skip"), Input.option("not_sure")])
    reply = _walk(engine, p, [Input.option("afraid")])
    assert reply.step == "unsafe"
    reply = _walk(engine, p, [Input.option("keep_private")])
    assert reply.step == "summary" and "when" not in p.answers.get("boundaries", {})


def test_no_text_is_too_long(content):
    for fid, flow in content.flows.items():
        for where, text, is_label in _texts(flow):
            assert len(text) <= (60 if is_label else 600), f"{fid}.{where}: {len(text)} characters"


@pytest.mark.parametrize("fid", ALL_TOPICS)
def test_topic_texts_are_our_own_words_and_never_directive(content, fid):
    for where, text, _ in _texts(content.flows[fid]):
        low = text.casefold().replace("’", "'")
        for phrase in ARTICLE_PHRASES + DIRECTIVE_PHRASES:
            assert phrase not in low, f"{fid}.{where}: {phrase!r}"
        assert "!" not in text, f"{fid}.{where}: no exclamation marks in these topics"


@pytest.mark.parametrize("fid", ALL_TOPICS)
def test_topic_menu_title_is_short(content, fid):
    assert len(content.flows[fid].title) <= 30
