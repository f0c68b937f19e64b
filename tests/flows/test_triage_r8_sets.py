"""Round-8 labelled triage sets (issue 13, "Measure it honestly"): their SHAPE only.

Written before any rule change it measures, by an author ("sets8") who never read the rules, the detector or
any earlier set (only the first 60 lines of the round-5 holdout, for the format). Round 8 asked for each
language to be written in its own world; the file headers say where it still shares situations. The checks
(tests/support/labelled_sets.py, and the round's own below) deliberately measure nothing about the detector:
figures belong to whoever evaluates the holdout, once.
"""

from __future__ import annotations

import pytest

from tests.support import labelled_sets as sets

ROUND = sets.Round("triage_r8.yaml", "triage_r8_holdout.yaml",
                   frozenset(sets.HARD | {"child_self", "murder_suicide"}))
# Sizes over both files, as the brief asked: en ~200, es ~150, every other language ~80.
MINIMUM = {"en": (85, 24, 85), "es": (65, 18, 64)}
SMALL = (34, 10, 34)
BENIGN_SHARE = 0.43  # round 8: at least 43 % of every language is benign


@pytest.mark.parametrize("name", ROUND.files)
def test_every_item_is_well_formed(name: str) -> None:
    sets.assert_well_formed(ROUND.items(name), ROUND.kinds)


@pytest.mark.parametrize("name", ROUND.files)
def test_a_murder_suicide_threat_is_danger_to_the_writer_never_self_harm(name: str) -> None:
    sets.assert_murder_suicide_is_danger_to_the_writer(ROUND.items(name), in_every_language=True)


@pytest.mark.parametrize("name", ROUND.files)
def test_every_language_has_every_label_category_and_kind(name: str) -> None:
    sets.assert_every_language_has_every_label_category_and_kind(ROUND.items(name), ROUND.kinds)


def test_every_language_has_a_long_message_with_danger_buried_and_a_long_benign_one() -> None:
    sets.assert_long_messages_in_every_language(ROUND)


def test_no_text_repeats_within_or_across_the_two_files() -> None:
    sets.assert_no_text_repeats(ROUND)


def test_round8_shares_no_text_with_any_earlier_set() -> None:
    sets.assert_no_text_in_any_other_set(ROUND)


def test_holdout_is_every_third_item_of_each_language_and_label() -> None:
    sets.assert_holdout_is_every_third(ROUND)


def test_sizes_per_language_and_label() -> None:
    sizes = sets.sizes(ROUND)
    for lang in sets.LANGS:
        crisis, check, ok = MINIMUM.get(lang, SMALL)
        assert sizes[lang, "crisis"] >= crisis and sizes[lang, "check"] >= check and sizes[lang, "ok"] >= ok, lang


def test_at_least_43_percent_of_every_language_is_benign() -> None:
    sizes = sets.sizes(ROUND)
    for lang in sets.LANGS:
        total = sum(sizes[lang, label] for label in sets.LABELS)
        assert sizes[lang, "ok"] >= BENIGN_SHARE * total, (lang, sizes[lang, "ok"], total)
