"""The schema pieces the relationship and the safety signal rest on, on a small flow of their own (pure engine):
profile conditions with a value, options shown only when a condition holds, options tagged `unsafe_when_afraid`
(hidden, or shown with their caveat), profile settings set by a checklist tick or on entering a step, a flow's
`before:` hand-over, and the content check that refuses a tag without its caveat."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flows.content import SAFETY_SIGNAL, Condition, ContentError, load_content, profile_test
from flows.engine import Engine, holds, _View
from flows.model import Context, Conversation, Input, Person
from tests.conftest import CONTENT
from tests.support.engine import NOW, apply_result

FLOW = {
    "version": 1, "id": "demo", "menu": 99, "start": "pick",
    "before": [{"when": {"not_profile": "relationship"}, "flow": "who"}],
    "steps": [
        {"id": "pick", "kind": "checklist", "next": "how", "options": [
            "plain",
            {"id": "work_only", "when": {"profile": "relationship=work"}},
            {"id": "together", "unsafe_when_afraid": "caveat"},
            {"id": "confront", "unsafe_when_afraid": "hide"},
            {"id": "scared", "set": {SAFETY_SIGNAL: "fear"}},
        ]},
        {"id": "how", "kind": "choice", "next": "end", "options": [
            {"id": "fine"}, {"id": "worse", "set": {SAFETY_SIGNAL: "worse"}}]},
        {"id": "end", "kind": "summary", "set": {"seen_end": "yes"}, "offers": ["seek_help"]},
    ],
}
TEXT = {"version": 1, "flow": "demo", "title": "Demo", "steps": {
    "pick": {"text": "Pick any, then tap Done.", "options": {"plain": "Plain", "work_only": "Work only", "together": "Together",
                                          "confront": "Say it to them", "scared": "I'm scared"},
             "caveats": {"together": "Together is not advised where someone is afraid.",
                         "confront": "Saying it to them may not be safe."}},
    "how": {"text": "How?", "options": {"fine": "Fine", "worse": "Worse"}},
    "end": {"text": "Done."},
}}
WHO = {"version": 1, "id": "who", "system": True, "start": "ask", "steps": [
    {"id": "ask", "kind": "choice", "options": [
        {"id": "partner", "set": {"relationship": "partner"}, "resume": True},
        {"id": "work", "set": {"relationship": "work"}, "resume": True}]}]}
WHO_TEXT = {"version": 1, "flow": "who", "title": "Who", "steps": {
    "ask": {"text": "Who is it about?", "options": {"partner": "A partner", "work": "Work"}}}}


def write(root: Path, flow: dict = FLOW, text: dict = TEXT) -> None:
    for name, data in (("flows/demo.yaml", flow), ("en/demo.yaml", text), ("flows/who.yaml", WHO),
                       ("en/who.yaml", WHO_TEXT)):
        (root / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("c") / "content"
    shutil.copytree(CONTENT, root)
    write(root)
    return Engine(load_content(root), renderers={"resources": lambda p, c: "(resources)"},
                  option_sources={"countries": lambda p: []})


def person(**profile) -> Person:
    return Person(agreed=True, profile=dict(profile), conversation=Conversation(flow="demo", step="pick"))


def shown(engine: Engine, p: Person) -> list[str]:
    return [o.id for o in engine.render(p, Context(now=NOW)).options]


def test_a_profile_test_with_values():
    profile = {"relationship": "work", "safety_signal": ""}
    assert profile_test("relationship", profile)
    assert profile_test("relationship=work", profile) and profile_test("relationship=partner|work", profile)
    assert not profile_test("relationship=partner", profile)
    assert not profile_test("safety_signal", profile)  # cleared: empty counts as unset
    assert not profile_test("country=gb", profile)


def test_profile_and_not_profile_in_conditions():
    p = Person(profile={"relationship": "family"})
    view = _View(p, "demo", Context(now=NOW), p.conversation)
    assert holds(Condition(profile="relationship=family"), view)
    assert not holds(Condition(not_profile="relationship=family"), view)
    assert holds(Condition(not_profile="relationship=work|partner"), view)
    assert holds(Condition(not_profile=SAFETY_SIGNAL), view)


def test_lacks_holds_unless_the_tick_is_there():
    """`lacks:` lets a summary show a line unless another one fits better (e.g. money ticked wins over standing)."""
    p = Person(answers={"demo": {"pick": ["plain", "scared"]}})
    view = _View(p, "demo", Context(now=NOW), p.conversation)
    assert holds(Condition(step="pick", lacks="together"), view)
    assert not holds(Condition(step="pick", lacks="plain"), view)
    assert holds(Condition(step="unanswered", lacks="plain"), view)


def test_an_option_with_when_is_shown_only_when_it_holds(demo):
    assert "work_only" not in shown(demo, person(relationship="partner"))
    assert "work_only" in shown(demo, person(relationship="work"))


def test_an_option_not_shown_cannot_be_chosen(demo):
    p = person(relationship="partner")
    res = demo.handle(p, Input.option("work_only"), Context(now=NOW))
    assert res.stale and res.conversation.draft == []


def test_without_the_signal_tagged_options_are_plain(demo):
    reply = demo.render(person(relationship="partner"), Context(now=NOW))
    assert {"together", "confront"} <= {o.id for o in reply.options}
    assert "not advised" not in reply.text and "may not be safe" not in reply.text


def test_with_the_signal_a_caveat_option_carries_its_caveat_and_a_hide_option_is_gone(demo):
    reply = demo.render(person(relationship="partner", safety_signal="fear"), Context(now=NOW))
    ids = [o.id for o in reply.options]
    assert "together" in ids and "confront" not in ids
    assert "Together is not advised where someone is afraid." in reply.text
    assert "may not be safe" not in reply.text  # a hidden option's caveat is not shown


def test_a_ticked_option_with_set_sets_the_profile_on_done(demo):
    p = person(relationship="partner")
    for inp in (Input.option("scared"), Input.option("done")):
        res = demo.handle(p, inp, Context(now=NOW))
        apply_result(p, res)
        p.profile.update(res.profile)
    assert res.profile == {SAFETY_SIGNAL: "fear"}
    assert p.conversation.step == "how"


def test_an_untick_does_not_set_it(demo):
    p = person(relationship="partner")
    for inp in (Input.option("scared"), Input.option("scared"), Input.option("done")):
        res = demo.handle(p, inp, Context(now=NOW))
        apply_result(p, res)
    assert SAFETY_SIGNAL not in res.profile


def test_a_choice_sets_it_and_a_step_sets_on_entering(demo):
    p = person(relationship="partner")
    p.conversation = Conversation(flow="demo", step="how", turn=3)
    res = demo.handle(p, Input.option("worse"), Context(now=NOW))
    assert res.profile == {SAFETY_SIGNAL: "worse", "seen_end": "yes"}
    assert res.conversation.step == "end"


def at_menu(engine: Engine, p: Person) -> Person:
    apply_result(p, engine.handle(p, Input.command("menu"), Context(now=NOW)))
    return p


def test_before_asks_first_then_starts_the_flow(demo):
    p = at_menu(demo, Person(agreed=True))
    res = demo.handle(p, Input.option("demo"), Context(now=NOW))
    apply_result(p, res)
    assert (p.conversation.flow, p.conversation.step) == ("who", "ask")
    res = demo.handle(p, Input.option("work"), Context(now=NOW))
    apply_result(p, res)
    assert res.profile == {"relationship": "work"}
    assert (p.conversation.flow, p.conversation.step) == ("demo", "pick")
    assert "work_only" in [o.id for o in res.replies[-1].options]


def test_before_is_not_asked_once_answered(demo):
    p = at_menu(demo, Person(agreed=True, profile={"relationship": "partner"}))
    res = demo.handle(p, Input.option("demo"), Context(now=NOW))
    assert (res.conversation.flow, res.conversation.step) == ("demo", "pick")


def test_a_flow_opened_by_name_starts_at_once(demo):
    """/flow ID or a /start link promised that topic: the question waits for the next one picked on a screen."""
    res = demo.handle(Person(agreed=True), Input.command("flow", "demo"), Context(now=NOW))
    assert (res.conversation.flow, res.conversation.step) == ("demo", "pick")


def test_the_menu_from_the_question_forgets_the_waiting_flow(demo):
    p = at_menu(demo, Person(agreed=True))
    apply_result(p, demo.handle(p, Input.option("demo"), Context(now=NOW)))
    assert p.conversation.flow == "who"
    apply_result(p, demo.handle(p, Input.command("menu"), Context(now=NOW)))
    assert p.conversation.flow == "menu" and p.conversation.after is None


@pytest.mark.parametrize("mode", ["caveat", "hide"])
def test_the_content_check_refuses_the_tag_without_its_caveat(tmp_path: Path, mode: str):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    text = yaml.safe_load(yaml.safe_dump(TEXT))
    del text["steps"]["pick"]["caveats"]["together" if mode == "caveat" else "confront"]
    write(root, text=text)
    with pytest.raises(ContentError) as err:
        load_content(root)
    assert any(f == "en/demo.yaml" and s == "pick" and "caveats" in p for f, s, p in err.value.problems)


def test_the_content_check_refuses_a_caveat_without_the_tag_and_an_unknown_mode(tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    flow = yaml.safe_load(yaml.safe_dump(FLOW))
    flow["steps"][0]["options"][2] = "together"
    flow["steps"][0]["options"][3] = {"id": "confront", "unsafe_when_afraid": "sometimes"}
    write(root, flow=flow)
    with pytest.raises(ContentError) as err:
        load_content(root)
    found = err.value.problems
    assert any(s == "pick" and "caveat for 'together'" in p for _, s, p in found), found
    assert any(s == "pick" and "must be one of" in p for _, s, p in found), found


def test_before_must_name_a_system_flow(tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    flow = yaml.safe_load(yaml.safe_dump(FLOW))
    flow["before"] = [{"flow": "signs"}]
    write(root, flow=flow)
    with pytest.raises(ContentError) as err:
        load_content(root)
    assert any(f == "flows/demo.yaml" and "before" in p for f, _, p in err.value.problems)
