"""Round-6 labelled triage sets (issue 13, "Measure it honestly"): their SHAPE only.

Written before any rule change it measures, by an author ("sets6") who never read the rules, the detector or
any earlier set. This file checks that the sets are well formed -- labels, categories and kinds valid, every
language carrying every label, category and kind on both sides, the tuning and holdout sides disjoint from each
other and from every earlier set, the holdout being every third item -- and deliberately measures nothing about
the detector: figures belong to whoever evaluates the holdout, once.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
TUNING, HOLDOUT = "triage_r6.yaml", "triage_r6_holdout.yaml"
LANGS = ("en", "es", "fr", "de", "it", "nl", "pt", "hi")
LABELS = {"crisis", "check", "ok"}
CATEGORIES = {"violence", "immediate_danger", "self_harm", "child_at_risk", "sexual_violence"}
HARD = {"strangulation", "threat_to_kill", "weapon", "injury_now", "overdose_now"}
KINDS = HARD | {"child_self", "murder_suicide"}
# Sizes over both files, as the brief asked: en ~200, es ~150, every other language ~60.
MINIMUM = {"en": (85, 22, 80), "es": (65, 16, 60)}
SMALL = (25, 6, 24)


def _items(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["items"]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _texts_anywhere(node: object) -> set[str]:
    """Every string stored under a `text` key, whatever the file's layout."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.add(_key(value))
            else:
                found |= _texts_anywhere(value)
    elif isinstance(node, list):
        for value in node:
            found |= _texts_anywhere(value)
    return found


@pytest.mark.parametrize("name", [TUNING, HOLDOUT])
def test_every_item_is_well_formed(name: str) -> None:
    for item in _items(name):
        assert set(item) <= {"text", "label", "categories", "lang", "kind"}, item
        assert isinstance(item["text"], str) and item["text"].strip(), item
        assert item["label"] in LABELS, item
        assert item["lang"] in LANGS, item
        if item["label"] == "ok":
            assert "categories" not in item and item.get("kind") is None, item
            continue
        cats = item["categories"]
        assert cats and set(cats) <= CATEGORIES and len(set(cats)) == len(cats), item
        if item.get("kind") is not None:
            assert item["kind"] in KINDS, item
        if item["label"] == "check":
            assert item.get("kind") not in HARD, item  # a hard kind must reach the crisis screen, never only check


@pytest.mark.parametrize("name", [TUNING, HOLDOUT])
def test_a_murder_suicide_threat_is_danger_to_the_writer_never_self_harm(name: str) -> None:
    threats = [i for i in _items(name) if i.get("kind") == "murder_suicide"]
    assert threats
    for item in threats:
        assert item["label"] == "crisis" and "immediate_danger" in item["categories"], item
        assert "self_harm" not in item["categories"], item


@pytest.mark.parametrize("name", [TUNING, HOLDOUT])
def test_every_language_has_every_label_category_and_kind(name: str) -> None:
    items = _items(name)
    assert {i["lang"] for i in items} == set(LANGS)
    for lang in LANGS:
        mine = [i for i in items if i["lang"] == lang]
        assert {i["label"] for i in mine} == LABELS, lang
        crisis = [i for i in mine if i["label"] == "crisis"]
        assert {c for i in crisis for c in i["categories"]} == CATEGORIES, lang
        assert {i.get("kind") for i in crisis} >= KINDS, lang


def test_every_language_has_a_long_message_with_danger_buried_and_a_long_benign_one() -> None:
    both = _items(TUNING) + _items(HOLDOUT)
    for lang in LANGS:
        for label in ("crisis", "ok"):
            longest = max(len(i["text"]) for i in both if i["lang"] == lang and i["label"] == label)
            assert 600 <= longest <= 2500, (lang, label, longest)


def test_no_text_repeats_within_or_across_the_two_files() -> None:
    counts = Counter(_key(i["text"]) for name in (TUNING, HOLDOUT) for i in _items(name))
    assert [text for text, n in counts.items() if n > 1] == []


def test_round6_shares_no_text_with_any_earlier_set() -> None:
    mine = {_key(i["text"]) for name in (TUNING, HOLDOUT) for i in _items(name)}
    for path in sorted(DATA.glob("*.yaml")):
        if path.name in (TUNING, HOLDOUT):
            continue
        overlap = sorted(mine & _texts_anywhere(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert overlap == [], path.name  # names only the round-6 texts that repeat, never the earlier sets' others


def test_holdout_is_every_third_item_of_each_language_and_label() -> None:
    tuning, holdout = Counter(), Counter()
    for item in _items(TUNING):
        tuning[item["lang"], item["label"]] += 1
    for item in _items(HOLDOUT):
        holdout[item["lang"], item["label"]] += 1
    for lang in LANGS:
        for label in LABELS:
            total = tuning[lang, label] + holdout[lang, label]
            assert holdout[lang, label] == total // 3, (lang, label)


def test_sizes_per_language_and_label() -> None:
    both = _items(TUNING) + _items(HOLDOUT)
    sizes = Counter((i["lang"], i["label"]) for i in both)
    for lang in LANGS:
        crisis, check, ok = MINIMUM.get(lang, SMALL)
        assert sizes[lang, "crisis"] >= crisis and sizes[lang, "check"] >= check and sizes[lang, "ok"] >= ok, lang
