"""The learned `check` net (flows/safety_net.py, content/safety/model.json): loads, is checked, only ever asks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flows.safety import SafetyContentError, Triage, check_net_file
from flows.safety_net import fold, load_model, windows
from tests.conftest import ROOT

SAFETY = ROOT / "content" / "safety.yaml"
MODEL = ROOT / "content" / "safety" / "model.json"
DATA = ROOT / "tests" / "data"

# Danger, misspelled or worded so that no rule catches it (checked against the rules alone when written),
# which the net lifts to the check question.
MISSED_BY_RULES = [
    "he threatend to stabb me",
    "he punchd me in the stomch",
    "he hitt me with a bat",
    "he chokked me",
    "he beeted me up",
    "ive ben cuting myself",
    "i wanna end evrything tonite",
    "il m a frappe hier soir",
]


@pytest.fixture(scope="module")
def both() -> tuple[Triage, Triage]:
    """(rules and net, rules alone)."""
    return Triage.load(SAFETY, self_check=False), Triage.load(SAFETY, self_check=False, net=False)


def test_the_model_loads_with_its_threshold_and_training_record(both: tuple[Triage, Triage]) -> None:
    net = both[0].net
    assert net is not None and both[1].net is None
    assert len(net.weights) > 1000
    assert set(net.categories) == {"immediate_danger", "self_harm", "child_at_risk", "sexual_violence", "violence"}
    raw = json.loads(MODEL.read_text(encoding="utf-8"))
    assert raw["threshold"] == net.threshold
    assert "triage_r5_holdout.yaml" not in raw["trained_on"]  # the round-5 holdout is never trained on
    assert "triage_r4_holdout.yaml" in raw["trained_on"]


def _content_copy(tmp_path: Path, model: str) -> Path:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    (root / "safety" / "model.json").write_text(model, encoding="utf-8")
    return root


@pytest.mark.parametrize("change,where", [
    (lambda m: {**m, "version": 99}, "version"),
    (lambda m: {**m, "threshold": "high"}, "threshold"),
    (lambda m: {**m, "features": {**m["features"], "ngrams": [1, 4]}}, "features"),
    (lambda m: {**m, "weights": {"abc": None}}, "weights"),
    (lambda m: {k: v for k, v in m.items() if k != "categories"}, "categories"),
])
def test_a_broken_model_stops_the_load_with_one_line_naming_the_file(tmp_path: Path, change, where: str) -> None:
    good = json.loads(MODEL.read_text(encoding="utf-8"))
    root = _content_copy(tmp_path, json.dumps(change(good)))
    with pytest.raises(SafetyContentError, match=rf"^safety/model\.json: {where}: [^\n]+$"):
        Triage.load(root / "safety.yaml", self_check=False)
    problems = check_net_file(root / "safety.yaml")
    assert len(problems) == 1 and problems[0][0] == where


def test_a_model_that_is_not_json_is_named_by_content_check_and_triage(tmp_path: Path) -> None:
    root = _content_copy(tmp_path, '{"version": 1, "weights": {')
    out = subprocess.run([sys.executable, "-m", "bot", "content", "check", "--content", str(root)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 1
    assert [line for line in out.stdout.splitlines() if "model.json" in line] == \
        ["safety/model.json: file: JSONDecodeError"]
    env = {"PATH": "/usr/bin:/bin", "FULCRUM_CONTENT": str(root), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "bot", "triage"], input="he hit me\n", capture_output=True,
                         text=True, cwd=ROOT, timeout=300, env=env)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip().splitlines()[-1].endswith("safety/model.json: file: JSONDecodeError")


def test_without_a_model_file_the_rules_work_alone(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    (root / "safety" / "model.json").unlink()
    triage = Triage.load(root / "safety.yaml", self_check=False)
    assert triage.net is None and check_net_file(root / "safety.yaml") == []
    assert triage.assess("he hit me").tier == "crisis"


def _all_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("triage_*.yaml")):
        texts += [i["text"] for i in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]]
    return texts


def test_the_net_never_lowers_or_changes_a_rule_verdict_and_only_asks(both: tuple[Triage, Triage]) -> None:
    with_net, rules = both
    lifted = 0
    for text in _all_texts():
        before, after = rules.assess(text), with_net.assess(text)
        if before.tier != "ok":
            assert after == before, text  # a crisis stays the same crisis, a rule's check the same check
        else:
            assert after.tier in ("ok", "check"), text  # the net can only ask
            lifted += after.tier == "check"
    assert lifted > 0  # the net does reach some messages


@pytest.mark.parametrize("text", MISSED_BY_RULES)
def test_the_net_asks_about_danger_no_rule_catches(both: tuple[Triage, Triage], text: str) -> None:
    with_net, rules = both
    assert rules.assess(text).tier == "ok"
    assert with_net.assess(text).tier == "check"


def test_a_danger_line_buried_in_long_venting_is_still_found(both: tuple[Triage, Triage]) -> None:
    net = both[0].net
    filler = "Work was long and the bus was late again, and I made pasta for the kids before bed. " * 45
    line = MISSED_BY_RULES[0]
    assert len(filler) > 3500
    assert net.check(filler) is None
    assert net.check(filler + line + ". " + filler) is not None
    assert net.score(filler + line + ". " + filler) == pytest.approx(net.score(line))


def test_scores_are_deterministic_across_loads(both: tuple[Triage, Triage]) -> None:
    other = load_model(MODEL, tuple(both[0].net.categories))
    for text in _all_texts()[::25]:
        assert both[0].net.score(text) == other.score(text)
        assert both[0].net.check(text) == other.check(text)


def test_the_training_scorer_and_the_bot_scorer_agree(both: tuple[Triage, Triage]) -> None:
    """benchmarks/triage_net.py chooses the threshold with its own arithmetic: it must be the bot's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import triage_net
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    raw = json.loads(MODEL.read_text(encoding="utf-8"))
    net = both[0].net
    for text in _all_texts()[::10]:
        score, category = triage_net.score(raw, text)
        assert score == pytest.approx(net.score(text), abs=1e-9)
        if score >= net.threshold:
            assert category == net.check(text)


@pytest.mark.parametrize("raw,words", [
    ("Él me golpeó!!! y ahora?", [["el", "me", "golpeo"], ["y", "ahora"]]),
    ("er schlägt mich…", [["er", "schlagt", "mich"]]),
    ("he's sooooo angry 😡 help", [["hes", "soo", "angry", "help"]]),
    ("", []),
])
def test_folding_and_windows(raw: str, words: list[list[str]]) -> None:
    assert windows(raw) == words
    assert fold(fold(raw)) == fold(raw)


def test_a_run_on_message_is_cut_into_overlapping_windows() -> None:
    text = " ".join(f"w{n}" for n in range(70))
    cut = windows(text)
    assert [w[0] for w in cut] == ["w0", "w15", "w30", "w45"]
    assert all(len(w) <= 30 for w in cut) and cut[-1][-1] == "w69"
