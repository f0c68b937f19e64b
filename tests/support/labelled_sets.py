"""Shape checks shared by every round of labelled triage sets (tests/flows/test_triage_rN_sets.py).

A round is a tuning file and a holdout file written by an author who never read the rules. These checks read
only the sets' shape -- labels, categories and kinds valid, every language carrying every label, category and
kind, the two sides disjoint from each other and from every earlier set, the holdout every third item -- and
never anything about the detector.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import yaml

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
LANGS = ("en", "es", "fr", "de", "it", "nl", "pt", "hi")
LABELS = {"crisis", "check", "ok"}
CATEGORIES = {"violence", "immediate_danger", "self_harm", "child_at_risk", "sexual_violence"}
HARD = {"strangulation", "threat_to_kill", "weapon", "injury_now", "overdose_now"}


@dataclass(frozen=True)
class Round:
    tuning: str
    holdout: str
    kinds: frozenset[str]  # the kinds this round labels (every one in every language's crisis messages)
    langs: tuple[str, ...] = LANGS  # the languages this round's files hold (round 10 is split by language)

    @property
    def files(self) -> tuple[str, str]:
        return self.tuning, self.holdout

    def items(self, name: str) -> list[dict]:
        return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))["items"]

    def both(self) -> list[dict]:
        return self.items(self.tuning) + self.items(self.holdout)


def key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _texts_anywhere(node: object) -> set[str]:
    """Every string stored under a `text` key, whatever the file's layout."""
    found: set[str] = set()
    if isinstance(node, dict):
        for k, value in node.items():
            if k == "text" and isinstance(value, str):
                found.add(key(value))
            else:
                found |= _texts_anywhere(value)
    elif isinstance(node, list):
        for value in node:
            found |= _texts_anywhere(value)
    return found


def assert_well_formed(items: list[dict], kinds: frozenset[str]) -> None:
    for item in items:
        assert set(item) <= {"text", "label", "categories", "lang", "kind"}, item
        assert isinstance(item["text"], str) and item["text"].strip(), item
        assert item["label"] in LABELS, item
        assert item["lang"] in LANGS, item
        if item["label"] == "ok":
            assert "categories" not in item and "kind" not in item, item
            continue
        cats = item["categories"]
        assert cats and set(cats) <= CATEGORIES and len(set(cats)) == len(cats), item
        if "kind" in item:
            assert item["kind"] in kinds, item
        if item["label"] == "check":
            assert item.get("kind") not in HARD, item  # a hard kind must reach the crisis screen, never only check


def assert_every_language_has_every_label_category_and_kind(items: list[dict], kinds: frozenset[str],
                                                            langs: tuple[str, ...] = LANGS) -> None:
    assert {i["lang"] for i in items} == set(langs)
    for lang in langs:
        mine = [i for i in items if i["lang"] == lang]
        assert {i["label"] for i in mine} == LABELS, lang
        crisis = [i for i in mine if i["label"] == "crisis"]
        assert {c for i in crisis for c in i["categories"]} == CATEGORIES, lang
        assert {i.get("kind") for i in crisis} >= kinds, lang


def assert_no_text_repeats(rnd: Round) -> None:
    counts = Counter(key(i["text"]) for i in rnd.both())
    assert [text for text, n in counts.items() if n > 1] == []


def assert_no_text_in_any_other_set(rnd: Round) -> None:
    mine = {key(i["text"]) for i in rnd.both()}
    for path in sorted(DATA.glob("*.yaml")):
        if path.name in rnd.files:
            continue
        overlap = sorted(mine & _texts_anywhere(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert overlap == [], path.name  # names only this round's texts that repeat, never the other sets' others


def assert_holdout_is_every_third(rnd: Round) -> None:
    tuning = Counter((i["lang"], i["label"]) for i in rnd.items(rnd.tuning))
    holdout = Counter((i["lang"], i["label"]) for i in rnd.items(rnd.holdout))
    for lang in rnd.langs:
        for label in LABELS:
            total = tuning[lang, label] + holdout[lang, label]
            assert holdout[lang, label] == total // 3, (lang, label)


def sizes(rnd: Round) -> Counter:
    """(language, label) → messages over both files."""
    return Counter((i["lang"], i["label"]) for i in rnd.both())


def assert_murder_suicide_is_danger_to_the_writer(items: list[dict], *, in_every_language: bool = False,
                                                  langs: tuple[str, ...] = LANGS) -> None:
    """A threat to kill the writer and then himself is danger to the writer, never the writer's self-harm."""
    threats = [i for i in items if i.get("kind") == "murder_suicide"]
    assert threats
    if in_every_language:
        assert {i["lang"] for i in threats} == set(langs)
    for item in threats:
        assert item["label"] == "crisis" and "immediate_danger" in item["categories"], item
        assert "self_harm" not in item["categories"], item


def assert_long_messages_in_every_language(rnd: Round) -> None:
    """Each language has a long message with danger buried in it and a long benign one (600–2,500 characters)."""
    both = rnd.both()
    for lang in rnd.langs:
        for label in ("crisis", "ok"):
            longest = max(len(i["text"]) for i in both if i["lang"] == lang and i["label"] == label)
            assert 600 <= longest <= 2500, (lang, label, longest)
