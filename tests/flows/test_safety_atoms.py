"""The literal pieces a pattern needs (flows/safety_atoms.py): never a piece a match can lack."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.safety_atoms import ANY, Atoms, formula

PIECES = [r"kill", r"(?:will |would )?kill", r"(?:me|you)\b", r"hurt(?:s|ing)?", r"[kc]ill", r"\s+", r"\w*",
          r"(?:a|an|the) ", r"knife", r"x?", r"(?=.*gun)", r"(?!no)", r"\bhe\b", r"(?: \S+){0,3} ", r"[a-z]+",
          r"(?:cut|cuts) (?:my|her) wrists?", r"(?i:GUN)", r"pills{1,3}"]


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.sampled_from(PIECES), min_size=1, max_size=5),
       branch=st.booleans(),
       words=st.lists(st.sampled_from(["he", "will", "kill", "cill", "me", "you", "hurts", "knife", "gun", "a", "the",
                                       "pills", "pillss", "cut", "my", "wrists", "no", "Kill", "GUN", "x"]),
                      max_size=14))
def test_every_match_holds_its_pieces(parts: list[str], branch: bool, words: list[str]) -> None:
    pattern = ("|" if branch else "").join(parts)
    text = " ".join(words)
    atoms = Atoms.of([pattern])
    if re.search(pattern, text.lower()):
        assert atoms.candidates(text.lower()) == [0], (pattern, text, formula(pattern))


def test_pieces_are_the_spellings_a_match_needs() -> None:
    assert formula(r"\bkill(?:ed)? (?:you|her)\b") == ("or", ("kill her", "kill you", "killed her", "killed you"))
    assert formula(r"knife.*\b(?:throat|neck)") == ("and", ("knife", ("or", ("neck", "throat"))))
    assert formula(r"\bhe\b") is ANY  # too short to be worth finding
    assert formula(r"(?i)GUN") == "gun"


def test_candidates_are_only_patterns_whose_pieces_are_there() -> None:
    atoms = Atoms.of([r"knife.*throat", r"\bpills\b", r"\w+", r"strangl|chok"])
    assert atoms.candidates("a knife at my throat") == [2, 0]
    assert sorted(atoms.candidates("he choked me, then pills")) == [1, 2, 3]
    assert atoms.candidates("a knife in the kitchen") == [2]
