"""Which of many patterns could match a text, from the literal pieces each match must contain.

The same idea as RE2's FilteredRE2, which the gate used before: each pattern is reduced to a formula over literal
strings ("atoms") that every match contains — `kill(?:ed)? (?:you|u)\\b` needs "killed you" or "kill you" or "killed u"
or "kill u" — and one Aho–Corasick pass (pyahocorasick) finds every atom in the text at once. A pattern whose formula
holds is a candidate; the others cannot match. RE2's filter read a 4,096-character text in about 0.5 ms per 200
patterns (ten passes for triage's rules); one pass here reads it for all of them.

Formulas are sound, never exact: every text a pattern matches satisfies its formula (lowercase text against lowercase
atoms; a piece the reduction cannot read becomes "anything", which only makes the pattern a candidate more often).
"""

from __future__ import annotations

import re._constants as _c  # Python 3.11+ (the project's floor): the parser `re` itself uses
import re._parser as _p
from collections.abc import Callable, Iterable

import ahocorasick

# Atoms shorter than this (spaces aside) are not worth finding ("he ", "a"): a piece needing one is read as "anything".
MIN_ATOM = 3
# An exact piece with more spellings than this is kept as a formula instead (as RE2's filter does, at 16).
MAX_EXACT = 16
# A character class with at most this many characters is read as that many spellings.
MAX_CLASS = 4

ANY = True  # the formula every text satisfies


class _Exact(frozenset):
    """A piece that matches exactly one of these (lowercase) strings."""


def _atom_or_any(strings: Iterable[str]):
    strings = set(strings)
    if any(len(s.strip()) < MIN_ATOM for s in strings):
        return ANY
    # "kill you" contains "kill": finding the shorter one is enough for an OR of both.
    kept = {s for s in strings if not any(o != s and o in s for o in strings)}
    return kept.pop() if len(kept) == 1 else ("or", tuple(sorted(kept)))


def _formula(info):
    return _atom_or_any(info) if isinstance(info, _Exact) else info


def _and(parts):
    parts = [p for p in parts if p is not ANY]
    flat = []
    for p in parts:
        flat.extend(p[1] if isinstance(p, tuple) and p[0] == "and" else (p,))
    if not flat:
        return ANY
    return flat[0] if len(flat) == 1 else ("and", tuple(flat))


def _or(parts):
    if any(p is ANY for p in parts):
        return ANY
    flat = []
    for p in parts:
        flat.extend(p[1] if isinstance(p, tuple) and p[0] == "or" else (p,))
    return flat[0] if len(flat) == 1 else ("or", tuple(flat))


def _class_chars(items) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            chars.add(chr(av).lower())
        elif op is _c.RANGE and av[1] - av[0] < MAX_CLASS:
            chars.update(chr(c).lower() for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, a wide range
            return None
    return chars if len(chars) <= MAX_CLASS else None


def _info(seq):
    """An _Exact set of strings, or a formula (ANY, an atom, ("and"|"or", parts))."""
    exact: _Exact | None = _Exact({""})
    parts = []
    run = ""  # literal characters not yet appended to `exact` (most of a pattern is letters)
    for op, av in seq:
        if op is _c.LITERAL:
            run += chr(av)
            continue
        item = _item(op, av)
        if run:
            exact = _Exact(a + run.lower() for a in exact) if exact is not None else _Exact({run.lower()})
            run = ""
        if isinstance(item, _Exact) and exact is not None and len(exact) * len(item) <= MAX_EXACT:
            exact = _Exact(a + b for a in exact for b in item)
            continue
        if exact is not None:
            parts.append(_formula(exact))
        if isinstance(item, _Exact):
            exact = item
        else:
            parts.append(item)
            exact = None
    if run:
        exact = _Exact(a + run.lower() for a in exact) if exact is not None else _Exact({run.lower()})
    if exact is not None:
        if not parts:
            return exact
        parts.append(_formula(exact))
    return _and(parts)


def _item(op, av):
    if op is _c.LITERAL:
        return _Exact({chr(av).lower()})
    if op is _c.IN:
        chars = _class_chars(av)
        return ANY if chars is None else _Exact(chars)
    if op is _c.SUBPATTERN:
        return _info(av[3])
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _info(av)
    if op is _c.BRANCH:
        infos = [_info(s) for s in av[1]]
        if all(isinstance(i, _Exact) for i in infos):
            union = _Exact(frozenset().union(*infos))
            if len(union) <= MAX_EXACT:
                return union
        return _or([_formula(i) for i in infos])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        inner = _info(sub)
        if (lo, hi) == (1, 1):
            return inner
        if (lo, hi) == (0, 1) and isinstance(inner, _Exact):
            return _Exact(inner | {""})
        return ANY if lo == 0 else _formula(inner)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _Exact({""})  # matches no character (lookarounds are dropped: a superset)
    return ANY  # ANY, NOT_LITERAL, a category, a group reference


def formula(pattern: str):
    """What every match of `pattern` contains: ANY, an atom, or ("and"|"or", parts)."""
    return formula_of(_p.parse(pattern))


def formula_of(parsed) -> object:
    """`formula` of a pattern already parsed by `re._parser` (a SubPattern or a list of its items)."""
    return _formula(_info(parsed))


class Atoms:
    """`candidates(text)`: the indexes of `patterns` whose formula `text` (lowercase) satisfies."""

    def __init__(self, formulas: Iterable[object]) -> None:
        self._always: list[int] = []
        self._test: dict[int, Callable[[set[str]], bool]] = {}
        self._users: dict[str, list[int]] = {}  # atom → patterns it guards (see _guard)
        self._finder = ahocorasick.Automaton()
        every: set[str] = set()
        for i, f in enumerate(formulas):
            if f is ANY:
                self._always.append(i)
                continue
            self._test[i] = _test(f)
            for atom in _guard(f):
                self._users.setdefault(atom, []).append(i)
            every.update(_atoms(f))
        for atom in every:
            self._finder.add_word(atom, atom)
        if every:
            self._finder.make_automaton()

    @classmethod
    def of(cls, patterns: Iterable[str]) -> Atoms:
        return cls(formula(p) for p in patterns)

    @property
    def always(self) -> list[int]:
        return self._always

    def candidates(self, text: str) -> list[int]:
        found = {atom for _, atom in self._finder.iter(text)} if self._test else set()
        out = list(self._always)
        seen: set[int] = set()
        users = self._users
        for atom in found:
            for i in users.get(atom, ()):
                if i not in seen:
                    seen.add(i)
                    if self._test[i](found):
                        out.append(i)
        return out


def _guard(f) -> set[str]:
    """Atoms one of which every text satisfying `f` holds, chosen rare: a pattern is looked at only when one of them is
    found (an AND is guarded by its rarest part, not by "me " in every message)."""
    if isinstance(f, str):
        return {f}
    guards = [_guard(p) for p in f[1]]
    if f[0] == "or":
        return set().union(*guards)
    return max(guards, key=lambda g: (min(len(a.strip()) for a in g), -len(g)))


def _atoms(f) -> set[str]:
    if isinstance(f, str):
        return {f}
    return set().union(*(_atoms(p) for p in f[1]))


def _test(f) -> Callable[[set[str]], bool]:
    """`f` as a function of the atoms found; an OR's atoms are one set (a C-speed `isdisjoint`, not a Python loop)."""
    if isinstance(f, str):
        return lambda found: f in found
    if f[0] == "and":
        parts = [_test(p) for p in f[1]]
        return lambda found: all(p(found) for p in parts)
    atoms = frozenset(p for p in f[1] if isinstance(p, str))
    rest = [_test(p) for p in f[1] if not isinstance(p, str)]
    if not rest:
        return lambda found: not atoms.isdisjoint(found)
    return lambda found: not atoms.isdisjoint(found) or any(p(found) for p in rest)
