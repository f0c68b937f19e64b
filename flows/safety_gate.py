"""A fast first look for triage: which rules could match a message at all.

Triage's rules are Python regular expressions (lookarounds included), and hundreds of them over eight
languages: tried one alternation after another, a 4,096-character message took about 100 ms. Here every
pattern is rewritten as a *looser* RE2 pattern — lookarounds dropped, nothing else changed. One pass over the
text finds the literal pieces every loose form needs (flows/safety_atoms.py); only the loose forms whose pieces are
there are searched by RE2. A rule whose loose form does not match cannot match itself; only the few whose loose form
matches are then tried with Python's `re`, exactly as before. The verdicts are the same as without the gate (tests check this on every
labelled message, every rule's examples and traps, and generated text).

RE2 works on bytes and knows only ASCII word characters; the text is normalised before matching (accents
folded), and the rules are ASCII after the same folding. What non-ASCII remains (another script, a symbol) is
replaced for the gate by an ASCII stand-in of the same class (a word character, a digit, or a non-word
character), so `\\b`, `\\w`, `\\d` and `\\s` answer as Python's would.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Sequence

import re2

from flows.safety_atoms import Atoms, formula_of

import re._constants as _c  # Python 3.11+ (the project's floor): the parser `re` itself uses
import re._parser as _p

# A gate of at most this many patterns searches each loose form directly: finding their literal pieces costs more
# than a few searches.
DIRECT = 4
# A loose form longer than this many characters is searched as several shorter ones (see loosen_parts): the rules'
# longest (6,600 characters) cost 0.24 ms a message, four times a short one, being in cache only for itself.
SPLIT = 1500

# RE2's own search, called without the wrapper's generator and match object: `search(anchor, data, pos, endpos)` gives
# spans, the first (-1, -1) when there is no match (about 2 µs less a call, ~130 calls a long message). Should a
# future google-re2 lose it, `_Regexp.search` is used as before.
_UNANCHORED = getattr(getattr(getattr(re2, "_re2", None), "RE2", None), "Anchor", None)
_UNANCHORED = getattr(_UNANCHORED, "UNANCHORED", None)


def _searcher(rx: re2._Regexp) -> Callable[[bytes, int], int]:
    """`find(data, pos)`: where `rx` first matches `data` at or after `pos` (text before `pos` read for \\b), or -1."""
    raw = getattr(rx, "_regexp", None)
    if _UNANCHORED is not None and hasattr(raw, "Match"):
        match = raw.Match

        def find(data: bytes, pos: int) -> int:
            return match(_UNANCHORED, data, pos, len(data))[0][0]
        return find

    def find_slow(data: bytes, pos: int) -> int:
        m = rx.search(data, pos)
        return -1 if m is None else m.start()
    return find_slow


class Untranslatable(ValueError):
    """A pattern RE2 cannot loosen (a backreference): it is always tried with Python's `re`."""


def _char(code: int) -> str:
    ch = chr(code)
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ch
    if ch in string.punctuation:
        return "\\" + ch
    return f"\\x{code:02x}"  # ASCII only: `loosen` refuses other patterns


_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s", _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W",
}
_AT = {
    _c.AT_BEGINNING: "^", _c.AT_BEGINNING_STRING: r"\A",
    _c.AT_END: "$", _c.AT_END_STRING: r"\z",
    _c.AT_BOUNDARY: r"\b", _c.AT_NON_BOUNDARY: r"\B",
}


def _class(items: list) -> str:
    out, negate = [], False
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            out.append(_char(av))
        elif op is _c.RANGE:
            out.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is _c.CATEGORY:
            out.append(_CATEGORIES[av])
        else:
            raise Untranslatable(f"class item {op}")
    return ("[^" if negate else "[") + "".join(out) + "]"


def _repeat(lo: int, hi: int) -> str:
    if hi is _c.MAXREPEAT or hi == _c.MAXREPEAT:
        return "*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}"
    if (lo, hi) == (0, 1):
        return "?"
    if hi > 1000:  # RE2's counted-repetition limit; a looser bound keeps it a superset
        return "*" if lo == 0 else f"{{{min(lo, 1000)},}}"
    return f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"


def _emit(seq) -> str:
    out = []
    for op, av in seq:
        if op is _c.LITERAL:
            out.append(_char(av))
        elif op is _c.NOT_LITERAL:
            out.append(f"[^{_char(av)}]")
        elif op is _c.ANY:
            out.append("(?s:.)")
        elif op is _c.IN:
            out.append(_class(av))
        elif op is _c.BRANCH:
            out.append("(?:" + "|".join(_emit(s) for s in av[1]) + ")")
        elif op is _c.SUBPATTERN:
            _, add, _, sub = av
            flags = "i" if add & _c.SRE_FLAG_IGNORECASE else ""
            out.append(f"(?{flags}:{_emit(sub)})")
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            out.append(f"(?:{_emit(sub)}){_repeat(lo, hi)}")
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            out.append(f"(?:{_emit(av)})")
        elif op is _c.AT:
            out.append(_AT[av])
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            continue  # dropped: the loose pattern matches wherever the rule could, and maybe more
        else:  # GROUPREF and the like
            raise Untranslatable(str(op))
    return "".join(out)


def loosen(pattern: str) -> str:
    """The RE2 form of a Python pattern with its lookarounds dropped (matches a superset of the text)."""
    return loosen_parts(pattern, None)[0]


def loosen_parts(pattern: str, size: int | None) -> list[str]:
    """RE2 forms whose matches together are exactly `loosen(pattern)`'s: a loose form longer than `size` characters
    that is one alternation with something before and after (`\\b(?:A|B|…)\\b`) becomes several, each holding a run
    of the alternatives (`\\b(?:A|B)\\b`, …) of about `size` characters. A text matches the whole at a place exactly
    when one part matches there, so the first place any part matches is the first place the whole matches. A huge
    automaton is slow to read a text with (its states fall out of the processor's cache); a part is searched only
    when its own literal pieces are found."""
    return [part for part, _ in _loose_parts(pattern, size)]


def _loose_parts(pattern: str, size: int | None) -> list[tuple[str, list]]:
    """loosen_parts, each with its parsed form (for its literal pieces)."""
    if not pattern.isascii():  # the gate's text is ASCII (see gate_text): such a pattern is always tried
        raise Untranslatable("non-ASCII pattern")
    parsed = _p.parse(pattern)
    wrap = "(?i:{})" if parsed.state.flags & _c.SRE_FLAG_IGNORECASE else "{}"
    whole = wrap.format(_emit(parsed))
    items = list(parsed)
    if size is None or len(whole) <= size:
        return [(whole, items)]
    branches = [k for k, (op, _) in enumerate(items) if op is _c.BRANCH]
    if len(branches) != 1:
        return [(whole, items)]
    k = branches[0]
    before, after = _emit(items[:k]), _emit(items[k + 1:])
    runs: list[list[tuple[str, object]]] = [[]]
    length = 0
    for alternative in items[k][1][1]:
        body = _emit(alternative)
        if runs[-1] and length + len(body) > size:
            runs.append([])
            length = 0
        runs[-1].append((body, alternative))
        length += len(body) + 1
    return [(wrap.format(f"{before}(?:{'|'.join(b for b, _ in run)}){after}"),
             [*items[:k], (_c.BRANCH, (None, [a for _, a in run])), *items[k + 1:]]) for run in runs]


def required(pattern: str) -> list[str]:
    """RE2 forms of what a text must also hold for a pattern anchored at its start to match: the body of each
    lookaround at the pattern's top level (`^(?=.*letters)(?=.*pets)…` needs both somewhere), which `loosen` drops,
    leaving `^`, which every text matches. A leading `.*` is left out (the body is searched anywhere), as is a body
    RE2 cannot read (fewer requirements: still a superset). Lookarounds inside an alternative or a repeat are not
    required of every match, so not listed. Unanchored patterns keep their loose form's own pieces: searching their
    lookarounds too cost more than it saved (exclusions: 11 more searches a long message, 0.03 fewer candidates)."""
    return [body for body, _ in _required_parts(pattern)]


def _required_parts(pattern: str) -> list[tuple[str, list]]:
    """required, each with its parsed form (for its literal pieces)."""
    if not pattern.isascii() or "^" not in pattern:  # no `^`, no start anchor: skip the parse (0.8 s at start-up)
        return []
    parsed = _p.parse(pattern)
    if (_c.AT, _c.AT_BEGINNING) not in list(parsed):
        return []
    wrap = "(?i:{})" if parsed.state.flags & _c.SRE_FLAG_IGNORECASE else "{}"
    out = []
    for op, av in parsed:
        if op is not _c.ASSERT:
            continue
        body = list(av[1])
        while body and body[0][0] in (_c.MAX_REPEAT, _c.MIN_REPEAT) and body[0][1][:2] == (0, _c.MAXREPEAT) \
                and list(body[0][1][2]) == [(_c.ANY, None)]:
            body = body[1:]
        try:
            emitted = _emit(body)
        except (Untranslatable, KeyError):
            continue
        if emitted:
            out.append((wrap.format(emitted), body))
    return out


class CharTable(dict):
    """A `str.translate` table worked out one character at a time, as characters are met (no start-up cost);
    at most KEPT characters are remembered, so odd text cannot grow it without end."""

    KEPT = 65_536

    def __init__(self, char: Callable[[str], str | None]) -> None:
        super().__init__()
        self._char = char

    def __missing__(self, code: int) -> str | None:
        value = self._char(chr(code))
        if len(self) < self.KEPT:
            self[code] = value
        return value


def _gate_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if ch.isspace():
        return " "
    if ch.isdecimal():
        return "0"
    if ch.isalnum() or ch == "_":
        return "_"
    return "\x01"


def gate_text(text: str) -> str:
    """ASCII text that RE2's ASCII classes read as Python's Unicode ones read `text`."""
    return text if text.isascii() else text.translate(_GATE_CHARS)


_GATE_CHARS = CharTable(_gate_char)


@functools.lru_cache(maxsize=8192)
def _prepared(pattern: str) -> tuple[tuple, tuple] | None:
    """A pattern's loose parts and required bodies as (RE2 pattern, literal pieces), or None when it cannot be loosened
    (it is always tried). Kept per pattern: the same rules are loaded again by every test, and parsing is the slow
    part of building a gate."""
    try:
        parts = tuple((re2.compile(part.encode()), formula_of(seq)) for part, seq in _loose_parts(pattern, SPLIT))
    except (Untranslatable, KeyError, re.error, re2.error):
        return None
    needs = []
    for body, seq in _required_parts(pattern):
        try:
            needs.append((re2.compile(body.encode()), formula_of(seq)))
        except re2.error:
            continue
    return parts, tuple(needs)


class Gate:
    """Which of `patterns` (Python regexes) could match a text, and where: `locate(gate_text(text).encode())` →
    {index: where it could first match}.

    Two steps: one pass over the literal pieces every match must contain (flows/safety_atoms.py) names the
    patterns whose pieces occur, then each of those is searched in its loose form by RE2. A pattern that cannot be
    loosened is always a candidate. A pattern made of lookaheads (`^(?=.*A)(?=.*B)`, whose loose form `^` matches
    every text) is a candidate only when each of its top-level lookarounds' bodies is found too (`required`)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._count = len(patterns)
        self._always: list[int] = []
        # Each pattern's loose form, as one RE2 pattern or several whose matches together are its (loosen_parts);
        # the filter and the searches work on these parts, each naming the pattern it belongs to.
        self._parts: dict[int, list[Callable[[bytes, int], int]]] = {}
        self._loose: list[re2._Regexp] = []
        self._find: list[Callable[[bytes, int], int]] = []
        self._owner: list[int] = []
        # Which requirement of its owner a part is: 0 for the loose form itself, k for the k-th `required` body.
        self._need: list[int] = []
        self._needs: dict[int, int] = {}  # pattern → how many required bodies it has
        formulas = []
        for i, pattern in enumerate(patterns):
            prepared = _prepared(pattern)
            if prepared is None:
                self._always.append(i)
                continue
            parts, needs = prepared
            finds = self._parts[i] = [_searcher(part) for part, _ in parts]
            for (part, f), find in zip(parts, finds):
                self._add(part, find, i, 0)
                formulas.append(f)
            for k, (part, f) in enumerate(needs, 1):
                self._add(part, _searcher(part), i, k)
                formulas.append(f)
            if needs:
                self._needs[i] = len(needs)
        # The literal pieces each part's matches contain, found for all parts in one pass (flows/safety_atoms.py).
        self._atoms = Atoms(formulas)

    def _add(self, part: re2._Regexp, find: Callable[[bytes, int], int], owner: int, need: int) -> None:
        self._loose.append(part)
        self._find.append(find)
        self._owner.append(owner)
        self._need.append(need)

    def first(self, i: int, data: bytes, pos: int = 0) -> int | None:
        """Where pattern `i` could first match in `data` (gate_text(text).encode()) at or after `pos`, or None when it
        cannot match there at all. Every match of a pattern is a match of its loose form at the same place (the
        text before `pos` is read for \\b, as Python's `search(text, pos)` reads it), so Python's search may start
        there; a pattern without a loose form could start anywhere."""
        parts = self._parts.get(i)
        if parts is None:
            return pos
        found = None
        pos = min(max(pos, 0), len(data))
        for find in parts:
            start = find(data, pos)
            if start >= 0 and (found is None or start < found):
                found = start
        return found

    def locate(self, data: bytes) -> dict[int, int]:
        """Each pattern that could match `data` (gate_text(text).encode()) → where it could first match (see
        `first`)."""
        found = dict.fromkeys(self._always, 0)
        if self._count <= DIRECT:
            for i in self._parts:
                if i not in found and (start := self.first(i, data)) is not None:
                    found[i] = start
            return found
        find, owner, need = self._find, self._owner, self._need
        met: set[tuple[int, int]] = set()
        for j in self._atoms.candidates(data.decode("ascii").lower()):
            start = find[j](data, 0)
            if start >= 0:
                i = owner[j]
                if need[j]:
                    met.add((i, need[j]))
                elif i not in found or start < found[i]:
                    found[i] = start
        for i, count in self._needs.items():
            if i in found and not all((i, k) in met for k in range(1, count + 1)):
                del found[i]
        return found
