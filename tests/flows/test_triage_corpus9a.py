"""Corpus 9a (issue 13): TRAINING text for the learned triage net in en, es, fr, de -- its SHAPE only.

tests/data/triage_corpus9a.yaml is written to make the net generalise, never to measure it: these checks read the
file's labels, categories, kinds, languages, sizes and lengths, and that its texts are new, and nothing about the
detector. A duplicate found in another set is reported by file name and count only (the other set's texts stay
unread).
"""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from tests.support import labelled_sets as sets

NAME = "triage_corpus9a.yaml"
FIELDS = {"text", "label", "categories", "lang", "kind"}
KINDS = sets.HARD | {"child_self", "murder_suicide"}
WRITTEN = ("en", "es", "fr", "de")  # the other languages are another helper's
MINIMUM = {"en": 180}  # messages per language; every other written language at least SMALL
SMALL = 110
SHARE = 0.40  # at least this share of each language benign, and at least this share danger
CHECK_SHARE = (0.08, 0.20)  # `check` items per language: about 12 %
MID = (150, 700)  # "2-6 sentences": at least a third of each language's items
LONG = (1000, 2000)  # at least LONG_COUNT per language
LONG_COUNT = 3

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
    "I'll strangle him, just kidding", "he counted the pills with me", "took my phone and locked the door",
    "so I'd see it", "blood in the sink", "baby not moving after a kick", "the smell of gas",
    "took a whole box", "drank bleach", "pills with alcohol", "blacked out", "could not swallow",
    "marks on the neck", "voice gone", "water gun", "shooting a film", "are you safe right now?",
]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return yaml.safe_load((sets.DATA / NAME).read_text(encoding="utf-8"))["items"]


def test_every_item_is_well_formed(items: list[dict]) -> None:
    for item in items:
        assert set(item) == FIELDS, item
        assert isinstance(item["text"], str) and item["text"].strip() == item["text"] != "", item
        assert item["label"] in sets.LABELS and item["lang"] in WRITTEN, item
        cats = item["categories"]
        assert isinstance(cats, list) and set(cats) <= sets.CATEGORIES and len(set(cats)) == len(cats), item
        assert item["kind"] is None or item["kind"] in KINDS, item
        if item["label"] == "ok":
            assert cats == [] and item["kind"] is None, item
        else:
            assert cats, item
        if item["label"] == "check":
            assert item["kind"] is None, item  # a hard kind must reach the crisis screen, never only check


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


def test_no_text_repeats_within_the_file(items: list[dict]) -> None:
    counts = Counter(sets.key(i["text"]) for i in items)
    assert [text for text, n in counts.items() if n > 1] == []


def test_no_text_is_a_sentence_quoted_in_the_issue_or_brief(items: list[dict]) -> None:
    told = {sets.key(t) for t in TOLD}
    assert [i["text"] for i in items if sets.key(i["text"]) in told] == []


def test_no_text_is_in_any_other_set(items: list[dict]) -> None:
    mine = {sets.key(i["text"]) for i in items}
    shared = {}
    for path in sorted(sets.DATA.glob("*.yaml")):
        if path.name == NAME:
            continue
        n = len(mine & sets._texts_anywhere(yaml.safe_load(path.read_text(encoding="utf-8"))))
        if n:
            shared[path.name] = n
    assert shared == {}  # names and counts only: the other sets' texts are not printed


def test_every_written_language_has_every_label_category_and_kind(items: list[dict]) -> None:
    assert {i["lang"] for i in items} == set(WRITTEN)
    for lang in WRITTEN:
        crisis = [i for i in items if i["lang"] == lang and i["label"] == "crisis"]
        assert {c for i in crisis for c in i["categories"]} == sets.CATEGORIES, lang
        assert {i["kind"] for i in crisis} >= KINDS, lang
        assert {i["label"] for i in items if i["lang"] == lang} == sets.LABELS, lang


def test_sizes_benign_share_and_check_share_per_language(items: list[dict]) -> None:
    sizes = Counter((i["lang"], i["label"]) for i in items)
    for lang in WRITTEN:
        total = sum(sizes[lang, label] for label in sets.LABELS)
        assert total >= MINIMUM.get(lang, SMALL), (lang, total)
        assert sizes[lang, "ok"] >= SHARE * total, (lang, sizes[lang, "ok"], total)
        assert total - sizes[lang, "ok"] >= SHARE * total, (lang, total - sizes[lang, "ok"], total)
        assert CHECK_SHARE[0] * total <= sizes[lang, "check"] <= CHECK_SHARE[1] * total, (lang, sizes[lang, "check"])


def test_danger_is_weighted_to_the_hard_kinds(items: list[dict]) -> None:
    """At least half of each language's danger messages are of a hard kind (or murder-suicide), as the brief asked."""
    for lang in WRITTEN:
        danger = [i for i in items if i["lang"] == lang and i["label"] != "ok"]
        hard = [i for i in danger if i["kind"] in sets.HARD | {"murder_suicide"}]
        assert len(hard) * 2 >= len(danger), (lang, len(hard), len(danger))


def test_lengths_per_language(items: list[dict]) -> None:
    """Round 9's shape: a third of each language's messages are 2-6 sentences, a few are long, and both danger and
    benign messages come in every length (so length alone says nothing about danger)."""
    for lang in WRITTEN:
        mine = [i for i in items if i["lang"] == lang]
        mid = [i for i in mine if MID[0] <= len(i["text"]) <= MID[1]]
        assert len(mid) * 3 >= len(mine), (lang, len(mid), len(mine))
        assert {i["label"] == "ok" for i in mid} == {True, False}, lang
        long = [i for i in mine if LONG[0] <= len(i["text"]) <= LONG[1]]
        assert len(long) >= LONG_COUNT, (lang, len(long))
        assert {i["label"] == "ok" for i in long} == {True, False}, lang
        assert max(len(i["text"]) for i in mine) <= LONG[1], lang
