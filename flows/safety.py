"""Crisis triage: rules from content/safety.yaml, applied to normalised text.

Pure code: no I/O beyond reading the YAML file, and never logs message text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from flows.devanagari import HAS_DEVANAGARI, romanise
from flows.safety_gate import CharTable, Gate, gate_text
from flows.safety_net import SPELLED, ZERO_WIDTH, NetModel, NetModelError, load_model

# Highest precedence first: the first category that matches wins.
PRECEDENCE: tuple[str, ...] = (
    "immediate_danger",
    "self_harm",
    "child_at_risk",
    "sexual_violence",
    "violence",
)

_QUOTES = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'",
    "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
})
_DASHES = re.compile("[-\u2010-\u2015\u2212]")
# Sentence punctuation becomes a space, so "he's here, help!" reads like
# "he is here help" and bounded word gaps are not broken by a comma.
_PUNCT = re.compile("[.,!?;:()\\[\\]{}\u2026\u00a1\u00bf]")
# A letter typed 3+ times: ([^\W\d_])\1{2,}, written so that `re` tests for three equal characters before it
# asks whether the first is a letter, the slow part: about 3x faster on a long message, same matches.
_REPEATS = re.compile(r"(?=(.)\1\1)[^\W\d_]\1\1\1*")
# Emoji and pictographs become spaces, so "help\U0001f62d" reads "help" and a
# message that is only a word plus emoji still matches a whole-message rule.
_SYMBOLS = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]")
_SPACES = re.compile(r"\s+")
# The three above in one pass (each turns one character into a space, and a space is in none of them).
_BLANKS = re.compile("[" + _DASHES.pattern[1:-1] + _SYMBOLS.pattern[1:-1] + _PUNCT.pattern[1:-1] + "]")


class SafetyContentError(ValueError):
    """safety.yaml is malformed; the message reads 'safety.yaml: WHERE: problem'."""


Tier = Literal["crisis", "check", "ok"]
# Kinds of danger a reply speaks to in its own words (content/en/crisis.yaml blocks of the same name).
KINDS = ("strangulation", "threat_to_kill", "weapon", "injury_now", "overdose_now", "child_self", "murder_suicide")
UNSURE = "unsure"  # a verdict's kind when the learned net, not a rule, raised it: its category is a guess


# Text is matched with its accents folded (Normaliser), so a pattern is folded as it is read: "preñada" in a
# rule would otherwise never match anything.
Pattern = Annotated[str, Field(min_length=1), AfterValidator(lambda p: fold_accents(p))]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pattern: Pattern
    why: str = Field(min_length=1)
    examples: list[str] = Field(min_length=1)
    traps: list[str] = Field(default_factory=list)
    # `check`: may be danger, may be an idiom: the person is asked whether they are safe instead of being
    # sent to the crisis screen. A crisis rule anywhere wins over every check rule.
    tier: Literal["crisis", "check"] = "crisis"
    kind: str | None = None  # one of KINDS: the reply names it (strangulation is dangerous without marks…)
    suppress: list[str] = Field(default_factory=list)  # categories this match rules out ("he'll kill himself
    # and take me with him" is danger to the person, never self_harm)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v is not None and v not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        return v

    @field_validator("suppress")
    @classmethod
    def _suppress(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if c not in PRECEDENCE]
        if bad:
            raise ValueError(f"suppress names unknown categories: {', '.join(bad)}")
        return v


@dataclass(frozen=True)
class Verdict:
    """What a message signals: `crisis` (answer at once), `check` (ask if they are safe) or `ok`.

    `categories` are in precedence order (the first is what matters most); `kinds` name the dangers the reply
    speaks to. `arg` is how the crisis and check flows receive both: "violence,strangulation".
    """

    tier: Tier = "ok"
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.tier != "ok"

    @property
    def category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def arg(self) -> str:
        return ",".join((*self.categories, *self.kinds))

    def line(self) -> str:
        """`fulcrum triage`'s answer: crisis<TAB>CATEGORY[,CATEGORY…], check<TAB>CATEGORY or ok."""
        if self.tier == "ok":
            return "ok"
        return f"{self.tier}\t{','.join(self.categories)}"


OK = Verdict()


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)


class Exclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: Pattern
    why: str = Field(min_length=1)


class Negation(BaseModel):
    """A harm word directly negated in its own clause ("he would never hurt me").

    `examples` are benign sentences the negation must make read "ok"; `traps`
    are crises that look negated ("he won't stop hitting me") and must still
    be flagged. Both are checked by `fulcrum content check`.
    """

    model_config = ConfigDict(extra="forbid")

    pattern: Pattern
    why: str = Field(min_length=1)
    examples: list[str] = Field(min_length=1)
    traps: list[str] = Field(min_length=1)


class SafetyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    normalise: dict[str, str]
    # Emoji that stand for a word in a message typed in fear ("he has a 🔪"): read as that word; other emoji are blanks.
    emoji: dict[str, str] = Field(default_factory=dict)
    negate: list[Negation] = Field(default_factory=list)
    exclude: list[Exclusion] = Field(default_factory=list)
    categories: dict[str, Category]

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"unsupported version {v}")
        return v

    @field_validator("emoji")
    @classmethod
    def _emoji(cls, v: dict[str, str]) -> dict[str, str]:
        for key, word in v.items():
            if len(key) != 1 or key.isascii():
                raise ValueError(f"emoji key {key!r} must be one non-ASCII character (no variation selector)")
            if not re.fullmatch(r"[a-z]+(?: [a-z]+)*", word):
                raise ValueError(f"emoji {key!r} must stand for lower-case words, not {word!r}")
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: dict[str, Category]) -> dict[str, Category]:
        if set(v) != set(PRECEDENCE):
            raise ValueError(f"categories must be exactly {sorted(PRECEDENCE)}")
        return v


def _word_alternation(keys: Iterable[str], boundary: str) -> re.Pattern[str] | None:
    """The longest of `keys` found where no `boundary` character touches it on either side.

    Written as a trie ("s(?:elf delet(?:ing|e)|…)") rather than one alternative a key: at each place `re` then
    compares a few first letters instead of every key (about 4x faster on a long message). It matches what
    `(?<![B])(?:longest|…|shortest)(?![B])` matches: the keys found at one place are prefixes of each other, and the
    trie tries the longer before the shorter."""
    keys = sorted(set(keys), key=len, reverse=True)
    if not keys:
        return None
    if "" in keys:
        body = "|".join(re.escape(k) for k in keys)
        return re.compile(rf"(?<![{boundary}])(?:{body})(?![{boundary}])")
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}  # a key ends here
    return re.compile(rf"(?<![{boundary}])(?:{_trie_pattern(trie)})(?![{boundary}])")


def _trie_pattern(node: dict) -> str:
    """The alternation of a trie node's branches, a key ending here tried last (the empty alternative)."""
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if "" in node:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


class Normaliser:
    """Lower-case, fold Unicode and spelling variants into one canonical form."""

    def __init__(self, mapping: dict[str, str], emoji: dict[str, str] | None = None) -> None:
        self._map = {k.lower(): v for k, v in mapping.items()}
        self._emoji = str.maketrans({k: f" {v} " for k, v in emoji.items()}) if emoji else None
        # Keys with an apostrophe ("i'll", "he'll") run before apostrophes are
        # dropped, so they never collide with real words ("ill", "hell").
        self._with = _word_alternation([k for k in self._map if "'" in k], r"\w'")
        self._without = _word_alternation([k for k in self._map if "'" not in k], r"\w")

    def _sub(self, rx: re.Pattern[str] | None, text: str) -> str:
        return rx.sub(lambda m: self._map[m.group(0)], text) if rx else text

    def __call__(self, text: str, single: bool = False) -> str:
        """Canonical form. A letter typed 3+ times becomes 2 ("killl" -> "kill");
        with `single` it becomes 1 instead ("dieeee" -> "die", "helllp" -> "help")."""
        return self._finish(self._start(text), single)

    def both(self, text: str) -> tuple[str, str]:
        """(self(text), self(text, single=True)), the steps before letters typed 3+ times done once for both."""
        start = self._start(text)
        return self._finish(start, False), self._finish(start, True)

    def _start(self, text: str) -> str:
        if self._emoji and not text.isascii():
            text = text.translate(self._emoji)
        text = unicodedata.normalize("NFKC", text)
        text = unicodedata.normalize("NFKC", text.lower()).lower()
        if not text.isascii():
            # Accents, invisible characters and curly quotes are all non-ASCII: each run of such characters is
            # folded on its own (cached), which is what folding the whole text gives, without a Python-level
            # lookup for every character of a long message.
            text = _NON_ASCII.sub(_fold_run, text)
        text = text.replace("`", "'")
        text = _BLANKS.sub(" ", text)  # emoji, dashes and sentence punctuation
        text = " ".join(text.split())  # `\s+` → one space, stripped (str.split knows the same white space)
        if "'" in text:  # every key of `_with` holds an apostrophe: without one in the text, none can match
            text = self._sub(self._with, text).replace("'", "")
        return text

    def _finish(self, text: str, single: bool) -> str:
        text = _REPEATS.sub(r"\1" if single else r"\1\1", text)
        text = self._sub(self._without, text)
        return " ".join(text.split())


def fold_accents(text: str) -> str:
    """'golpeó' → 'golpeo', 'schlägt' → 'schlagt', 'ça' → 'ca': people type both, rules are written once.
    Letters without a decomposition (ß, ø, æ, ł) are spelled out."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _fold_accents_run(m.group()), text)


# Accents go, but Devanagari's virama and nukta stay: they are part of how a word is spelled ("हॅल्प" is "help";
# without its virama it reads "helap"), and flows/devanagari.py romanises them after this.
_NO_MARKS = CharTable(lambda ch: None if unicodedata.combining(ch) and not "\u0900" <= ch <= "\u097f" else ch)
# Folding works one character at a time, and NFKD never reorders across an ASCII character (a starter that
# decomposes to itself): folding each run of non-ASCII characters alone gives the same text as folding it whole.
_NON_ASCII = re.compile("[^\x00-\x7f]+")


@functools.lru_cache(maxsize=8192)
def _fold_accents_run(run: str) -> str:
    return unicodedata.normalize("NFKD", run).translate(_NO_MARKS).translate(SPELLED)


def _fold_run(m: re.Match[str]) -> str:
    """A run of non-ASCII characters as the Normaliser's first steps leave it: accents folded, invisible characters
    dropped, curly quotes straight."""
    return _normal_run(m.group())


@functools.lru_cache(maxsize=8192)
def _normal_run(run: str) -> str:
    return ZERO_WIDTH.sub("", _fold_accents_run(run)).translate(_QUOTES)




@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b")


Search = Callable[[int, int], "re.Match[str] | None"]


def _blank(text: str, patterns: list[re.Pattern[str]], search: Search | None = None) -> str:
    """`text` with every match of `patterns` replaced by a space, as one alternation of them in this order
    would (`re.sub`): leftmost match first, the earlier pattern where two begin at the same place. `search(k, pos)`,
    when given, finds pattern k's first match at or after `pos` (as `patterns[k].search(text, pos)` would)."""
    if search is None:
        if len(patterns) <= 1:
            return patterns[0].sub(" ", text) if patterns else text
        search = lambda k, pos: patterns[k].search(text, pos)  # noqa: E731
    upcoming = [search(k, 0) for k in range(len(patterns))]  # each pattern's next match at or after `pos`
    out, pos = [], 0
    while True:
        best = -1
        for k, m in enumerate(upcoming):
            if m is not None and m.start() < pos:
                m = upcoming[k] = search(k, pos)
            if m is not None and (best < 0 or m.start() < upcoming[best].start()):
                best = k
        if best < 0:
            break
        m = upcoming[best]
        if m.end() == m.start():  # an empty match (none of ours): re.sub's own rules for those apply
            return re.compile("|".join(rx.pattern for rx in patterns)).sub(" ", text)
        out += (text[pos:m.start()], " ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


class Triage:
    """Classify a message into a crisis category id, or None."""

    def __init__(self, spec: SafetyFile, net: NetModel | None = None, *, gated: bool = True) -> None:
        self.spec = spec
        # The learned net (content/safety/model.json): lifts an `ok` to `check`, and its hard-kind head an `ok` or a
        # `check` to `crisis`; never lower.
        self.net = net
        self.normaliser = Normaliser(spec.normalise, spec.emoji)
        self._negations = [n.pattern for n in spec.negate]
        self._exclusions = [e.pattern for e in spec.exclude]
        self._rules = {cat: list(spec.categories[cat].rules) for cat in PRECEDENCE}
        # Every rule in the order verdicts are built: crisis before check, categories by precedence.
        self._ordered: list[tuple[str, str, Rule]] = [
            (tier, cat, rule)
            for tier in ("crisis", "check") for cat in PRECEDENCE
            for rule in spec.categories[cat].rules if rule.tier == tier]
        # The gate (flows/safety_gate.py) names the few rules, idioms and negations that could match a text;
        # only those are tried. `gated=False` tries everything (the tests prove both give the same verdicts).
        self._gates: tuple[Gate, Gate, Gate] | None = None
        if gated:
            self._gates = (Gate([rf"\b(?:{p})\b" for p in self._negations]),
                           Gate([rf"\b(?:{p})\b" for p in self._exclusions]),
                           Gate([rf"\b(?:{rule.pattern})\b" for _, _, rule in self._ordered]))
        for pattern in (*self._negations, *self._exclusions):
            _compile(pattern)  # a bad pattern fails at start-up, not on the first message

    @classmethod
    def load(cls, path: str | Path, *, self_check: bool = True, net: bool = True) -> Triage:
        """Read and validate safety.yaml and content/safety/*.yaml (raises SafetyContentError). `self_check` also
        runs every rule's examples and traps (seconds with every language's rules): `fulcrum content check` and
        the tests do; the running bot only needs the rules to parse and compile. With `net`, the learned net in
        content/safety/model.json is read too when the file exists (a broken one raises SafetyContentError
        'safety/model.json: WHERE: problem')."""
        spec = _parse(path)
        model = _load_net(path) if net else None
        problems = _self_check(spec) if self_check else []
        if not problems:
            try:
                return cls(spec, model)
            except re.error:
                problems = _compile_problems(spec)  # name the rule that does not compile
        where, what = problems[0]
        raise SafetyContentError(f"safety.yaml: {where}: {what}")

    def normalise(self, text: str) -> str:
        return self.normaliser(text)

    def prepare(self, text: str, single: bool = False) -> str:
        """Normalised text with negated harm and benign idioms blanked out, ready for matching."""
        return self._blanked(self.normaliser(text, single))

    def _blanked(self, text: str) -> str:
        """Normalised `text` with negated harm and benign idioms blanked out."""
        for which, patterns in ((0, self._negations), (1, self._exclusions)):
            if not patterns:
                continue
            if self._gates is None:
                text = _blank(text, [_compile(p) for p in patterns])
                continue
            gate = self._gates[which]
            data = gate_text(text).encode()
            starts = gate.locate(data)
            chosen = sorted(starts)
            text = _blank(text, [_compile(patterns[i]) for i in chosen],
                          _gated_search(text, data, gate, chosen, starts, patterns))
        return text

    def _matching(self, variants: list[str]) -> list[tuple[str, str, Rule]]:
        """(tier, category, rule) of every rule matching any variant, in verdict order."""
        out = []
        if self._gates is None:
            for i in range(len(self._ordered)):
                rx = _compile(self._ordered[i][2].pattern)
                if any(rx.search(v) for v in variants):
                    out.append(self._ordered[i])
            return out
        # Each variant's rules that could match, and where: Python's search starts where RE2 saw the rule's loose
        # form first match (a rule whose loose form matches nowhere in a variant cannot match it).
        located = [(v, self._gates[2].locate(gate_text(v).encode())) for v in variants]
        for i in sorted({i for _, starts in located for i in starts}):
            rx = _compile(self._ordered[i][2].pattern)
            if any(i in starts and rx.search(v, starts[i]) for v, starts in located):
                out.append(self._ordered[i])
        return out

    def assess(self, text: str) -> Verdict:
        """Every category the message signals, at the highest tier any rule gives it."""
        spellings = _spellings(text)
        variants: list[str] = []
        for spelling in spellings:
            if _REPEATS.search(spelling.lower()):
                # "i want to dieeee" reads "diee" with doubles kept; try single letters too.
                variants += [self._blanked(v) for v in self.normaliser.both(spelling)]
            else:
                variants.append(self._blanked(self.normaliser(spelling)))
        text = spellings[0]  # what the net reads
        matched = self._matching(variants)
        for tier in ("crisis", "check"):
            found: list[str] = []
            kinds: list[str] = []
            ruled_out: set[str] = set()
            for rule_tier, cat, rule in matched:
                if rule_tier != tier:
                    continue
                if cat not in found:
                    found.append(cat)
                if rule.kind and rule.kind not in kinds:
                    kinds.append(rule.kind)
                ruled_out.update(rule.suppress)
            categories = tuple(c for c in found if c not in ruled_out)
            if categories:
                if tier == "check" and self.net is not None and (hard := self.net.crisis(text)):
                    return _hard_verdict(hard, categories[:1], kinds)  # the hard-kind head opens the crisis screen
                # A check names only what matters most; a crisis names everything, for the lines of each.
                return Verdict(tier, categories if tier == "crisis" else categories[:1], tuple(kinds))
        if self.net is not None:
            # Only what the rules read `ok` (or, for the hard head, `check`) reaches the net. Its hard-kind head
            # may open the crisis screen (strangulation, threats to kill, weapons, injuries or overdoses now); its
            # check part can only ask. Neither ever lowers what a rule decided.
            if hard := self.net.crisis(text):
                return _hard_verdict(hard, (), [])
            category = self.net.check(text)
            if category is not None:
                # Its category is a guess (right about half the time on held-out sets): `unsure` tells the crisis
                # screen, should the person say they are not safe, to speak to harm by others and to oneself.
                return Verdict("check", (category,), (UNSURE,))
        return OK

    def classify(self, text: str) -> str | None:
        """The most pressing crisis category, or None (a `check` is not a crisis)."""
        verdict = self.assess(text)
        return verdict.category if verdict.tier == "crisis" else None

    def matching_rules(self, text: str) -> list[str]:
        """Ids of every rule that matches, for content maintenance."""
        prepared = [self.prepare(spelling) for spelling in _spellings(text)]
        return [r.id for cat in PRECEDENCE for r in self._rules[cat]
                if any(_compile(r.pattern).search(p) for p in prepared)]


def _spellings(text: str) -> list[str]:
    """Hindi in Devanagari is read as it is typed in Latin letters, in both spellings of its long vowels."""
    return [romanise(text), romanise(text, long=False)] if HAS_DEVANAGARI.search(text) else [text]


def _gated_search(text: str, data: bytes, gate: Gate, chosen: list[int], starts: dict[int, int],
                  patterns: list[str]) -> Search:
    """search(k, pos) for _blank: pattern chosen[k]'s next match in `text`, Python's search started where RE2 found
    the pattern's loose form first (`starts` from the gate, else asked again; skipped when RE2 finds none)."""

    def search(k: int, pos: int) -> re.Match[str] | None:
        i = chosen[k]
        start = starts[i] if pos == 0 else gate.first(i, data, pos)
        return None if start is None else _compile(patterns[i]).search(text, start)
    return search


def _hard_verdict(hard: tuple[str, str], categories: tuple[str, ...], kinds: list[str]) -> Verdict:
    """The crisis verdict of the net's hard-kind head: its category and kind, with a rule's check category."""
    category, kind = hard
    return Verdict("crisis", tuple(c for c in PRECEDENCE if c == category or c in categories),
                   tuple(dict.fromkeys((kind, *kinds))))


class LanguageFile(BaseModel):
    """content/safety/LANG.yaml: rules for one more language, merged into safety.yaml's categories.

    Same rule shape; text is matched after the same normalisation (lower case, accents folded: write
    patterns without accents, "golpeo" matches "golpeó"). Its `exclude` and `negate` join the main lists.
    """

    model_config = ConfigDict(extra="forbid")

    version: int
    language: str = Field(pattern=r"^[a-z]{2}(?:-[a-z]+)?$")
    negate: list[Negation] = Field(default_factory=list)
    exclude: list[Exclusion] = Field(default_factory=list)
    categories: dict[str, Category] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known(cls, v: dict[str, Category]) -> dict[str, Category]:
        unknown = set(v) - set(PRECEDENCE)
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(sorted(unknown))}")
        return v


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: start-up reads thousands of lines


def _read(path: Path, name: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SafetyContentError(f"{name}: {where}: {problem}") from exc


def _validated(model: type[BaseModel], raw: Any, name: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        raise SafetyContentError(f"{name}: {where}: {err['msg']}") from exc


def _parse(path: str | Path) -> SafetyFile:
    """safety.yaml, with every content/safety/LANG.yaml beside it merged in (rules of other languages)."""
    path = Path(path)
    spec: SafetyFile = _validated(SafetyFile, _read(path, "safety.yaml"), "safety.yaml")
    for extra in sorted((path.parent / "safety").glob("*.yaml")):
        name = f"safety/{extra.name}"
        more: LanguageFile = _validated(LanguageFile, _read(extra, name), name)
        spec.negate.extend(more.negate)
        spec.exclude.extend(more.exclude)
        for cat, category in more.categories.items():
            spec.categories[cat].rules.extend(category.rules)
    return spec


def _net_path(path: str | Path) -> Path:
    return Path(path).parent / "safety" / "model.json"


def _load_net(path: str | Path) -> NetModel | None:
    """The learned net beside safety.yaml, or None when there is no model file."""
    model = _net_path(path)
    if not model.is_file():
        return None
    try:
        return load_model(model, PRECEDENCE)
    except NetModelError as exc:
        raise SafetyContentError(str(exc)) from None


def check_net_file(path: str | Path) -> list[tuple[str, str]]:
    """(field, problem) for content/safety/model.json beside safety.yaml; empty when fine or absent."""
    try:
        _load_net(path)
    except SafetyContentError as exc:
        _, where, what = str(exc).split(": ", 2)
        return [(where, what)]
    return []


def _compile_problems(spec: SafetyFile) -> list[tuple[str, str]]:
    problems = []
    for where, pattern in [*((f"negate[{i}]", n.pattern) for i, n in enumerate(spec.negate)),
                           *((f"exclude[{i}]", e.pattern) for i, e in enumerate(spec.exclude)),
                           *((r.id, r.pattern) for c in spec.categories.values() for r in c.rules)]:
        try:
            _compile(pattern)
        except re.error as exc:
            problems.append((where, f"pattern does not compile: {exc}"))
    return problems


def _self_check(spec: SafetyFile) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, neg in enumerate(spec.negate):
        try:
            _compile(neg.pattern)
        except re.error as exc:
            problems.append((f"negate[{i}]", f"pattern does not compile: {exc}"))
    for i, ex in enumerate(spec.exclude):
        try:
            _compile(ex.pattern)
        except re.error as exc:
            problems.append((f"exclude[{i}]", f"pattern does not compile: {exc}"))
    for cat, category in spec.categories.items():
        for rule in category.rules:
            if rule.id in seen:
                problems.append((rule.id, "duplicate rule id"))
            seen.add(rule.id)
            try:
                _compile(rule.pattern)
            except re.error as exc:
                problems.append((rule.id, f"pattern does not compile: {exc}"))
    if problems:
        return problems
    norm = Normaliser(spec.normalise)
    for key, value in spec.normalise.items():
        if norm(value) != value:
            problems.append((f"normalise.{key}", "replacement is not already in normal form"))
    if problems:
        return problems
    triage = Triage(spec)
    for i, neg in enumerate(spec.negate):
        rx = _compile(neg.pattern)
        for ex in neg.examples:
            if not rx.search(triage.normalise(ex)):
                problems.append((f"negate[{i}]", f"example does not match: {ex!r}"))
            elif got := triage.assess(ex):
                problems.append((f"negate[{i}]", f"example is still flagged {got.tier} {got.arg}: {ex!r}"))
        for trap in neg.traps:
            if triage.classify(trap) is None:
                problems.append((f"negate[{i}]", f"trap is no longer flagged: {trap!r}"))
    for cat, category in spec.categories.items():
        for rule in category.rules:
            rx = _compile(rule.pattern)
            for ex in rule.examples:
                if not rx.search(triage.prepare(ex)):
                    problems.append((rule.id, f"example does not match: {ex!r}"))
            for trap in rule.traps:
                if rx.search(triage.prepare(trap)):
                    problems.append((rule.id, f"trap matches: {trap!r}"))
                elif got := triage.assess(trap):
                    problems.append((rule.id, f"trap is flagged {got.tier} {got.arg} by another rule: {trap!r}"))
    return problems


def check_safety_file(path: str | Path) -> list[tuple[str, str]]:
    """(rule or category id, problem) pairs for `fulcrum content check`; empty when fine."""
    try:
        spec = _parse(path)
    except SafetyContentError as exc:
        name, where, what = str(exc).split(": ", 2)
        return [(where if name == "safety.yaml" else f"{name} {where}", what)]
    return _self_check(spec)
