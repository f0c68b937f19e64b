"""Triage's faster ways of doing a thing give what the plain way gives (issue 13, speed).

The normaliser's word spellings are one trie-shaped alternation, accents are folded a run of non-ASCII characters
at a time, and the learned net scores the check net and the hard-kind head in one pass. Each is held here against
the plain form it replaces. Holdout sets are never read here.
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.safety import _NO_MARKS, SPELLED, _load_net, _word_alternation, fold_accents
from flows.safety_net import _like_language

SAFETY = Path(__file__).resolve().parents[2] / "content" / "safety.yaml"
DATA = Path(__file__).resolve().parents[1] / "data"


def _plain_alternation(keys: set[str], boundary: str) -> re.Pattern[str]:
    body = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![{boundary}])(?:{body})(?![{boundary}])")


@settings(max_examples=300, deadline=None)
@given(keys=st.sets(st.text("ab' -.", min_size=1, max_size=5), min_size=1, max_size=12),
       texts=st.lists(st.text("ab' -.", max_size=25), min_size=1, max_size=10))
def test_trie_alternation_finds_what_the_plain_alternation_finds(keys: set[str], texts: list[str]) -> None:
    mark = {k: f"<{k}>" for k in keys}
    for boundary in (r"\w", r"\w'"):
        trie, plain = _word_alternation(keys, boundary), _plain_alternation(keys, boundary)
        for text in texts:
            assert trie.sub(lambda m: mark[m.group(0)], text) == plain.sub(lambda m: mark[m.group(0)], text)


def _fold_whole(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKD", text).translate(_NO_MARKS).translate(SPELLED)


def test_folding_runs_of_non_ascii_equals_folding_the_whole_text() -> None:
    rng = random.Random(13)
    pool = [chr(c) for c in range(0x20, 0x2000) if not 0xd800 <= c < 0xe000] + ["\u0301", "\u0308", "😭", "ß", "ﬁ"]
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        assert fold_accents(text) == _fold_whole(text)


def _texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("triage_*.yaml")):
        if "holdout" in path.name:
            continue
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [i["text"] for i in raw.get("items", []) if isinstance(i, dict) and "text" in i]
    rng = random.Random(7)
    long = [" ".join(rng.choice(texts) for _ in range(60))[:4096] for _ in range(20)]
    return texts + long


def test_one_pass_scoring_equals_each_model_scored_alone() -> None:
    net = _load_net(SAFETY)
    assert net is not None and net.hard is not None  # content/safety/model.json, version 2
    for text in _texts():
        alone = (net.best_window(text), net.hard.best_window(text, admit=_like_language))
        assert net._best_both(text) == alone  # to the bit: same sums in the same order
        assert net.crisis(text) == net.hard.crisis(text)
