"""Labelled triage sets of rounds 5 to 12 (issues 13 and 18, "Measure it honestly"): their SHAPE only.

Each round was written before any rule change it measures, by an author ("sets5" … "sets10b") who never read
the rules, the detector or any earlier set (sets8 on: only the first 60 lines of the round-5 holdout, for the
format). Rounds 8 to 10 asked for each language to be written in its own world; their file headers say where they
still share situations. Round 10 has two authors, each with half the languages (`Round.langs`). The checks
(tests/support/labelled_sets.py, and the rounds' own below) deliberately measure nothing about the detector:
figures belong to whoever evaluates the holdout, once. The rounds differ only in what their briefs asked: sizes,
benign share, long messages (round 6 on) and murder–suicide threats (round 6 on; in every language from round 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support import labelled_sets as sets

KINDS = frozenset(sets.HARD | {"child_self", "murder_suicide"})


@dataclass(frozen=True)
class Brief:
    round: sets.Round
    minimum: dict[str, tuple[int, int, int]]  # (crisis, check, ok) over both files, for the larger languages
    small: tuple[int, int, int]  # the same for every other language
    benign_share: float  # at least this share of every language is benign
    kinds: frozenset[str] = KINDS
    long_messages: bool = True  # a long message with danger buried, and a long benign one, in every language
    murder_suicide_in_every_language: bool = True

    def __str__(self) -> str:
        return self.round.files[0].removesuffix(".yaml")


BRIEFS = [
    # round 5: en and es the large sets, every language at least 40 / 10 / 40; no murder–suicide kind yet
    Brief(sets.Round("triage_r5.yaml", "triage_r5_holdout.yaml", frozenset(sets.HARD | {"child_self"})),
          {"en": (150, 50, 150), "es": (150, 50, 150)}, (40, 10, 40), 0.0, frozenset(sets.HARD | {"child_self"}),
          long_messages=False),
    # round 6: en ~200, es ~150, every other language ~60
    Brief(sets.Round("triage_r6.yaml", "triage_r6_holdout.yaml", KINDS),
          {"en": (85, 22, 80), "es": (65, 16, 60)}, (25, 6, 24), 0.0, murder_suicide_in_every_language=False),
    # round 7: en ~200, es ~150, every other language ~60, at least 45 % benign
    Brief(sets.Round("triage_r7.yaml", "triage_r7_holdout.yaml", KINDS),
          {"en": (90, 24, 90), "es": (68, 18, 68)}, (27, 7, 28), 0.45),
    # round 8: en ~200, es ~150, every other language ~80, at least 43 % benign
    Brief(sets.Round("triage_r8.yaml", "triage_r8_holdout.yaml", KINDS),
          {"en": (85, 24, 85), "es": (65, 18, 64)}, (34, 10, 34), 0.43),
    # round 9: en ~240, es ~150, every other language ~80, at least 43 % benign
    Brief(sets.Round("triage_r9.yaml", "triage_r9_holdout.yaml", KINDS),
          {"en": (100, 27, 100), "es": (65, 17, 64)}, (34, 9, 34), 0.43),
    # round 10, first half ("sets10a"): en ~240, es ~160, hi ~90 (hi came to 125 for 8 of each hard kind), at least
    # 43 % benign; the other languages are in the second half's files
    Brief(sets.Round("triage_r10a.yaml", "triage_r10a_holdout.yaml", KINDS, ("en", "es", "hi")),
          {"en": (100, 28, 100), "es": (72, 18, 70), "hi": (55, 11, 50)}, (0, 0, 0), 0.43),
    # round 10, second half (author "sets10b"): only fr, de, it, nl, pt, each ~90-100, at least 43 % benign
    Brief(sets.Round("triage_r10b.yaml", "triage_r10b_holdout.yaml", KINDS, ("fr", "de", "it", "nl", "pt")),
          {}, (40, 10, 40), 0.43),
    # round 11, first half (author "sets11a"): en 244, es 171, hi 123 (crisis / check / ok 102/32/110, 72/21/78,
    # 52/15/56), at least 43 % benign, each hard kind at least 6 times per language; fr, de, it (sets13b) and nl,
    # pt (sets13c) are other authors'
    Brief(sets.Round("triage_r11a.yaml", "triage_r11a_holdout.yaml", KINDS, ("en", "es", "hi")),
          {"en": (100, 30, 105), "es": (70, 20, 75), "hi": (50, 14, 54)}, (0, 0, 0), 0.43),
    # round 11, second half (author "sets11b"): only fr, de, it, nl, pt, each 100 (crisis 42, check 12, ok 46 over
    # both files), at least 43 % benign, each hard kind at least 6 times per language
    Brief(sets.Round("triage_r11b.yaml", "triage_r11b_holdout.yaml", KINDS, ("fr", "de", "it", "nl", "pt")),
          {}, (40, 12, 45), 0.43),
    # round 12, first half (author "sets12a"): en 243, es 173, hi 124 (crisis / check / ok 102/33/108, 72/21/80,
    # 52/15/57), at least 43 % benign, each hard kind at least 6 times per language; fr, de, it (sets13b) and nl,
    # pt (sets13c) are other authors'
    Brief(sets.Round("triage_r12a.yaml", "triage_r12a_holdout.yaml", KINDS, ("en", "es", "hi")),
          {"en": (100, 32, 105), "es": (70, 20, 78), "hi": (50, 14, 55)}, (0, 0, 0), 0.43),
    # round 12, second half (author "sets12b"): only fr, de, it, nl, pt, 123-127 each (crisis / check / ok over both
    # files fr 59/12/56, de 55/12/56, it 55/12/56, nl 56/12/57, pt 56/12/56), at least 43 % benign, each hard kind
    # at least 6 times per language
    Brief(sets.Round("triage_r12b.yaml", "triage_r12b_holdout.yaml", KINDS, ("fr", "de", "it", "nl", "pt")),
          {}, (55, 12, 56), 0.43),
    # round 13, first half (author "sets13a"): en 236, es 174, hi 128 (crisis / check / ok 95/33/108, 71/21/82,
    # 55/15/58), at least 43 % benign, each hard kind at least 6 times per language; fr, de, it (sets13b) and nl,
    # pt (sets13c) are other authors'
    Brief(sets.Round("triage_r13a.yaml", "triage_r13a_holdout.yaml", KINDS, ("en", "es", "hi")),
          {"en": (95, 33, 108), "es": (71, 21, 82), "hi": (55, 15, 58)}, (0, 0, 0), 0.43),
    # round 13, third part (author "sets13c"): only nl and pt, 123 each (crisis / check / ok over both files nl
    # 53/15/55, pt 53/15/55), at least 43 % benign, each hard kind at least 6 times per language
    Brief(sets.Round("triage_r13c.yaml", "triage_r13c_holdout.yaml", KINDS, ("nl", "pt")),
          {}, (53, 15, 55), 0.43),
    # round 13, second part (author "sets13b"): only fr, de, it (fr 153, de 130, it 132; crisis / check / ok over both
    # files fr 62/20/71, de 54/14/62, it 55/14/63), at least 43 % benign, each hard kind at least 6 times per
    # language; en, es, hi, nl, pt are other authors'
    Brief(sets.Round("triage_r13b.yaml", "triage_r13b_holdout.yaml", KINDS, ("fr", "de", "it")),
          {"fr": (60, 20, 70), "de": (54, 14, 60), "it": (55, 14, 60)}, (0, 0, 0), 0.43),
    # round 14, first part (author "sets14a"): only de, 221 (crisis / check / ok over both files 93/28/100), at least
    # 43 % benign, each hard kind at least 6 times; the other languages are other authors'
    Brief(sets.Round("triage_r14a.yaml", "triage_r14a_holdout.yaml", KINDS, ("de",)),
          {"de": (90, 26, 95)}, (0, 0, 0), 0.43),
    # round 14, second set (author "sets14b"): only en and hi (en 195, hi 123; crisis / check / ok over both files
    # en 76/28/91, hi 50/17/56), at least 43 % benign, each hard kind at least 6 times per language; de, es, fr, it,
    # nl, pt are other authors'
    Brief(sets.Round("triage_r14b.yaml", "triage_r14b_holdout.yaml", KINDS, ("en", "hi")),
          {"en": (76, 28, 91), "hi": (50, 17, 56)}, (0, 0, 0), 0.43),
    # round 14, part c (author "sets14c"): only es, pt, nl (es 121, pt 112, nl 112; crisis / check / ok over both
    # files es 49/16/56, pt 45/15/52, nl 45/15/52), at least 43 % benign, each hard kind at least 6 times per
    # language; de, en, fr, hi, it are other authors'
    Brief(sets.Round("triage_r14c.yaml", "triage_r14c_holdout.yaml", KINDS, ("es", "pt", "nl")),
          {"es": (49, 16, 56)}, (45, 15, 52), 0.43),
    # round 14, part d (author "sets14d"): only fr and it, 126 each (crisis / check / ok over both files fr 54/16/56,
    # it 54/16/56), at least 43 % benign, each hard kind at least 6 times per language; de, en, es, hi, nl, pt are
    # other authors'
    Brief(sets.Round("triage_r14d.yaml", "triage_r14d_holdout.yaml", KINDS, ("fr", "it")),
          {}, (54, 16, 56), 0.43),
]
BRIEF_OF = {name: b for b in BRIEFS for name in b.round.files}  # each file of every round → its round's brief


@pytest.mark.parametrize("name", BRIEF_OF)
def test_every_item_is_well_formed(name: str) -> None:
    brief = BRIEF_OF[name]
    sets.assert_well_formed(brief.round.items(name), brief.kinds)


@pytest.mark.parametrize("name", [n for n, b in BRIEF_OF.items() if "murder_suicide" in b.kinds])
def test_a_murder_suicide_threat_is_danger_to_the_writer_never_self_harm(name: str) -> None:
    brief = BRIEF_OF[name]
    sets.assert_murder_suicide_is_danger_to_the_writer(brief.round.items(name),
                                                       in_every_language=brief.murder_suicide_in_every_language,
                                                       langs=brief.round.langs)


@pytest.mark.parametrize("name", BRIEF_OF)
def test_every_language_has_every_label_category_and_kind(name: str) -> None:
    brief = BRIEF_OF[name]
    sets.assert_every_language_has_every_label_category_and_kind(brief.round.items(name), brief.kinds,
                                                                 brief.round.langs)


@pytest.mark.parametrize("brief", [b for b in BRIEFS if b.long_messages], ids=str)
def test_every_language_has_a_long_message_with_danger_buried_and_a_long_benign_one(brief: Brief) -> None:
    sets.assert_long_messages_in_every_language(brief.round)


@pytest.mark.parametrize("brief", BRIEFS, ids=str)
def test_no_text_repeats_within_or_across_the_two_files(brief: Brief) -> None:
    sets.assert_no_text_repeats(brief.round)


@pytest.mark.parametrize("brief", BRIEFS, ids=str)
def test_the_round_shares_no_text_with_any_other_set(brief: Brief) -> None:
    sets.assert_no_text_in_any_other_set(brief.round)


@pytest.mark.parametrize("brief", BRIEFS, ids=str)
def test_holdout_is_every_third_item_of_each_language_and_label(brief: Brief) -> None:
    sets.assert_holdout_is_every_third(brief.round)


@pytest.mark.parametrize("brief", BRIEFS, ids=str)
def test_sizes_per_language_and_label(brief: Brief) -> None:
    sizes = sets.sizes(brief.round)
    for lang in brief.round.langs:
        crisis, check, ok = brief.minimum.get(lang, brief.small)
        assert sizes[lang, "crisis"] >= crisis and sizes[lang, "check"] >= check and sizes[lang, "ok"] >= ok, lang


@pytest.mark.parametrize("brief", [b for b in BRIEFS if b.benign_share], ids=str)
def test_the_benign_share_the_brief_asked_of_every_language(brief: Brief) -> None:
    sizes = sets.sizes(brief.round)
    for lang in brief.round.langs:
        total = sum(sizes[lang, label] for label in sets.LABELS)
        assert sizes[lang, "ok"] >= brief.benign_share * total, (lang, sizes[lang, "ok"], total)
