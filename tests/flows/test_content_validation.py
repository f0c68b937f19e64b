"""Content is validated when loaded: each kind of error has a failing example naming the file and the step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flows.content import ContentError, check_names, load_content
from tests.conftest import CONTENT

GOOD_FLOW = {
    "version": 1, "id": "demo", "menu": 99, "start": "a",
    "steps": [
        {"id": "a", "kind": "message", "next": "b"},
        {"id": "b", "kind": "reflection", "next": "c"},
        {"id": "c", "kind": "summary", "offers": ["seek_help"]},
    ],
}
GOOD_TEXT = {"version": 1, "flow": "demo", "title": "Demo",
             "steps": {"a": {"text": "Hello."}, "b": {"text": "Write."}, "c": {"text": "Done."}}}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


def write(root: Path, flow: dict, text: dict) -> None:
    (root / "flows" / "demo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False), encoding="utf-8")
    (root / "en" / "demo.yaml").write_text(yaml.safe_dump(text, sort_keys=False), encoding="utf-8")


def problems(root: Path) -> list[tuple[str, str, str]]:
    """What loading finds, or else what no feature provides (a placeholder naming nothing is found there)."""
    try:
        content = load_content(root)
    except ContentError as err:
        return err.problems
    found = check_names(content)
    assert found, "content with a mistake loaded and named only what exists"
    return found


def test_the_demo_flow_itself_is_valid(folder: Path):
    write(folder, GOOD_FLOW, GOOD_TEXT)
    assert "demo" in load_content(folder).flows


def mutate(flow_change=None, text_change=None):
    import copy

    flow, text = copy.deepcopy(GOOD_FLOW), copy.deepcopy(GOOD_TEXT)
    if flow_change:
        flow_change(flow)
    if text_change:
        text_change(text)
    return flow, text


CASES = {
    "unknown step kind": (lambda f: f["steps"][1].update(kind="poem"), None, "b", "unknown step kind"),
    "dangling next": (lambda f: f["steps"][0].update(next="nowhere"), None, "a", "does not exist"),
    "duplicate id": (lambda f: f["steps"].append({"id": "b", "kind": "summary"}), None, "b", "duplicate step id"),
    "unreachable": (lambda f: (f["steps"].append({"id": "lost", "kind": "summary"})),
                    lambda t: t["steps"].update(lost={"text": "x"}), "lost", "unreachable"),
    "no way out": (lambda f: f["steps"][1].pop("next"), None, "b", "no way out"),
    "over-long message": (None, lambda t: t["steps"]["a"].update(text="word " * 200), "a", "characters"),
    "missing text": (None, lambda t: t["steps"].pop("b"), "b", "no text"),
    "unknown hand-over": (lambda f: f["steps"][2].update(offers=["nope"]), None, "c", "unknown flow"),
    "bad placeholder": (None, lambda t: t["steps"]["c"].update(text="You said {missing_step}."), "c", "placeholder"),
    "unknown field": (lambda f: f["steps"][0].update(colour="red"), None, "a", "unknown field"),
    # Button labels: at most 32 characters as shown (phones cut longer ones; translations run longer).
    "over-long button label": (None, lambda t: t["steps"]["a"].update({"continue": "Yes, let's carry on to the next part"}),
                               "a", "button label 'continue' is 36 characters"),
    "checklist label with its tick": (
        lambda f: f["steps"].__setitem__(1, {"id": "b", "kind": "checklist", "options": ["x"], "next": "c"}),
        lambda t: t["steps"].__setitem__("b", {"text": "Pick any that fit, then tap Done.",
                                                 "options": {"x": "Exactly thirty-one characters.."}}),
        "b", "button label 'x' is 33 characters as shown"),
    # A summary, read as one message: its text and every block that can show with it.
    "over-long summary": (
        lambda f: f["steps"][2].update(blocks=[{"key": "one"}, {"key": "two", "when": {"step": "b", "answered": True}}]),
        lambda t: t["steps"]["c"].update(text="Done. " * 40, blocks={"one": "More. " * 40, "two": "Again. " * 30}),
        "c", "summary is up to"),
    "checklist without what ticking means": (
        lambda f: f["steps"].__setitem__(1, {"id": "b", "kind": "checklist", "options": ["x", "y"], "next": "c"}),
        lambda t: t["steps"].__setitem__("b", {"text": "Which of these?", "options": {"x": "X", "y": "Y"}}),
        "b", "a checklist's text must say what ticking means"),
    "summary without a next step": (lambda f: f["steps"][2].pop("offers"), None, "c", "a summary needs a next step"),
    # Cue words (e.g. good news) belong to the flow's texts, and test a step where the person writes.
    "cue not listed": (lambda f: f["steps"][2].update(blocks=[{"key": "yay", "when": {"step": "b", "cue": "good"}}]),
                       lambda t: t["steps"]["c"].update(blocks={"yay": "Good to hear."}),
                       "c", "cue 'good' is not listed"),
    "cue on a message step": (lambda f: f["steps"][2].update(blocks=[{"key": "yay", "when": {"step": "a", "cue": "good"}}]),
                              lambda t: (t.update(cues={"good": {"match": ["well"]}}),
                                         t["steps"]["c"].update(blocks={"yay": "Good to hear."})),
                              "c", "needs `step:` naming a step where the person writes"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_error_names_file_and_step(folder: Path, name: str):
    flow_change, text_change, step, needle = CASES[name]
    write(folder, *mutate(flow_change, text_change))
    found = problems(folder)
    assert any(step == s and needle in p and f.endswith("demo.yaml") for f, s, p in found), found


def test_broken_yaml_is_a_file_level_problem(folder: Path):
    (folder / "flows" / "demo.yaml").write_text("version: 1\nid: [unclosed\n", encoding="utf-8")
    found = problems(folder)
    assert ("flows/demo.yaml", "-") in [(f, s) for f, s, _ in found]


def test_a_command_telegram_would_refuse_is_a_problem(folder: Path):
    path = folder / "en" / "common.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  menu: \"Main menu\"", "  Main-Menu: \"Main menu\""),
                    encoding="utf-8")
    found = problems(folder)
    assert any(f == "en/common.yaml" and "Main-Menu" in p for f, _, p in found), found


def test_a_condition_on_an_answer_that_is_not_kept_is_a_problem(folder: Path):
    """`keep: false` means the answer is never saved, so a condition on it could never hold."""
    def flow_change(f):
        f["steps"][1] = {"id": "b", "kind": "choice", "keep": False, "options": ["x", "y"], "next": "c"}
        f["steps"][2]["blocks"] = [{"key": "said_x", "when": {"step": "b", "is": "x"}}]

    def text_change(t):
        t["steps"]["b"] = {"text": "Pick.", "options": {"x": "X", "y": "Y"}}
        t["steps"]["c"]["blocks"] = {"said_x": "You picked X."}

    write(folder, *mutate(flow_change, text_change))
    found = problems(folder)
    assert any(f.endswith("demo.yaml") and s == "c" and "not kept" in p for f, s, p in found), found


def test_blocks_that_never_show_together_are_measured_apart(folder: Path):
    """Two blocks for different answers of one step count as the longer of the two, not both."""
    def flow_change(f):
        f["steps"][1] = {"id": "b", "kind": "choice", "options": ["x", "y"], "next": "c"}
        f["steps"][2]["blocks"] = [{"key": "said_x", "when": {"step": "b", "is": "x"}},
                                   {"key": "said_y", "when": {"step": "b", "is": "y"}}]

    def text_change(t):
        t["steps"]["b"] = {"text": "Pick.", "options": {"x": "X", "y": "Y"}}
        t["steps"]["c"].update(text="Done. " * 40, blocks={"said_x": "You picked X. " * 20, "said_y": "You picked Y. " * 20})

    write(folder, *mutate(flow_change, text_change))
    assert "demo" in load_content(folder).flows


def test_a_summary_is_measured_by_the_blocks_that_can_show_together():
    """Blocks that test several things never show together when any one test rules the other out (afraid or not,
    one relationship or another, a low or a high rating); blocks that can all hold are added up."""
    from flows.content import Block, StepSpec, StepText, summary_length

    def measure(whens: dict[str, object]) -> int:
        step = StepSpec(id="s", kind="summary", blocks=[Block(key=k, when=w) for k, w in whens.items()])
        return summary_length(step, StepText(text="", blocks={k: "x" * 98 for k in whens}))

    afraid, calm = {"profile": "safety_signal"}, {"not_profile": "safety_signal"}
    work, partner = {"profile": "relationship=work"}, {"profile": "relationship=partner"}
    assert measure({"a": [work, afraid], "b": [work, calm], "c": [partner, afraid], "d": [partner, calm]}) == 100
    assert measure({"a": [afraid, {"step": "x", "has": "m"}], "b": [afraid, {"step": "x", "has": "n"}]}) == 200
    assert measure({"low": {"step": "r", "at_most": 2}, "high": {"step": "r", "at_least": 4}}) == 100
    assert measure({"low": {"step": "r", "at_most": 3}, "high": {"step": "r", "at_least": 3}}) == 200
    assert measure({"some": {"step": "c", "has": "m"}, "none": {"step": "c", "count_at_most": 0}}) == 100
    assert measure({"m": {"step": "c", "has": "m"}, "n": [{"step": "c", "has": "n"}, {"step": "c", "lacks": "m"}]}) == 100
    assert measure({"other": {"not_profile": "relationship=work|partner"}, "w": work, "p": partner}) == 100


def test_a_long_common_label_is_refused_in_one_line(folder: Path):
    path = folder / "en" / "common.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('checkin_pause: "Pause for a week"',
                                                              'checkin_pause: "Pause these reminders for one whole week"'),
                    encoding="utf-8")
    found = problems(folder)
    assert any(f == "en/common.yaml" and "checkin_pause" in p and "32" in p for f, _, p in found), found


def test_a_menu_title_is_a_button_too(folder: Path):
    write(folder, *mutate(None, lambda t: t.update(title="A demo topic with a very long title indeed")))
    found = problems(folder)
    assert any(f == "en/demo.yaml" and s == "-" and "menu button" in p for f, s, p in found), found


def test_each_problem_is_one_line_naming_file_and_step(folder: Path):
    write(folder, *mutate(lambda f: f["steps"][2].pop("offers"),
                          lambda t: t["steps"]["a"].update({"continue": "Yes, let's carry on to the next part"})))
    with pytest.raises(ContentError) as err:
        load_content(folder)
    lines = str(err.value).splitlines()
    assert "flows/demo.yaml: c: a summary needs a next step: at least one option or `offers:` besides the way-outs" in lines
    assert any(line.startswith("en/demo.yaml: a: button label 'continue'") for line in lines), lines


def test_cue_words_match_whole_words_unless_a_spoiler_is_there():
    from flows.content import CueSpec, cue_matches

    cue = CueSpec(match=["backed me up", "good day", "🙂"], unless=["not", "wasn't", "but"])
    assert cue_matches("Brother BACKED me up today!!", cue)
    assert cue_matches("a good day 🙂", cue) and cue_matches("🙂", cue)
    assert not cue_matches("It wasn’t a good day", cue)  # curly quote read as straight
    assert not cue_matches("good day but then a row", cue)
    assert not cue_matches("goodday", cue) and not cue_matches("nothing much", cue)
