"""The RE2 gate in front of triage's rules: it may only ever skip rules that cannot match.

Every verdict with the gate must equal the verdict without it (`Triage(spec, gated=False)` tries every rule),
on every labelled tuning message, every rule's examples and traps, long messages built from them, and generated
text in many scripts. Holdout sets are never read here.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.safety import Triage, _blank, _parse, _load_net, fold_accents
import re2

from flows.safety_gate import Gate, Untranslatable, gate_text, loosen, loosen_parts, required

SAFETY = Path(__file__).resolve().parents[2] / "content" / "safety.yaml"
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def pair() -> tuple[Triage, Triage]:
    spec, net = _parse(SAFETY), _load_net(SAFETY)
    return Triage(spec, net), Triage(spec, net, gated=False)


def tuning_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("triage_*.yaml")):
        if "holdout" in path.name:
            continue
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = raw.get("items", []) if isinstance(raw, dict) else []
        texts += [i["text"] for i in items if isinstance(i, dict) and "text" in i]
    return texts


def rule_texts(spec) -> list[str]:
    out = [t for n in spec.negate for t in (*n.examples, *n.traps)]
    for category in spec.categories.values():
        for rule in category.rules:
            out += [*rule.examples, *rule.traps]
    return out


def test_gated_and_ungated_agree_on_every_labelled_and_rule_text(pair):
    gated, ungated = pair
    texts = tuning_texts() + rule_texts(gated.spec)
    assert len(texts) > 3000
    differ = [t for t in texts if gated.assess(t) != ungated.assess(t) or gated.prepare(t) != ungated.prepare(t)]
    assert differ == []


def test_gated_and_ungated_agree_on_long_messages_with_danger_buried(pair):
    gated, ungated = pair
    texts = tuning_texts()
    rng = random.Random(13)
    for _ in range(60):
        long = " ".join(rng.sample(texts, 40))[:4096]
        assert gated.assess(long) == ungated.assess(long)


WORDS = ["he", "she", "me", "my", "will", "kill", "hurt", "choke", "chocked", "pillow", "face", "knife", "gun",
         "pills", "die", "dead", "finish", "job", "mi", "esposo", "pega", "golpeo", "schlägt", "mich", "il", "me",
         "frappe", "mujhe", "maarta", "hai", "not", "never", "would", "the", "boss", "promotion", "beat", "to",
         "if", "you", "leave", "nobody", "can", "have", "ы", "ж", "५", "ß", "é", "’", "!", "...", "🙂", "kms"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6)), min_size=1, max_size=40))
def test_gated_and_ungated_agree_on_generated_text(pair, words):
    gated, ungated = pair
    text = " ".join(words)
    assert gated.assess(text) == ungated.assess(text)
    assert gated.prepare(text) == ungated.prepare(text)


def candidates(gate: Gate, text: str) -> list[int]:
    """The patterns the gate lets through for `text`, as triage asks it."""
    return sorted(gate.locate(gate_text(text).encode()))


def test_loosen_drops_lookarounds_and_keeps_the_rest():
    assert loosen(r"(?<!se )me pega(?! algo)") == r"me\x20pega"
    assert re.fullmatch(r"finish\\x20.*", loosen("finish (?:the job|me off)"))


WORDS = ["he", "she", "will", "kill", "me", "you", "finish", "the", "job", "off", "said", "x", "1"]


@settings(max_examples=200, deadline=None)
@given(alternatives=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), min_size=1, max_size=12),
       size=st.integers(1, 60), texts=st.lists(st.lists(st.sampled_from([*WORDS, "é"]), max_size=30), max_size=8),
       lead=st.sampled_from(["", r"(?<!not )", r"\bhe ", r"(?i)"]))
def test_a_long_loose_form_split_into_parts_matches_where_the_whole_does(
        alternatives: list[list[str]], size: int, texts: list[list[str]], lead: str) -> None:
    pattern = lead + r"\b(?:" + "|".join(" ".join(a) for a in alternatives) + r")\b"
    whole = re2.compile(loosen(pattern).encode())
    parts = [re2.compile(part.encode()) for part in loosen_parts(pattern, size)]
    assert len(parts) == 1 if len(loosen(pattern)) <= size else len(parts) >= 1
    for words in texts:
        data = gate_text(" ".join(words)).encode()
        for pos in (0, len(data) // 2):
            m = whole.search(data, pos)
            starts = [p.start() for part in parts if (p := part.search(data, pos)) is not None]
            assert (m.start() if m else None) == (min(starts) if starts else None)


def test_the_gate_of_split_patterns_locates_as_the_whole_loose_forms_do() -> None:
    long = r"\b(?:" + "|".join(f"word{i} (?:of|in) (?:\\S+ ){{0,3}}thing{i}" for i in range(80)) + r")\b"
    assert len(loosen_parts(long, 1500)) > 1
    gate = Gate([r"\bkill\b", long])
    assert candidates(gate, "he said word7 of a red thing7 and kill") == [0, 1]
    assert gate.locate(gate_text("x word7 of thing7").encode()) == {1: 2}
    assert gate.first(1, b"word3 in thing3 then word9 in a thing9", 1) == 21
    assert candidates(gate, "word7 of thing8") == []


def test_a_pattern_of_lookaheads_is_a_candidate_only_when_every_body_is_found() -> None:
    # `^(?=.*A)(?=.*B)` loosens to `^`, which every text matches; its lookaheads' bodies are required instead.
    letters_and_pets = r"\b(?:^(?!.*\bholiday\b)(?=.*\bletters?\b)(?=.*\b(?:dog|cat)\b(?: \S+){0,3} given))\b"
    assert required(letters_and_pets) == [r"\bletter(?:s)?\b", r"\b(?:dog|cat)\b(?:\x20(?:[\S])+){0,3}\x20given"]
    assert required(r"\bkill(?= you)\b") == []  # not anchored: its own loose form is searched, as before
    gate = Gate([r"\bkill\b", letters_and_pets, "qqq", "jjj", "zzz"])
    assert candidates(gate, "wrote my letters and the dog was given away") == [1]
    assert candidates(gate, "wrote my letters today") == []
    assert candidates(gate, "the dog was given to my sister") == []
    # what the gate lets through is still decided by Python's pattern: the holiday rules it out
    assert re.search(letters_and_pets, "letters written, the dog is given to the sitter for the holiday") is None


def test_a_backreference_cannot_be_loosened_and_is_always_tried():
    with pytest.raises(Untranslatable):
        loosen(r"(a)\1")
    gate = Gate([r"\bkill\b", r"(a)\1"])
    assert candidates(gate, "nothing here") == [1]
    assert candidates(gate, "he will kill") == [0, 1]


def test_non_ascii_is_read_as_python_reads_it():
    # Python's \w counts "ы" as a letter: no word boundary inside "ыkill", so \bkill does not match there.
    gate = Gate([r"\bkill\b", r"\d\d"])
    assert candidates(gate, "ыkill") == []
    assert candidates(gate, "ы kill") == [0]
    assert candidates(gate, "५५") == [1]  # Devanagari digits are \d for Python
    assert gate_text("a ы ५ — b").isascii()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab x", max_size=30),
       st.lists(st.sampled_from([r"a", r"ab", r"b x", r"x?", r"a b", r"\bab\b", r"b+"]), min_size=1, max_size=4))
def test_blank_is_the_alternation_sub(text, patterns):
    compiled = [re.compile(p) for p in patterns]
    assert _blank(text, compiled) == re.compile("|".join(patterns)).sub(" ", text)


def test_accented_patterns_match_folded_text():
    # The text is folded before matching, so a pattern written with an accent is folded too.
    gated = Triage.load(SAFETY, self_check=False)
    assert gated.assess("estoy preñada y me sangra").tier == "crisis"
    assert fold_accents("preñada") == "prenada"


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(["he", "will", "kill", "skill", "me", "x", "1", ".", "é", "kills"]), max_size=25),
       pattern=st.sampled_from([r"\bkill\b", r"\bhe (?:will )?kill", r"^he", r"me$", r"(?i)KILL\w*", r"\d"]),
       at=st.integers(0, 200))
def test_the_direct_search_finds_what_the_wrapper_finds(words: list[str], pattern: str, at: int) -> None:
    # Gate calls RE2's own search (no generator, no match object); it must start where `_Regexp.search` starts,
    # from any position, the very start and the very end of the text included, reading the text before `pos` for \b.
    from flows.safety_gate import _searcher
    rx = re2.compile(loosen(pattern).encode())
    data = gate_text(" ".join(words)).encode()
    for pos in {0, len(data), min(at, len(data))}:
        m = rx.search(data, pos)
        assert _searcher(rx)(data, pos) == (-1 if m is None else m.start())


def test_the_direct_search_falls_back_to_the_wrapper(monkeypatch) -> None:
    import flows.safety_gate as sg
    monkeypatch.setattr(sg, "_UNANCHORED", None)
    find = sg._searcher(re2.compile(rb"\bkill\b"))
    assert (find(b"skill kill", 0), find(b"skill kill", 7), find(b"skill", 0)) == (6, -1, -1)
    gate = Gate([r"\bkill\b", r"\bhe\b", r"x", r"y", r"z"])
    assert gate.locate(b"he will kill") == {0: 8, 1: 0}
