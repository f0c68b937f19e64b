"""Corpus 9b (issue 13): TRAINING text for the learned triage net in it, nl, pt and hi -- its SHAPE only.

tests/data/triage_corpus9b.yaml is written to make the net generalise, never to measure it: these checks read the
file's labels, categories, kinds, languages, sizes and lengths, and that its texts are new, and nothing about the
detector. A duplicate found in another set is reported by file name and count only (the other set's texts stay
unread).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import yaml

from tests.support import labelled_sets as sets

NAME = "triage_corpus9b.yaml"
FIELDS = {"text", "label", "categories", "lang", "kind"}
KINDS = sets.HARD | {"child_self", "murder_suicide"}
# The languages this corpus writes (another helper writes the others). CORPUS9B_LANGS narrows it while writing.
WRITTEN = tuple(os.environ.get("CORPUS9B_LANGS", "it nl pt hi").split())
SMALL = 120  # messages per language, at least
SHARE = 0.40  # at least this share of each language benign, and at least this share danger
CHECK_SHARE = 0.10  # round 9 asked for about 12 % check per language
MEDIUM = (150, 700)  # 2-6 sentences: at least a third of each language's items
LONG = (1000, 2000)  # and at least LONG_COUNT of these per language
LONG_COUNT = 4

# Sentences quoted in issue 13 and in the brief: the corpus must not repeat them (they are probes, not training).
TOLD = [
    "finish the job", "if I can't have you nobody will", "chocked", "held a pillow over my face", "I'm bleeding",
    "my stepdad comes into my room at night", "cornered me in the storeroom and grabbed…",
    "is that enough pills to not wake up", "the world would be lighter without me", "I'd rather be dead than go back",
    "mi esposo me pega", "er schlägt mich", "mera pati mujhe maarta hai",
    "if I leave he will kill himself and take me with him", "took a bunch of pills idk what to do",
    "my mum smothers me with attention", "he beat me to the promotion",
    "my boss would kill me if he knew I was job hunting", "i cant call he will hear me", "put you in the ground",
    "kms", "unalive", "my stepdad comes into my room at night and I want to die", "golpeó", "schlägt",
    "killed it at work", "you'll end up in a ditch", "I could kill him for eating my cake", "strangeled",
    "are you safe right now?", "so I'd see it", "he counted the pills with me", "took my phone and locked the door",
    "I'll strangle him, just kidding",
]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return yaml.safe_load((sets.DATA / NAME).read_text(encoding="utf-8"))["items"]


def mine(items: list[dict], lang: str) -> list[dict]:
    return [i for i in items if i["lang"] == lang]


def test_every_item_is_well_formed(items: list[dict]) -> None:
    for item in items:
        assert set(item) == FIELDS, item
        assert isinstance(item["text"], str) and item["text"].strip() == item["text"] != "", item
        assert item["label"] in sets.LABELS and item["lang"] in sets.LANGS, item
        cats = item["categories"]
        assert isinstance(cats, list) and set(cats) <= sets.CATEGORIES and len(set(cats)) == len(cats), item
        assert item["kind"] is None or item["kind"] in KINDS, item
        if item["label"] == "ok":
            assert cats == [] and item["kind"] is None, item
        else:
            assert cats, item
        if item["label"] == "check":
            assert item["kind"] not in sets.HARD, item  # a hard kind must reach the crisis screen, never only check


def test_kinds_agree_with_categories(items: list[dict]) -> None:
    """Each kind carries the category the net shows it under; a murder-suicide threat is danger to the writer
    (never self-harm); a child's own disclosure is child_at_risk."""
    need = {"strangulation": "violence", "threat_to_kill": "violence", "weapon": "violence",
            "injury_now": "immediate_danger", "overdose_now": "self_harm", "child_self": "child_at_risk",
            "murder_suicide": "immediate_danger"}
    for item in items:
        if item["kind"]:
            assert item["label"] == "crisis" and need[item["kind"]] in item["categories"], item
        if item["kind"] == "murder_suicide":
            assert "self_harm" not in item["categories"], item


def test_only_the_written_languages(items: list[dict]) -> None:
    assert {i["lang"] for i in items} == set(WRITTEN)


def test_no_text_repeats_within_the_file(items: list[dict]) -> None:
    counts = Counter(sets.key(i["text"]) for i in items)
    assert [text for text, n in counts.items() if n > 1] == []


def test_no_text_is_a_sentence_quoted_in_the_issue_or_brief(items: list[dict]) -> None:
    told = {sets.key(t) for t in TOLD}
    assert [i["text"] for i in items if sets.key(i["text"]) in told] == []


def test_no_text_is_in_any_other_set(items: list[dict]) -> None:
    texts = {sets.key(i["text"]) for i in items}
    shared = {}
    for path in sorted(sets.DATA.glob("*.yaml")):
        if path.name == NAME:
            continue
        n = len(texts & sets._texts_anywhere(yaml.safe_load(path.read_text(encoding="utf-8"))))
        if n:
            shared[path.name] = n
    assert shared == {}  # names and counts only: the other sets' texts are not printed


@pytest.mark.parametrize("lang", WRITTEN)
def test_every_language_has_every_label_category_and_kind(items: list[dict], lang: str) -> None:
    crisis = [i for i in mine(items, lang) if i["label"] == "crisis"]
    assert {c for i in crisis for c in i["categories"]} == sets.CATEGORIES
    assert {i["kind"] for i in crisis} >= KINDS
    assert None in {i["kind"] for i in crisis}  # danger of no hard kind is labelled too ("labels kinds")
    assert {i["label"] for i in mine(items, lang)} == sets.LABELS


@pytest.mark.parametrize("lang", WRITTEN)
def test_sizes_and_shares(items: list[dict], lang: str) -> None:
    sizes = Counter(i["label"] for i in mine(items, lang))
    total = sum(sizes.values())
    assert total >= SMALL, total
    assert sizes["ok"] >= SHARE * total, (sizes, total)
    assert total - sizes["ok"] >= SHARE * total, (sizes, total)
    assert sizes["check"] >= CHECK_SHARE * total, (sizes, total)


@pytest.mark.parametrize("lang", WRITTEN)
def test_danger_is_weighted_to_the_hard_kinds(items: list[dict], lang: str) -> None:
    danger = [i for i in mine(items, lang) if i["label"] != "ok"]
    hard = [i for i in danger if i["kind"] in sets.HARD | {"murder_suicide"}]
    assert len(hard) * 2 >= len(danger), (len(hard), len(danger))


@pytest.mark.parametrize("lang", WRITTEN)
def test_lengths_medium_and_long_in_danger_and_benign(items: list[dict], lang: str) -> None:
    """A third of the items are 2-6 sentences, and there are long ones, each in danger AND benign text (so that
    length alone tells the net nothing)."""
    lm = mine(items, lang)
    medium = [i for i in lm if MEDIUM[0] <= len(i["text"]) <= MEDIUM[1]]
    long_ = [i for i in lm if LONG[0] <= len(i["text"]) <= LONG[1]]
    assert len(medium) * 3 >= len(lm), (len(medium), len(lm))
    assert len(long_) >= LONG_COUNT, len(long_)
    for group in (medium, long_):
        assert {i["label"] == "ok" for i in group} == {True, False}
    assert max(len(i["text"]) for i in lm) <= LONG[1]
