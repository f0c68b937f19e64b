"""Round-5 labelled triage sets (issues 13 and 18): their SHAPE only.

The sets were written before any rule change by an author who never read the rules. The checks
(tests/support/labelled_sets.py) deliberately measure nothing about the detector: figures belong to whoever
evaluates the holdout, once.
"""

from __future__ import annotations

import pytest

from tests.support import labelled_sets as sets

ROUND = sets.Round("triage_r5.yaml", "triage_r5_holdout.yaml", frozenset(sets.HARD | {"child_self"}))


@pytest.mark.parametrize("name", ROUND.files)
def test_every_item_is_well_formed(name: str) -> None:
    sets.assert_well_formed(ROUND.items(name), ROUND.kinds)


@pytest.mark.parametrize("name", ROUND.files)
def test_every_language_has_every_label_category_and_kind(name: str) -> None:
    sets.assert_every_language_has_every_label_category_and_kind(ROUND.items(name), ROUND.kinds)


def test_no_text_repeats_within_or_across_the_two_files() -> None:
    sets.assert_no_text_repeats(ROUND)


def test_round5_shares_no_text_with_any_earlier_set() -> None:
    sets.assert_no_text_in_any_other_set(ROUND)


def test_holdout_is_every_third_item_of_each_language_and_label() -> None:
    sets.assert_holdout_is_every_third(ROUND)


def test_english_and_spanish_are_the_large_sets() -> None:
    sizes = sets.sizes(ROUND)
    for lang in ("en", "es"):
        assert sizes[lang, "crisis"] >= 150 and sizes[lang, "check"] >= 50 and sizes[lang, "ok"] >= 150, lang
    for lang in sets.LANGS:
        assert sizes[lang, "crisis"] >= 40 and sizes[lang, "check"] >= 10 and sizes[lang, "ok"] >= 40, lang
