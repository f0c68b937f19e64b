"""The net's training corpora (issue 13): TRAINING text for the learned triage net — their SHAPE only.

tests/data/triage_corpus8.yaml, triage_corpus9a.yaml, triage_corpus9b.yaml, triage_corpus10a.yaml and
triage_corpus10b.yaml are written to make the net generalise, never to measure it: these checks read each file's
labels, categories, kinds, languages, sizes and lengths, and that its texts are new, and nothing about the detector.
A duplicate found in another set is reported by file name and count only (the other set's texts stay unread).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
import yaml

from tests.support import labelled_sets as sets

FIELDS = {"text", "label", "categories", "lang", "kind"}
KINDS = sets.HARD | {"child_self", "murder_suicide"}
SHARE = 0.40  # at least this share of each language benign, and at least this share danger
MEDIUM = (150, 700)  # "2-6 sentences"
LONG = (1000, 2000)


@dataclass(frozen=True)
class Corpus:
    name: str
    langs: tuple[str, ...]  # the languages this corpus writes (another author wrote the others)
    small: int  # messages per language, at least
    minimum: tuple[tuple[str, int], ...] = ()  # a larger floor for some languages
    check_share: tuple[float, float] = (0.0, 1.0)  # `check` items per language
    long_count: int = 0  # round 9: a third of each language's items MEDIUM, and this many LONG

    def floor(self, lang: str) -> int:
        return dict(self.minimum).get(lang, self.small)


CORPORA = [
    Corpus("triage_corpus8.yaml", sets.LANGS, 120, (("en", 190),)),
    Corpus("triage_corpus9a.yaml", ("en", "es", "fr", "de"), 110, (("en", 180),), (0.08, 0.20), 3),
    Corpus("triage_corpus9b.yaml", ("it", "nl", "pt", "hi"), 120, (), (0.10, 0.20), 4),
    Corpus("triage_corpus10a.yaml", ("en", "hi"), 160, (("en", 260),), (0.08, 0.20), 4),
    Corpus("triage_corpus10b.yaml", ("es", "fr", "de", "it", "nl", "pt"), 110, (), (0.08, 0.20), 2),
    Corpus("triage_corpus11a.yaml", ("en", "es"), 180, (), (0.08, 0.20), 2),
    Corpus("triage_corpus11b.yaml", ("it", "pt", "hi"), 120, (), (0.08, 0.20), 3),
    Corpus("triage_corpus11c.yaml", ("fr", "de", "nl"), 130, (), (0.08, 0.20), 2),
]
BY_LANG = [(c, lang) for c in CORPORA for lang in c.langs]

# Sentences quoted in issue 13 and in the writers' briefs: the corpora must not repeat them (probes, not training).
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

_loaded: dict[str, list[dict]] = {}


def items_of(corpus: Corpus) -> list[dict]:
    if corpus.name not in _loaded:
        _loaded[corpus.name] = yaml.safe_load((sets.DATA / corpus.name).read_text(encoding="utf-8"))["items"]
    return _loaded[corpus.name]


def of_lang(corpus: Corpus, lang: str) -> list[dict]:
    return [i for i in items_of(corpus) if i["lang"] == lang]


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_every_item_is_well_formed(corpus: Corpus) -> None:
    assert {i["lang"] for i in items_of(corpus)} == set(corpus.langs)
    for item in items_of(corpus):
        assert set(item) == FIELDS, item
        assert isinstance(item["text"], str) and item["text"].strip() == item["text"] != "", item
        assert item["label"] in sets.LABELS, item
        cats = item["categories"]
        assert isinstance(cats, list) and set(cats) <= sets.CATEGORIES and len(set(cats)) == len(cats), item
        assert item["kind"] is None or item["kind"] in KINDS, item
        if item["label"] == "ok":
            assert cats == [] and item["kind"] is None, item
        else:
            assert cats, item
        if item["label"] == "check":
            assert item["kind"] not in sets.HARD, item  # a hard kind must reach the crisis screen, never only check


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_kinds_agree_with_categories(corpus: Corpus) -> None:
    """Each kind carries the category the net shows it under; a murder-suicide threat is danger to the writer
    (never self-harm); a child's own disclosure is child_at_risk."""
    need = {"strangulation": "violence", "threat_to_kill": "violence", "weapon": "violence",
            "injury_now": "immediate_danger", "overdose_now": "self_harm", "child_self": "child_at_risk",
            "murder_suicide": "immediate_danger"}
    for item in items_of(corpus):
        if item["kind"]:
            assert item["label"] == "crisis" and need[item["kind"]] in item["categories"], item
        if item["kind"] == "murder_suicide":
            assert "self_harm" not in item["categories"], item


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_texts_are_new(corpus: Corpus) -> None:
    """No repeat within the file, no sentence quoted in the issue or briefs, none in any other set (names and counts
    only: the other sets' texts are not printed)."""
    counts = Counter(sets.key(i["text"]) for i in items_of(corpus))
    assert [text for text, n in counts.items() if n > 1] == []
    told = {sets.key(t) for t in TOLD}
    assert [i["text"] for i in items_of(corpus) if sets.key(i["text"]) in told] == []
    texts = set(counts)
    shared = {}
    for path in sorted(sets.DATA.glob("*.yaml")):
        if path.name != corpus.name:
            n = len(texts & sets._texts_anywhere(yaml.safe_load(path.read_text(encoding="utf-8"))))
            if n:
                shared[path.name] = n
    assert shared == {}


@pytest.mark.parametrize(("corpus", "lang"), BY_LANG, ids=lambda v: getattr(v, "name", v))
def test_every_language_has_every_label_category_and_kind(corpus: Corpus, lang: str) -> None:
    crisis = [i for i in of_lang(corpus, lang) if i["label"] == "crisis"]
    assert {c for i in crisis for c in i["categories"]} == sets.CATEGORIES
    assert {i["kind"] for i in crisis} >= KINDS
    assert None in {i["kind"] for i in crisis}  # danger of no hard kind is labelled too (the file "labels kinds")
    assert {i["label"] for i in of_lang(corpus, lang)} == sets.LABELS


@pytest.mark.parametrize(("corpus", "lang"), BY_LANG, ids=lambda v: getattr(v, "name", v))
def test_sizes_and_shares(corpus: Corpus, lang: str) -> None:
    sizes = Counter(i["label"] for i in of_lang(corpus, lang))
    total = sum(sizes.values())
    assert total >= corpus.floor(lang), total
    assert sizes["ok"] >= SHARE * total, (sizes, total)
    assert total - sizes["ok"] >= SHARE * total, (sizes, total)
    low, high = corpus.check_share
    assert low * total <= sizes["check"] <= high * total, (sizes, total)


@pytest.mark.parametrize(("corpus", "lang"), BY_LANG, ids=lambda v: getattr(v, "name", v))
def test_danger_is_weighted_to_the_hard_kinds(corpus: Corpus, lang: str) -> None:
    """At least half of each language's danger messages are of a hard kind (or murder-suicide), as the briefs asked."""
    danger = [i for i in of_lang(corpus, lang) if i["label"] != "ok"]
    hard = [i for i in danger if i["kind"] in sets.HARD | {"murder_suicide"}]
    assert len(hard) * 2 >= len(danger), (len(hard), len(danger))


@pytest.mark.parametrize(("corpus", "lang"), [(c, lang) for c, lang in BY_LANG if c.long_count],
                         ids=lambda v: getattr(v, "name", v))
def test_lengths_medium_and_long_in_danger_and_benign(corpus: Corpus, lang: str) -> None:
    """Round 9's shape: a third of the items are 2-6 sentences, and there are long ones, each in danger AND benign
    text (so that length alone tells the net nothing)."""
    mine = of_lang(corpus, lang)
    medium = [i for i in mine if MEDIUM[0] <= len(i["text"]) <= MEDIUM[1]]
    long_ = [i for i in mine if LONG[0] <= len(i["text"]) <= LONG[1]]
    assert len(medium) * 3 >= len(mine), (len(medium), len(mine))
    assert len(long_) >= corpus.long_count, len(long_)
    for group in (medium, long_):
        assert {i["label"] == "ok" for i in group} == {True, False}
    assert max(len(i["text"]) for i in mine) <= LONG[1]
