"""Crisis triage: rules file self-check, labelled-set figures, normalisation, robustness."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.safety import OK, PRECEDENCE, SafetyContentError, Triage, check_safety_file

from tests.conftest import ROOT  # noqa: E402
SAFETY = ROOT / "content" / "safety.yaml"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def triage() -> Triage:
    return Triage.load(SAFETY)


def _items(name: str) -> list[dict[str, str]]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["items"]


def _figures(triage: Triage, items: list[dict[str, str]]) -> tuple[float, float, float]:
    crisis = [i for i in items if i["label"] != "ok"]
    benign = [i for i in items if i["label"] == "ok"]
    got = [(i["label"], triage.classify(i["text"])) for i in crisis]
    detected = [(want, g) for want, g in got if g is not None]
    recall = len(detected) / len(crisis)
    fpr = sum(triage.classify(i["text"]) is not None for i in benign) / len(benign)
    accuracy = sum(want == g for want, g in detected) / max(len(detected), 1)
    return recall, fpr, accuracy


@pytest.mark.parametrize("name,min_items,min_crisis,min_ok", [
    ("triage_cases.yaml", 220, 110, 110),
    ("triage_holdout.yaml", 60, 25, 25),
    ("triage_challenge.yaml", 200, 110, 90),
    ("triage_challenge_holdout.yaml", 100, 50, 50),
    ("triage_round3.yaml", 140, 90, 50),
    ("triage_round3_holdout.yaml", 70, 45, 25),
])
def test_labelled_set_shape(name: str, min_items: int, min_crisis: int, min_ok: int) -> None:
    items = _items(name)
    labels = [i["label"] for i in items]
    assert len(items) >= min_items
    assert labels.count("ok") >= min_ok
    assert len(items) - labels.count("ok") >= min_crisis
    assert set(labels) == set(PRECEDENCE) | {"ok"}
    texts = [i["text"] for i in items]
    assert len(set(texts)) == len(texts)


def test_holdout_does_not_overlap_tuning_set() -> None:
    tuning = {i["text"].lower() for i in _items("triage_cases.yaml")}
    assert not tuning & {i["text"].lower() for i in _items("triage_holdout.yaml")}


def test_challenge_holdout_does_not_overlap_challenge_set() -> None:
    tuning = {i["text"].lower() for i in _items("triage_challenge.yaml")}
    assert not tuning & {i["text"].lower() for i in _items("triage_challenge_holdout.yaml")}


# (the challenge sets' shape is checked in test_labelled_set_shape)


# The challenge sets were written from the safety.yaml header only, by someone
# other than the rules' author, for coverage (subjects x tenses x harm verbs,
# typos, text-speak, idioms, accidents, controlling-but-not-crisis). The
# holdout third was evaluated once before any tuning on it: recall 0.861,
# FPR 0.000. Its misses were then fixed as general patterns, so passing it
# now is no longer an independent measure.
@pytest.mark.parametrize("name", [
    "triage_cases.yaml", "triage_holdout.yaml",
    "triage_challenge.yaml", "triage_challenge_holdout.yaml",
])
def test_labelled_set_figures(triage: Triage, name: str) -> None:
    recall, fpr, accuracy = _figures(triage, _items(name))
    assert recall >= 0.95
    assert fpr <= 0.05
    assert accuracy >= 0.85


# Everyday (all "ok") and oblique-crisis sets, written before the negation and
# euphemism round of rule changes. Before that round: everyday FPR 0.091
# (tuning) / 0.069 (holdout); oblique recall 0.598 / 0.510. The holdout thirds
# were evaluated once, at the end of that round, before any tuning on them:
# everyday FPR 0.050 (5/101), oblique recall 0.627 (32/51). Their thresholds
# below are those single-run figures (both better than before). Its misses were
# then fixed as general patterns (now FPR 0.020, recall 0.980), so passing it
# is no longer an independent measure.
def _texts(name: str) -> list[str]:
    return [i["text"] for i in _items(name)]


@pytest.mark.parametrize("name,minimum", [
    ("triage_everyday.yaml", 200), ("triage_everyday_holdout.yaml", 100),
])
def test_everyday_set_shape(name: str, minimum: int) -> None:
    items = _items(name)
    assert len(items) >= minimum
    assert {i["label"] for i in items} == {"ok"}
    assert len(set(_texts(name))) == len(items)


@pytest.mark.parametrize("name,minimum", [
    ("triage_oblique.yaml", 100), ("triage_oblique_holdout.yaml", 50),
])
def test_oblique_set_shape(name: str, minimum: int) -> None:
    items = _items(name)
    assert len(items) >= minimum
    assert {i["label"] for i in items} == set(PRECEDENCE)
    assert len(set(_texts(name))) == len(items)


@pytest.mark.parametrize("tuning,holdout", [
    ("triage_everyday.yaml", "triage_everyday_holdout.yaml"),
    ("triage_oblique.yaml", "triage_oblique_holdout.yaml"),
])
def test_new_holdouts_do_not_overlap(tuning: str, holdout: str) -> None:
    assert not {t.lower() for t in _texts(tuning)} & {t.lower() for t in _texts(holdout)}


@pytest.mark.parametrize("name,max_fpr", [
    ("triage_everyday.yaml", 0.03),
    ("triage_everyday_holdout.yaml", 0.05),
])
def test_everyday_false_positive_rate(triage: Triage, name: str, max_fpr: float) -> None:
    texts = _texts(name)
    flagged = [t for t in texts if triage.classify(t) is not None]
    assert len(flagged) / len(texts) <= max_fpr, flagged


@pytest.mark.parametrize("name,min_recall", [
    ("triage_oblique.yaml", 0.9),
    ("triage_oblique_holdout.yaml", 0.62),
])
def test_oblique_recall(triage: Triage, name: str, min_recall: float) -> None:
    texts = _texts(name)
    missed = [t for t in texts if triage.classify(t) is None]
    assert 1 - len(missed) / len(texts) >= min_recall, missed


@pytest.mark.parametrize("text", [
    "he won't stop hitting me",
    "he never stops hurting me",
    "I can't stop cutting",
    "I don't want to live",
    "I don't want to wake up",
    "nobody would care if I died",
    "he didn't just hit me, he choked me",
    "I can't go on",
    "I can't go on anymore",
    "I don't want to go on",
])
def test_negation_never_hides_these(triage: Triage, text: str) -> None:
    assert triage.classify(text) is not None


@pytest.mark.parametrize("text", [
    "he would never hurt me",
    "he has never hit me but he yells",
    "i used to want to die but i'm better now",
    "i can't go on like this, something has to change",
    "I can't go on like this with him",
    "I want to end it with him",
    "I'm done",
    "I want out of this marriage",
])
def test_negated_or_hedged_reads_ok(triage: Triage, text: str) -> None:
    assert triage.classify(text) is None


def test_safety_file_self_check_is_clean() -> None:
    assert check_safety_file(SAFETY) == []


def test_every_example_and_trap_behaves(triage: Triage) -> None:
    for cat, category in triage.spec.categories.items():
        for rule in category.rules:
            for ex in rule.examples:
                assert rule.id in triage.matching_rules(ex), (rule.id, ex)
                # A `check` rule's examples ask whether the person is safe; they are not a crisis.
                assert (triage.assess(ex) if rule.tier == "check" else triage.classify(ex)), (rule.id, ex)
            for trap in rule.traps:
                assert triage.classify(trap) is None, (rule.id, trap)


def test_precedence(triage: Triage) -> None:
    # Matches both immediate_danger and violence: danger right now wins.
    assert triage.classify("he has a knife and he is here and he is drunk") == "immediate_danger"
    # Matches both child_at_risk and violence.
    assert triage.classify("he hits me and he hits the kids") == "child_at_risk"
    # Self-harm outranks violence.
    assert triage.classify("he hit me and i want to die") == "self_harm"


def test_idiom_is_blanked_not_vetoed(triage: Triage) -> None:
    assert triage.classify("I'm killing it at work but I want to die") == "self_harm"


@pytest.mark.parametrize("raw,expected", [
    ("I\u2019m fine", "i am fine"),
    ("I don\u2019t know", "i do not know"),
    ("dont", "do not"),
    ("DONT", "do not"),
    ("im tired", "i am tired"),
    ("kms", "kill myself"),
    ("i want to   kms", "i want to kill myself"),
    ("so\u200btired", "sotired"),
    ("soooo tired", "soo tired"),
    ("i\u2019ll be ill", "i will be ill"),
    ("he\u2019ll go to hell", "he will go to hell"),
    ("\u201cok\u201d", '"ok"'),
    ("self-harm", "self harm"),
    ("  a \t\n b  ", "a b"),
    ("\uff49\uff4d", "i am"),  # full-width letters, folded by NFKC
])
def test_normalise(triage: Triage, raw: str, expected: str) -> None:
    assert triage.normalise(raw) == expected


def test_zero_width_inside_a_crisis_word(triage: Triage) -> None:
    assert triage.classify("i want to k\u200bms") == "self_harm"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_classify_never_raises_and_is_stable_under_normalise(text: str) -> None:
    _shared().classify(text)  # with the net: never raises
    triage = _shared(net=False)  # stable under normalising: the rules (the net reads the message's own sentences)
    once = triage.normalise(text)
    assert triage.normalise(once) == once
    assert triage.classify(text) == triage.classify(once)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "he", "she", "me", "i", "am", "not", "safe", "kill", "myself", "said", "no",
    "kids", "the", "door", "want", "to", "die", "gun", "at", "hit", "’", "\u200b",
    "sooo", "dont", "u", "im", " ", ".", "\n",
]), max_size=60))
def test_word_soup_never_raises(words: list[str]) -> None:
    triage = _shared()
    text = " ".join(words)
    triage.classify(text)
    # The rules read normalised text, so normalising first changes nothing; the net's hard-kind head reads the
    # message's own sentences (cut on its punctuation), so this holds for the rules alone.
    rules = _shared(net=False)
    assert rules.classify(text) == rules.classify(rules.normalise(text))


_CACHE: dict[str, Triage] = {}


def _shared(net: bool = True) -> Triage:
    key = "t" if net else "rules"
    if key not in _CACHE:
        _CACHE[key] = Triage.load(SAFETY, net=net)
    return _CACHE[key]


@pytest.mark.parametrize("chunk", [
    "a ", "he ", "me ", "kids ", "x", "i said no ", "he said ", "gun ",
    "bruises from ", "he is here and ", "sooo", "\u200b", "want to ", "my son ",
])
def test_long_pathological_input_returns(triage: Triage, chunk: str) -> None:
    text = (chunk * (10_000 // len(chunk) + 1))[:10_000]
    assert triage.classify(text) is None
    assert triage.classify(text + " i want to die") == "self_harm"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "safety.yaml"
    path.write_text(body, encoding="utf-8")
    return path


_MINIMAL = """
version: 1
normalise: {{im: i am}}
categories:
  immediate_danger: {{label: x, rules: [{{id: a, pattern: 'not safe', why: w, examples: ['i am not safe']}}]}}
  self_harm: {{label: x, rules: [{{id: b, pattern: '{pattern}', why: w, examples: ['{example}'], traps: ['{trap}']}}]}}
  child_at_risk: {{label: x, rules: [{{id: c, pattern: 'hits the kids', why: w, examples: ['he hits the kids']}}]}}
  sexual_violence: {{label: x, rules: [{{id: d, pattern: 'raped', why: w, examples: ['he raped me']}}]}}
  violence: {{label: x, rules: [{{id: e, pattern: 'hit me', why: w, examples: ['he hit me']}}]}}
"""


def test_minimal_file_is_clean(tmp_path: Path) -> None:
    path = _write(tmp_path, _MINIMAL.format(pattern="want to die", example="i want to die", trap="dying to see it"))
    assert check_safety_file(path) == []
    assert Triage.load(path).classify("I want to die") == "self_harm"


def test_a_language_file_that_does_not_parse_is_named_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _MINIMAL.format(pattern="want to die", example="i want to die", trap="dying to see it"))
    (tmp_path / "safety").mkdir()
    (tmp_path / "safety" / "xx.yaml").write_text("version: 1\nlanguage: xx\nexclude:\n  - why: 'it's'\n",
                                                 encoding="utf-8")
    [(where, what)] = check_safety_file(path)
    assert where == "safety/xx.yaml line 4" and what
    with pytest.raises(SafetyContentError, match=r"^safety/xx\.yaml: line 4: "):
        Triage.load(path)


@pytest.mark.parametrize("pattern,example,trap,problem", [
    ("want to (die", "i want to die", "fine", "does not compile"),
    ("want to die", "i wish i was gone", "fine", "example does not match"),
    ("want to die", "i want to die", "i want to die of embarrassment", "trap matches"),
    ("want to die", "i want to die", "he hit me", "flagged crisis violence"),
])
def test_self_check_reports_problems(tmp_path: Path, pattern: str, example: str, trap: str, problem: str) -> None:
    path = _write(tmp_path, _MINIMAL.format(pattern=pattern, example=example, trap=trap))
    problems = check_safety_file(path)
    assert problems and problems[0][0] == "b" and problem in problems[0][1]
    with pytest.raises(SafetyContentError, match=r"^safety\.yaml: b: "):
        Triage.load(path)


@pytest.mark.parametrize("negate,problem", [
    ("[{pattern: 'never (hit', why: w, examples: ['x'], traps: ['y']}]", "does not compile"),
    ("[{pattern: 'never hit me', why: w, examples: ['he hit me'], traps: ['he hit me']}]", "example does not match"),
    ("[{pattern: 'never', why: w, examples: ['he has never hit me'], traps: ['he hit me']}]", "example is still flagged"),
    ("[{pattern: 'hit me', why: w, examples: ['he never hit me'], traps: ['he hit me']}]", "trap is no longer flagged"),
])
def test_self_check_reports_negation_problems(tmp_path: Path, negate: str, problem: str) -> None:
    body = _MINIMAL.format(pattern="want to die", example="i want to die", trap="fine")
    body = body.replace("categories:", f"negate: {negate}\ncategories:", 1)
    problems = check_safety_file(_write(tmp_path, body))
    assert problems and problems[0][0] == "negate[0]" and problem in problems[0][1], problems


def test_missing_category_is_an_error(tmp_path: Path) -> None:
    body = _MINIMAL.format(pattern="x", example="x", trap="y").replace("  violence:", "  other:")
    path = _write(tmp_path, body)
    assert check_safety_file(path)[0][0] == "categories"
    with pytest.raises(SafetyContentError, match=r"^safety\.yaml: categories: "):
        Triage.load(path)


def test_unnormalised_replacement_is_an_error(tmp_path: Path) -> None:
    body = _MINIMAL.format(pattern="x", example="x", trap="y").replace("{im: i am}", "{im: I Am}")
    assert check_safety_file(_write(tmp_path, body))[0][0] == "normalise.im"


# Round 3: written by a fresh author before reading the rules' patterns (phone-typed
# fragments, buried sentences, UK/AU/Indian wording, second-hand reports labelled
# crisis, benign near-misses). Before that round's rule changes: tuning recall 0.690,
# FPR 0.070; holdout recall 0.667, FPR 0.071. The holdout third was evaluated once,
# after tuning on the other two thirds only: recall 0.917 (44/48), FPR 0.036 (1/28),
# category accuracy 43/44. Its thresholds below are those single-run figures.
# (their shape is checked in test_labelled_set_shape)


def test_round3_holdout_does_not_overlap_any_tuning_set() -> None:
    held = {i["text"].lower() for i in _items("triage_round3_holdout.yaml")}
    for name in ("triage_round3.yaml", "triage_cases.yaml", "triage_challenge.yaml",
                 "triage_everyday.yaml", "triage_oblique.yaml"):
        assert not held & {i["text"].lower() for i in _items(name)}, name


@pytest.mark.parametrize("name,min_recall,max_fpr,min_accuracy", [
    ("triage_round3.yaml", 0.95, 0.05, 0.95),
    ("triage_round3_holdout.yaml", 0.91, 0.04, 0.95),
])
def test_round3_figures(triage: Triage, name: str, min_recall: float, max_fpr: float,
                        min_accuracy: float) -> None:
    recall, fpr, accuracy = _figures(triage, _items(name))
    assert recall >= min_recall
    assert fpr <= max_fpr
    assert accuracy >= min_accuracy


@pytest.mark.parametrize("text,want", [
    ("i want to dieeee", "self_harm"),
    ("help 😭", "immediate_danger"),
    ("HELLLP", "immediate_danger"),
    ("he hit me😢", "violence"),
    ("/help", None),
    ("he pulled a 🔪 on me", "violence"),  # content/safety.yaml `emoji:` reads it as the word it stands for
    ("he has a 🔫 in his hand and hes drunk", "immediate_danger"),
    ("took all my 💊💊", "self_harm"),
    ("🆘", "immediate_danger"),
    ("chopping onions 🔪🧅 for dinner", None),
    ("vitamins 💊 every morning", None),
])
def test_emoji_and_stretched_letters(triage: Triage, text: str, want: str | None) -> None:
    assert triage.classify(text) == want


def test_an_emoji_key_must_be_one_character_and_its_word_in_normal_form(tmp_path: Path) -> None:
    for emoji, where in (('"🗡️": knife', "emoji"), ('"🔪": Knife', "emoji")):
        body = _MINIMAL.format(pattern="x", example="x", trap="y").replace("version: 1", f"version: 1\nemoji: {{{emoji}}}")
        with pytest.raises(SafetyContentError, match=rf"^safety\.yaml: {where}: "):
            Triage.load(_write(tmp_path, body))


def test_crisis_buried_in_a_long_message(triage: Triage) -> None:
    filler = "work was long and the bus was late and I made pasta for the kids. " * 150
    assert triage.classify(filler + "he gave me a hiding last night. " + filler) == "violence"
    assert triage.classify(filler) is None


# ---- round 4: three tiers, eight languages ------------------------------------------------------------------
# Written by an author who never read the rules (tests/data/triage_r4*.yaml, 1,718 messages in en, es, fr, de,
# it, nl, pt and Hindi in Latin letters), committed before any rule change. Label `crisis` means the message
# must reach help: the crisis screen or the check question; the hard kinds must reach the crisis screen.
# Before: recall 0.25 on the tuning side (English 0.54, every other language 0.00). Rules were then written
# from the tuning side only, which now reaches 1.00 by construction. The holdout, on its single run
# (commit that added this block): recall 0.60 (170/284: en 0.68, es 0.86, fr 0.73, pt 0.64, it 0.55, hi 0.36,
# nl 0.36, de 0.23), benign to the crisis screen 0.060 (17/284), to the check question 0.007 (2/284); hard
# kinds as crisis: strangulation 15/22, threats to kill 14/32, weapons 9/11, injuries now 15/21, overdoses
# now 7/11. The goals (0.97, 3 %, 10 %) are far from met on unseen messages; see README.
# Then a broad `check` net (content/safety/net_LANG.yaml) was written by a helper who never saw the holdout,
# from general danger vocabulary and its own probes (tests/data/triage_net_probes.yaml). Holdout, second run
# (not independent: the coordinator had read the first run's misses, though the net's author had not):
# recall 0.69 (196/284; es 0.95, fr 0.82, en 0.71, it 0.68, pt 0.68, nl 0.59, de 0.55, hi 0.45), benign to
# the crisis screen 0.060, to the check question 0.018; hard kinds unchanged.
HARD = ("strangulation", "threat_to_kill", "weapon", "injury_now", "overdose_now")
R4_LANGS = ("en", "es", "fr", "de", "it", "nl", "pt", "hi")


def _r4_figures(triage: Triage, items: list[dict], lang: str | None = None) -> dict[str, float]:
    items = [i for i in items if lang is None or i["lang"] == lang]
    danger = [i for i in items if i["label"] == "crisis"]
    benign = [i for i in items if i["label"] == "ok"]
    hard = [i for i in danger if i.get("kind") in HARD]
    verdicts = {i["text"]: triage.assess(i["text"]) for i in items}
    return {
        "recall": sum(bool(verdicts[i["text"]]) for i in danger) / len(danger),
        "hard_as_crisis": sum(verdicts[i["text"]].tier == "crisis" for i in hard) / max(1, len(hard)),
        "benign_crisis": sum(verdicts[i["text"]].tier == "crisis" for i in benign) / len(benign),
        "benign_check": sum(verdicts[i["text"]].tier == "check" for i in benign) / len(benign),
    }


@pytest.mark.parametrize("name", ["triage_r4.yaml", "triage_r4_holdout.yaml"])
def test_round4_sets_cover_every_language_kind_and_label(name: str) -> None:
    items = _items(name)
    assert {i["lang"] for i in items} == set(R4_LANGS)
    for lang in R4_LANGS:
        mine = [i for i in items if i["lang"] == lang]
        assert {i["label"] for i in mine} == {"crisis", "ok"}
    assert {i.get("kind") for i in items if i["label"] == "crisis"} >= set(HARD)


def test_round4_holdout_does_not_overlap_its_tuning_side() -> None:
    assert not {i["text"] for i in _items("triage_r4.yaml")} & {i["text"] for i in _items("triage_r4_holdout.yaml")}


@pytest.mark.parametrize("lang", R4_LANGS)
def test_round4_tuning_goals_per_language(triage: Triage, lang: str) -> None:
    figures = _r4_figures(triage, _items("triage_r4.yaml"), lang)
    assert figures["recall"] >= 0.97 and figures["hard_as_crisis"] >= 0.95, figures
    assert figures["benign_crisis"] <= 0.03 and figures["benign_check"] <= 0.10, figures


def test_round4_holdout_keeps_its_measured_figures(triage: Triage) -> None:
    """Not a goal: the single-run holdout figure, kept so that a later change cannot quietly lose ground."""
    figures = _r4_figures(triage, _items("triage_r4_holdout.yaml"))
    assert figures["recall"] >= 0.68 and figures["benign_crisis"] <= 0.07 and figures["benign_check"] <= 0.03, figures


def test_the_check_net_probes_reach_help(triage: Triage) -> None:
    """The net's own probes (shaped on their misses, so a regression guard, not a measure)."""
    items = _items("triage_net_probes.yaml")
    danger = [i["text"] for i in items if i["label"] == "crisis"]
    benign = [i["text"] for i in items if i["label"] == "ok"]
    assert sum(bool(triage.assess(t)) for t in danger) / len(danger) >= 0.95
    assert sum(bool(triage.assess(t)) for t in benign) <= max(1, len(benign) // 10)


# ---- round 5: a check tier in every language, Spanish idioms (issues 13 and 18 item 4) ------------------------
# Written by an author who never read the rules (tests/data/triage_r5.yaml, 921 messages in eight languages, with
# `check` labels for signals a counsellor would ask about), committed before any rule change. The rules were then
# written from the tuning side only, as phrasing families (content/safety/en.yaml and the round-5 rules in each
# LANG.yaml), so the tuning figures are by construction. Before: danger recall 0.62, check-labelled reaching help
# 0.14, hard kinds as crisis 0.58, benign to the crisis screen 0.088, to the check question 0.04 (Spanish 0.58,
# 0.21, 0.54, 0.12, 0.09). The holdout (triage_r5_holdout.yaml) is the lead's to run once; nothing here reads it.
# These goals are the rules' own: a verdict the learned net raised (kind `unsure`) counts as `ok` here, so the rules
# cannot lean on the net, and the net's own false checks are measured by its tests, not hidden in these.
R5_HARD = (*HARD, "child_self")


def _rules_figures(triage: Triage, name: str, lang: str, hard: tuple[str, ...]) -> dict[str, float]:
    """The rules' own figures on one tuning file and language (a verdict the net raised counts as `ok`)."""
    items = [i for i in _items(name) if i["lang"] == lang]
    verdicts = {i["text"]: triage.assess(i["text"]) for i in items}
    verdicts = {t: (v if "unsure" not in v.kinds else OK) for t, v in verdicts.items()}

    def share(label: str, ok, kinds: tuple[str, ...] | None = None) -> float:
        mine = [i for i in items if i["label"] == label and (kinds is None or i.get("kind") in kinds)]
        return sum(ok(verdicts[i["text"]]) for i in mine) / max(1, len(mine))

    return {
        "danger_recall": share("crisis", bool),
        "check_recall": share("check", bool),
        "hard_as_crisis": share("crisis", lambda v: v.tier == "crisis", hard),
        "benign_crisis": share("ok", lambda v: v.tier == "crisis"),
        "benign_check": share("ok", lambda v: v.tier == "check"),
    }


@pytest.mark.parametrize("lang", R4_LANGS)
def test_round5_tuning_goals_per_language(triage: Triage, lang: str) -> None:
    figures = _rules_figures(triage, "triage_r5.yaml", lang, R5_HARD)
    assert figures["danger_recall"] >= 0.97 and figures["check_recall"] >= 0.9, figures
    assert figures["hard_as_crisis"] >= 0.95, figures
    assert figures["benign_crisis"] <= 0.03 and figures["benign_check"] <= 0.10, figures


@pytest.mark.parametrize("text", [
    "me muero de ganas de verte",
    "mi jefe me mata si llego tarde",
    "mi mamá me va a matar cuando vea el piercing nuevo",
    "el entrenador dice que nos mata en el entreno si perdemos",
    "nos dieron una paliza 4-0 en el partido",
    "te juro que lo quería ahorcar con su propio cordón",
    "se me cayó el móvil al váter, quiero morirme",
    "mi papá nos pegaba de chicos, ya hicimos las paces",
    "yo también me muero de la vergüenza",
    "my sister is going to kill me, i spilled wine on her rug",
    "my brother shot me in fortnite",
    "i'm dying to see it",
    "he's killing it at work",
    "i used to self harm as a teenager, 8 years clean now",
])
def test_round5_idioms_read_ok(triage: Triage, text: str) -> None:
    assert not triage.assess(text), triage.assess(text)


@pytest.mark.parametrize("text,tier", [
    ("mi esposo me dijo que de esta casa salgo con los pies por delante", "crisis"),
    ("mi novio me va a matar, lo juró y tiene un cuchillo", "crisis"),
    ("mi jefe me mata si llego tarde pero mi marido me pega", "crisis"),
    ("cuando bebe se pone que da miedo", "check"),
    ("yo ya no quiero vivir", "crisis"),
    ("he said nobody would ever find my body", "crisis"),
    ("is it normal to feel dizzy after being choaked", "crisis"),
])
def test_round5_danger_still_found_beside_idioms(triage: Triage, text: str, tier: str) -> None:
    assert triage.assess(text).tier == tier, triage.assess(text)


# ---- round 6: what the unseen round-6 tuning side showed (issue 13) -----------------------------------------------
# tests/data/triage_r6.yaml was measured as unseen text first (README, round 6: danger recall 0.880, hard kinds as
# crisis 0.814, benign to the crisis screen 4.8 %, to the check question 6.7 %, Spanish and French weakest). The rules
# in content/safety/r6_LANG.yaml were then written from its misses as phrasing families, so these figures are by
# construction. As in round 5 they are the rules' own: a verdict the net raised (`unsure`) counts as `ok`.
@pytest.mark.parametrize("lang", R4_LANGS)
def test_round6_tuning_goals_per_language(triage: Triage, lang: str) -> None:
    figures = _rules_figures(triage, "triage_r6.yaml", lang, HARD)
    assert figures["danger_recall"] >= 0.97 and figures["check_recall"] >= 0.8, figures
    # German keeps one break described without who did it at `check` (a sports injury reads the same way)
    assert figures["hard_as_crisis"] >= (0.85 if lang == "de" else 0.95), figures
    assert figures["benign_crisis"] <= 0.03 and figures["benign_check"] <= 0.10, figures


@pytest.mark.parametrize("text,tier", [
    ("me quiere matar", "crisis"),
    ("creo que mi ex me quiere matar", "crisis"),
    ("él me va a matar cuando llegue", "crisis"),
    ("dijo que me mata si lo dejo", "crisis"),
    ("me va a matar", "check"),
    ("mi mamá me quiere matar porque rompí su taza", "ok"),
    ("mi jefa me va a matar si llego tarde otra vez", "ok"),
    ("my boss is going to kill me, i missed the deadline again", "ok"),
    ("mon chef va me tuer, j'ai encore raté la deadline", "ok"),
    ("mio figlio di 6 anni dice 'ti ammazzo' quando giochiamo con le pistole ad acqua", "ok"),
    ("mein knie bringt mich um seit dem joggen", "ok"),
    ("il a dit qu'il allait m'enterrer dans le jardin", "crisis"),
    ("ze zei dat ze me in de tuin begraaft", "crisis"),
    # was a net-only probe (tests/flows/test_triage_net.py); the net retrained with round 6 scores it just under its
    # threshold, and "evrything" is a phone spelling the rules now fold like "tonite"
    ("i wanna end evrything tonite", "crisis"),
])
def test_round6_threats_and_idioms(triage: Triage, text: str, tier: str) -> None:
    verdict = triage.assess(text)
    assert (verdict.tier if "unsure" not in verdict.kinds else "ok") == tier, verdict
