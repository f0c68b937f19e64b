"""The learned `check` net and its hard-kind head: character n-grams and linear models, scored in pure Python.

The rules in content/safety*.yaml fit the wordings they were written from; this net is the wide, misspelling-
tolerant, multilingual catch under them. Its check part only ever lifts a message the rules read `ok` to `check`
(are you safe right now?). Its hard-kind head (`HardHead`, model version 2) may open the crisis screen, and only for
the kinds that must never wait on a question (strangulation, threats to kill, weapons, injuries or overdoses now),
with a threshold set so that out of fold at most 0.5 % of benign messages in any language reach it; it lifts an
`ok` or a rule's `check` to `crisis`, never lowers a verdict (flows/safety.py decides that).

The model is data (content/safety/model.json), trained offline by `python benchmarks/triage_net.py train` from the
labelled sets in tests/data. Scoring: the text is folded as the rules fold it (lower case, accents, zero-width,
punctuation), cut into sentence windows (long run-ons into overlapping 30-word windows), and each window scored;
the message's score is the highest window's, so a danger line buried in 4,000 characters of venting still counts.
A window's features are its words' character n-grams (3-6 letters, with word boundaries) and its word pairs,
each count divided by the square root of the window's number of features; score = bias + sum(weight * value).
The same `window_features` builds the training matrix, so training and scoring cannot drift apart.

Pure: no I/O at score time; `load_model` reads the file once.
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

MODEL_VERSION = 2  # 2: with the hard-kind head (`hard`); a version-1 file (the check net alone) still reads
VERSIONS = (1, 2)
# The kinds the hard head may open the crisis screen for, and the category each is shown under.
HARD_KINDS = {"strangulation": "violence", "threat_to_kill": "violence", "weapon": "violence",
              "injury_now": "immediate_danger", "overdose_now": "self_harm"}
NGRAMS = (3, 6)  # smallest and largest character n-gram (3-6 beat 2-5 and 1-4 in cross-validation)
WINDOW_WORDS = 30  # a run-on sentence longer than this is scored in overlapping windows of this many words
WINDOW_STEP = 15

# Shared with the rules (flows/safety.py imports them): invisible characters, and letters spelled out when folded.
ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SENTENCE = re.compile("[.!?;\n\r\u2026\u3002]+")
# Anything that is not a letter or a digit separates words (emoji, punctuation, dashes, quotes).
_NON_WORD = re.compile(r"[^\w']+|_")
# A letter typed 3+ times: ([^\W\d_])\1{2,}, written so that `re` tests for three equal characters before it
# asks whether the first is a letter, the slow part: about 3x faster on a long message, same matches.
_REPEATS = re.compile(r"(?=(.)\1\1)[^\W\d_]\1\1\1*")
SPELLED = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})
# Accents after NFKD (Latin, Greek and Cyrillic diacritics); other scripts' marks are letters of their words.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile("['\u2019\u2018\u201b\u02bc\u2032`\u00b4]")


class NetModelError(ValueError):
    """model.json is malformed; the message reads 'safety/model.json: WHERE: problem'."""


def _fold_letters(text: str) -> str:
    """Lower case, accents folded ('golpeó' → 'golpeo'), zero-width gone, apostrophes dropped ("don't" →
    'dont'), a letter typed 3+ times kept twice. Sentence punctuation stays (windows are cut on it)."""
    text = unicodedata.normalize("NFKC", text).lower()
    if not text.isascii():
        text = _spell_out(_COMBINING.sub("", unicodedata.normalize("NFKD", text)))
        text = ZERO_WIDTH.sub("", text)
    text = _APOSTROPHES.sub("", text)
    return _REPEATS.sub(r"\1\1", text)


def _spell_out(text: str) -> str:
    """text.translate(SPELLED), without a Python-level lookup for every character of a long non-ASCII text (each
    letter is replaced by ASCII, so one replacement never makes another's letter)."""
    for letter, spelled in _SPELLED_PAIRS:
        if letter in text:
            text = text.replace(letter, spelled)
    return text


_SPELLED_PAIRS = tuple((chr(code), spelled) for code, spelled in SPELLED.items())


def fold(text: str) -> str:
    """The folded words of a text, one space between each (every run of non-letters is one space)."""
    return " ".join(_NON_WORD.sub(" ", _fold_letters(text)).split())


def windows(text: str) -> list[list[str]]:
    """The words of each sentence window: one per sentence, a run-on cut into overlapping 30-word windows."""
    out: list[list[str]] = []
    for sentence in _SENTENCE.split(_fold_letters(text)):
        words = _WORD.findall(sentence)  # what _NON_WORD.sub(" ", sentence).split() gives: no apostrophe is left
        if not words:
            continue
        if len(words) <= WINDOW_WORDS:
            out.append(words)
            continue
        start = 0
        while True:
            out.append(words[start:start + WINDOW_WORDS])
            if start + WINDOW_WORDS >= len(words):
                break
            start += WINDOW_STEP
    return out


@functools.lru_cache(maxsize=4)
def _windows_of(text: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """windows(text), each with its word pairs ('a+b'), remembered for the last few messages: the hard head and
    the check net read the same."""
    return tuple((tuple(w), tuple(f"{a}+{b}" for a, b in zip(w, w[1:]))) for w in windows(text))


@functools.lru_cache(maxsize=65536)
def word_grams(word: str) -> tuple[str, ...]:
    """Character n-grams of one word with its boundaries: 'hit' → ' hi', 'hit', 'it ', ' hit', 'hit ', ' hit '."""
    padded = f" {word} "
    low, high = NGRAMS
    grams = []
    for n in range(low, high + 1):
        if n > len(padded):
            break
        grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


def window_features(words: list[str]) -> dict[str, float]:
    """Feature → value for one window: n-gram and word-pair counts over the square root of their total."""
    counts: dict[str, int] = {}
    for word in words:
        for gram in word_grams(word):
            counts[gram] = counts.get(gram, 0) + 1
    for a, b in zip(words, words[1:]):
        pair = f"{a}+{b}"
        counts[pair] = counts.get(pair, 0) + 1
    total = sum(counts.values())
    if not total:
        return {}
    scale = 1 / math.sqrt(total)
    return {f: c * scale for f, c in counts.items()}


class _Linear:
    """A linear model over window features: `weights`, `bias` and a cache of each word's part."""

    weights: dict[str, float]
    bias: float
    _words: dict[str, tuple[float, int]]

    def word_part(self, word: str) -> tuple[float, int]:
        """(sum of the weights of the word's n-grams, how many n-grams it has): the score is linear in counts, so
        a window's sum is the sum over its words (each word's part computed once, then remembered)."""
        part = self._words.get(word)
        if part is None:
            w = self.weights
            grams = word_grams(word)
            part = (sum(w.get(g, 0.0) for g in grams), len(grams))
            if len(self._words) >= 100_000:
                self._words.clear()
            self._words[word] = part
        return part

    def window_score(self, words: list[str] | tuple[str, ...], pairs: Iterable[str] | None = None) -> float:
        """The margin (logit) of one window: bias + sum(weight * count) / sqrt(total count). `pairs` are its word
        pairs when already built ('a+b' for each two words in a row)."""
        w = self.weights
        known = self._words
        weighted = 0.0
        total = len(words) - 1 if words else 0  # one word pair between each two words
        for word in words:
            part, n = known.get(word) or self.word_part(word)
            weighted += part
            total += n
        for pair in (f"{a}+{b}" for a, b in zip(words, words[1:])) if pairs is None else pairs:
            weighted += w.get(pair, 0.0)
        if not total:
            return self.bias
        return self.bias + weighted / math.sqrt(total)

    def best_window(self, text: str, admit: Callable[[tuple[str, ...]], bool] | None = None) \
            -> tuple[float, tuple[str, ...]]:
        """The highest-scoring window (of those `admit` lets through) and its margin; (-inf, ()) if none."""
        best: tuple[float, tuple[str, ...]] = (-math.inf, ())
        for words, pairs in _windows_of(text):
            if admit is not None and not admit(words):
                continue
            score = self.window_score(words, pairs)
            if score > best[0]:
                best = (score, words)
        return best

    def score(self, text: str) -> float:
        """The highest window's margin; -inf for a message with no words."""
        return self.best_window(text)[0]


def _argmax(models: dict[str, tuple[dict[str, float], float]], words: list[str] | tuple[str, ...]) -> str:
    feats = window_features(list(words))
    scored = [(bias + sum(ws.get(f, 0.0) * v for f, v in feats.items()), name)
              for name, (ws, bias) in models.items()]
    return max(scored)[1]


@dataclass(frozen=True)
class HardHead(_Linear):
    """Hard kinds (HARD_KINDS) against everything else, and which kind: may open the crisis screen."""

    weights: dict[str, float]
    bias: float
    threshold: float
    kinds: dict[str, tuple[dict[str, float], float]]
    _words: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False, compare=False)

    def crisis(self, text: str) -> tuple[str, str] | None:
        """(category, kind) when the message's most dangerous window that reads like language crosses the
        threshold, else None. A window of one word or pair typed over and over ("he said he said …", a 7,000-letter
        "sooo…") is left out: its few n-grams carry counts no training message had, and the head may not open the
        crisis screen on noise (the rules and the check net still read it)."""
        return self.verdict(*self.best_window(text, admit=_like_language))

    def verdict(self, score: float, words: tuple[str, ...]) -> tuple[str, str] | None:
        """(category, kind) when the best window's score crosses the threshold, else None."""
        if score < self.threshold:
            return None
        kind = _argmax(self.kinds, words)
        return HARD_KINDS[kind], kind


def _like_language(words: tuple[str, ...] | list[str]) -> bool:
    """No word longer than 40 letters, and at least a quarter of the words distinct in a window of 8 or more."""
    if words and max(map(len, words)) > 40:
        return False
    return len(words) < 8 or len(set(words)) * 4 >= len(words)


@dataclass(frozen=True)
class NetModel(_Linear):
    """Weights for the kept features, a bias and the threshold above which a window asks `check`.

    `categories` names, for each, a small set of weights of its own: the check names the category whose
    score is highest (what the crisis screen would show lines for if the person says they are not safe).
    `hard` is the hard-kind head (None in a version-1 file).
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    categories: dict[str, tuple[dict[str, float], float]]
    info: dict[str, Any]
    hard: HardHead | None = None
    _words: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False, compare=False)
    _both: dict[str, tuple[float, float, int]] = field(default_factory=dict, repr=False, compare=False)
    _last: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    _pair_weights: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict, repr=False, compare=False)

    def category(self, words: list[str] | tuple[str, ...]) -> str:
        """The category whose weights score this window highest."""
        return _argmax(self.categories, words)

    def check(self, text: str) -> str | None:
        """The category to ask about when the message crosses the threshold, else None."""
        score, words = self.best_window(text) if self.hard is None else self._best_both(text)[0]
        if score < self.threshold:
            return None
        return self.category(words)

    def crisis(self, text: str) -> tuple[str, str] | None:
        """(category, kind) when the hard-kind head opens the crisis screen for this message, else None."""
        return self.hard.verdict(*self._best_both(text)[1]) if self.hard is not None else None

    def _best_both(self, text: str) -> tuple[tuple[float, tuple[str, ...]], tuple[float, tuple[str, ...]]]:
        """(self.best_window(text), self.hard.best_window(text, admit=_like_language)) in one pass over the windows,
        remembered for the last few messages (triage asks the head, then the check net, about the same message).
        Each model's sum is added in the same order as window_score adds it: the scores are the same to the bit (a
        word pair neither model knows adds 0.0 to both sums, which never changes a sum that began at 0.0, so it is
        skipped; the pair's weights are found from its two words, without building the 'a+b' string)."""
        got = self._last.get(text)
        if got is not None:
            return got
        hard = self.hard
        assert hard is not None
        both, pairs = self._both, self._pairs()
        best_check: tuple[float, tuple[str, ...]] = (-math.inf, ())
        best_hard: tuple[float, tuple[str, ...]] = (-math.inf, ())
        for window in windows(text):
            words = tuple(window)
            check_sum = hard_sum = 0.0
            total = len(words) - 1 if words else 0  # one word pair between each two words
            for word in words:
                part = both.get(word)
                if part is None:
                    part = (self.word_part(word)[0], *hard.word_part(word))
                    if len(both) >= 100_000:
                        both.clear()
                    both[word] = part
                check_sum += part[0]
                hard_sum += part[1]
                total += part[2]
            after = pairs.get(words[0])
            for word in words[1:]:
                if after is not None:
                    weights = after.get(word)
                    if weights is not None:
                        check_sum += weights[0]
                        hard_sum += weights[1]
                after = pairs.get(word)
            scale = math.sqrt(total) if total else 0.0
            score = self.bias + check_sum / scale if total else self.bias
            if score > best_check[0]:
                best_check = (score, words)
            score = hard.bias + hard_sum / scale if total else hard.bias
            if score > best_hard[0] and _like_language(words):
                best_hard = (score, words)
        if len(self._last) >= 4:
            self._last.clear()
        self._last[text] = got = (best_check, best_hard)
        return got

    def _pairs(self) -> dict[str, dict[str, tuple[float, float]]]:
        """First word → second word → (check weight, head weight) of every word pair either model weighs (0.0 where
        one does not), built on first use. A pair feature is 'a+b', and a word never holds '+' (windows' words are
        letters and digits), so the key splits at its '+'."""
        if not self._pair_weights:
            assert self.hard is not None
            cw, hw = self.weights, self.hard.weights
            table = self._pair_weights
            for key in (*(k for k in cw if "+" in k), *(k for k in hw if "+" in k)):
                first, _, second = key.partition("+")
                table.setdefault(first, {})[second] = (cw.get(key, 0.0), hw.get(key, 0.0))
            if not table:
                table[""] = {}  # no pair weighed at all: not built again
        return self._pair_weights


def _problem(where: str, what: str) -> NetModelError:
    return NetModelError(f"safety/model.json: {where}: {what}")


def _weights(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise _problem(where, "must be a non-empty mapping of feature to weight")
    for key, value in raw.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise _problem(where, f"weight of {key!r} is not a finite number")
    return {k: float(v) for k, v in raw.items()}


def _number(raw: dict, key: str, within: str = "") -> float:
    """raw[key] as a float; `within` prefixes the field named in the error ("hard." → "hard.bias")."""
    value = raw.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise _problem(within + key, "must be a finite number")
    return float(value)


def parse_model(raw: Any, known_categories: tuple[str, ...]) -> NetModel:
    """Validate a decoded model.json (raises NetModelError naming the file and the field)."""
    if not isinstance(raw, dict):
        raise _problem("file", "must be a JSON object")
    if raw.get("version") not in VERSIONS:
        raise _problem("version", f"unsupported version {raw.get('version')!r} (this code reads "
                                  f"{', '.join(map(str, VERSIONS))})")
    features = raw.get("features")
    if not isinstance(features, dict) or features.get("ngrams") != list(NGRAMS) \
            or features.get("window_words") != WINDOW_WORDS or features.get("word_pairs") is not True:
        raise _problem("features", f"must be {{ngrams: {list(NGRAMS)}, window_words: {WINDOW_WORDS}, "
                                   "word_pairs: true}: the model was trained with other features; retrain it")
    weights = _weights(raw.get("weights"), "weights")
    bias = _number(raw, "bias")
    threshold = _number(raw, "threshold")
    categories = _models(raw.get("categories"), known_categories, "categories")
    hard = _hard(raw.get("hard")) if raw["version"] >= 2 else None
    info = {k: raw.get(k) for k in ("trained_on", "cv", "trained")}
    model = NetModel(weights, bias, threshold, categories, info, hard)
    if hard is not None:
        model._pairs()  # at start-up (about 10 ms), not on the first message
    return model


def _models(raw: Any, names: Iterable[str], where: str) -> dict[str, tuple[dict[str, float], float]]:
    """A small model ({weights, bias}) for each of `names`, exactly: the categories, or the hard head's kinds."""
    if not isinstance(raw, dict) or set(raw) != set(names):
        raise _problem(where, f"must have exactly {', '.join(sorted(names))}")
    models = {}
    for name in names:
        entry = raw[name]
        if not isinstance(entry, dict):
            raise _problem(f"{where}.{name}", "must be {weights: …, bias: …}")
        models[name] = (_weights(entry.get("weights"), f"{where}.{name}.weights"),
                        _number(entry, "bias", f"{where}.{name}."))
    return models


def _hard(raw: Any) -> HardHead:
    """The hard-kind head: {weights, bias, threshold, kinds: {KIND: {weights, bias}} for every HARD_KINDS}."""
    if not isinstance(raw, dict):
        raise _problem("hard", "must be {weights, bias, threshold, kinds} (version 2 has the hard-kind head)")
    weights = _weights(raw.get("weights"), "hard.weights")
    return HardHead(weights, _number(raw, "bias", "hard."), _number(raw, "threshold", "hard."),
                    _models(raw.get("kinds"), HARD_KINDS, "hard.kinds"))


def load_model(path: str | Path, known_categories: tuple[str, ...]) -> NetModel:
    """Read and validate the model file (raises NetModelError: 'safety/model.json: WHERE: problem')."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _problem("file", f"{type(exc).__name__}") from exc
    return parse_model(raw, known_categories)


def iter_windows_features(text: str) -> Iterator[dict[str, float]]:
    """Every window's features (for training and cross-validation)."""
    for words in windows(text):
        yield window_features(words)
