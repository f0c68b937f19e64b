"""The learned net (flows/safety_net.py, content/safety/model.json): loads, is checked; its check part only asks,
its hard-kind head opens the crisis screen only for the hard kinds, and neither ever lowers a rule's verdict."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flows.safety import SafetyContentError, Triage, check_net_file
from flows.safety_net import HARD_KINDS, fold, load_model, windows
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
    "il m a frappe hier soir",
]

# Hard kinds worded or misspelt so that no rule sends them to the crisis screen (checked against the rules alone
# when written), which the hard-kind head does send there: (text, category, kind).
HARD_MISSED_BY_RULES = [
    ("he said he will make sure nobody finds me", "violence", "threat_to_kill"),
    ("he showed me the knife and smiled", "violence", "weapon"),
]
# Everyday hyperbole and questions near the hard kinds (issue 13's false alarms): never the crisis screen.
EVERYDAY_NEAR_MISSES = [
    "my boss would kill me if he knew i was job hunting",
    "he beat me to the promotion",
    "what's the lethal dose of chocolate for a dog",
    "my mum smothers me with attention",
    "she's gonna strangle me when she sees the state of the kitchen haha",
    "took my pills this morning like the doctor said",
    "he killed it at the gig last night",
    "he said he will phone me tonight",  # plans worded like threats (benchmarks/triage_net_neutral.yaml)
    "she said she will text me later",
    "my husband said he will take me out for my birthday",
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
    assert not [name for name in raw["trained_on"] if triage_net()._never_trained_on(name)]  # not yet run
    assert {"triage_r4_holdout.yaml", "triage_r8_holdout.yaml"} <= set(raw["trained_on"])  # run, recorded: text
    assert raw["version"] == 2 and net.hard is not None and set(net.hard.kinds) == set(HARD_KINDS)
    assert raw["hard"]["threshold"] == net.hard.threshold > net.hard.bias
    assert raw["hard_cv"]["all"]["benign_crisis_head_alone"] <= 0.005  # chosen out of fold, every language


def triage_net():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import triage_net
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return triage_net


def test_holdouts_not_yet_run_are_never_trained_on() -> None:
    net = triage_net()
    never, first = net._never_trained_on, net.FIRST_UNSPENT_HOLDOUT
    assert never(f"triage_r{first}_holdout.yaml") and never(f"triage_r{first + 3}_holdout_es.yaml")
    assert never(f"triage_r{first}a_holdout.yaml") and never(f"triage_r{first}b_holdout.yaml")  # a round's halves
    assert not never(f"triage_r{first}.yaml") and not never("triage_r4_holdout.yaml")
    assert not never(f"triage_r{first - 1}_holdout.yaml")  # run once and recorded: one more author's training text
    assert list(DATA.glob(f"triage_r{first - 1}*_holdout.yaml"))  # one file, or a round's halves (r10a, r10b)


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
    (lambda m: {k: v for k, v in m.items() if k != "hard"}, "hard"),
    (lambda m: {**m, "hard": {**m["hard"], "threshold": None}}, "hard.threshold"),
    (lambda m: {**m, "hard": {**m["hard"], "kinds": {"weapon": m["hard"]["kinds"]["weapon"]}}}, "hard.kinds"),
    (lambda m: {**m, "hard": {**m["hard"], "weights": {"abc": "x"}}}, "hard.weights"),
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


def test_a_version_1_file_is_the_check_net_alone(tmp_path: Path) -> None:
    good = json.loads(MODEL.read_text(encoding="utf-8"))
    old = {k: v for k, v in good.items() if k not in ("hard", "hard_cv")} | {"version": 1}
    root = _content_copy(tmp_path, json.dumps(old))
    triage = Triage.load(root / "safety.yaml", self_check=False)
    assert triage.net is not None and triage.net.hard is None and triage.net.crisis("he chokked me") is None
    assert triage.assess("he chokked me").tier == "check"


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


def test_the_net_never_lowers_a_rule_verdict_and_opens_the_crisis_screen_only_for_hard_kinds(
        both: tuple[Triage, Triage]) -> None:
    with_net, rules = both
    lifted = {"check": 0, "crisis": 0}
    for text in _all_texts():
        before, after = rules.assess(text), with_net.assess(text)
        if before.tier == "crisis":
            assert after == before, text  # a crisis stays the same crisis
        elif after.tier == "crisis":  # only the hard-kind head, with its kind and that kind's category
            hard = with_net.net.crisis(text)
            assert hard is not None, text
            category, kind = hard
            assert HARD_KINDS[kind] == category and kind in after.kinds and category in after.categories, text
            assert set(before.categories) <= set(after.categories), text  # a rule's check category is kept
            lifted["crisis"] += 1
        elif before.tier == "check":
            assert after == before, text  # a rule's check stays the same check
        else:
            assert after.tier in ("ok", "check"), text
            lifted["check"] += after.tier == "check"
    assert lifted["check"] > 0 and lifted["crisis"] > 0  # both parts of the net reach some messages


@pytest.mark.parametrize("text", MISSED_BY_RULES)
def test_the_net_asks_about_danger_no_rule_catches(both: tuple[Triage, Triage], text: str) -> None:
    with_net, rules = both
    assert rules.assess(text).tier == "ok"
    assert with_net.assess(text).tier in ("check", "crisis")


@pytest.mark.parametrize("text,category,kind", HARD_MISSED_BY_RULES)
def test_the_hard_head_opens_the_crisis_screen_for_hard_kinds_no_rule_catches(
        both: tuple[Triage, Triage], text: str, category: str, kind: str) -> None:
    with_net, rules = both
    assert rules.assess(text).tier != "crisis"
    verdict = with_net.assess(text)
    assert verdict.tier == "crisis" and verdict.category == category and kind in verdict.kinds


@pytest.mark.parametrize("text", EVERYDAY_NEAR_MISSES)
def test_the_hard_head_leaves_everyday_hyperbole_alone(both: tuple[Triage, Triage], text: str) -> None:
    assert both[0].net.crisis(text) is None and both[0].assess(text).tier != "crisis"


def test_a_danger_line_buried_in_long_venting_is_still_found(both: tuple[Triage, Triage]) -> None:
    net = both[0].net
    filler = "Work was long and the bus was late again, and I made pasta for the kids before bed. " * 45
    line = MISSED_BY_RULES[0]
    assert len(filler) > 3500
    assert net.check(filler) is None
    assert net.check(filler + line + ". " + filler) is not None
    assert net.score(filler + line + ". " + filler) == pytest.approx(net.score(line))
    hard = HARD_MISSED_BY_RULES[0][0]
    assert net.crisis(filler) is None
    assert net.crisis(filler + hard + ". " + filler) == net.crisis(hard) is not None


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
        hard, kind = triage_net.score_hard(raw, text)
        assert hard == pytest.approx(net.hard.score(text), abs=1e-9)
        if hard >= net.hard.threshold:
            assert (HARD_KINDS[kind], kind) == net.crisis(text)


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


def test_greetings_and_short_everyday_replies_are_never_asked_about(both: tuple[Triage, Triage]) -> None:
    """A plain "hello" once got "are you safe?" after a retrain: a short message has few features, so a few weights
    decide it. Every line of the everyday list the net trains on (greetings, thanks, yes/no, one ordinary dose, in
    eight languages) must read `ok`. (Option labels are benign training examples too, but not held here: a few rightly
    read as danger when typed, such as "No me siento a salvo".)"""
    full, _ = both
    everyday = yaml.safe_load((ROOT / "benchmarks" / "triage_net_everyday.yaml").read_text(encoding="utf-8"))["items"]
    asked = [text for text in everyday if full.assess(text).tier != "ok"]
    assert not asked, asked
