"""The help directory (content/directory/XX.yaml, one file a country): who to contact, and how.

Every line carries where its facts were read (`source`, `source_seen`, `confirms`: a phrase on that page) and
`verified_on`, which stays empty until the practice rings the number. `lines_for` picks the lines that fit a
situation: which kinds come first for each crisis category is set here (`FIRST_KINDS`), the data is content's.
Clock-free: callers pass `today` for the date checks.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from flows.safety import fold_accents

_PHONE = re.compile(r"^[0-9 +\-()*#./A-Z]{2,24}$")
_CODE = re.compile(r"^[A-Z]{2}$")
INTERNATIONAL = "international"
Kind = Literal["abuse", "abuse_women", "abuse_men", "sexual_violence", "child", "crisis", "lgbt", "elder",
               "workplace"]
ABUSE = ("abuse", "abuse_women", "abuse_men")

# Which kinds of line come first, per crisis category or kind (the crisis screen's choice; the rest follow in
# KIND_ORDER). A child disclosing about themselves is shown the child line first.
FIRST_KINDS: dict[str, tuple[str, ...]] = {
    "immediate_danger": (*ABUSE, "crisis"),
    "violence": (*ABUSE, "crisis"),
    "sexual_violence": ("sexual_violence", *ABUSE, "crisis"),
    "child_at_risk": ("child", *ABUSE, "crisis"),
    "child_self": ("child", "crisis"),
    "self_harm": ("crisis", *ABUSE),
}
# seek_help, by the relationship the person named (partner by default).
RELATIONSHIP_KINDS: dict[str, tuple[str, ...]] = {
    "partner": (*ABUSE, "sexual_violence", "crisis", "lgbt", "child", "elder", "workplace"),
    "work": ("workplace", "crisis", *ABUSE, "sexual_violence", "lgbt"),
    "family": (*ABUSE, "elder", "child", "crisis", "sexual_violence", "lgbt"),
}
KIND_ORDER: tuple[str, ...] = (*ABUSE, "sexual_violence", "child", "crisis", "lgbt", "elder", "workplace")
# A rendered block stays readable on a phone: at most this many lines of help.
MAX_LINES = 4

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it (start-up time)


class ResourcesError(ValueError):
    """The directory is invalid; one 'directory/XX.yaml: WHERE: problem' line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 2:
        raise ValueError(f"bad phone number {value!r}")
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+\.[^\s/]+(?:/\S*)?$", value):
        raise ValueError(f"not a web address ({value!r})")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
SourceUrl = Annotated[str, AfterValidator(_url)]  # a page read for the facts
Url = Annotated[str, AfterValidator(_url)]  # a service's own address, as the service publishes it
# A text people read: one string, or one per language ({en: …, es: …}) for the languages that have it.
Text = str | dict[str, str]


def text_in(value: Text | None, lang: str = "en") -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or next(iter(value.values()), None)


class Checked(BaseModel):
    """Where a fact was read, and whether the practice has rung it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: SourceUrl
    source_seen: dt.date
    seen_as: Literal["stored_copy", "read_on"]
    confirms: str = Field(min_length=3)
    verified_on: dt.date | None = None  # the practice's own phone check; empty until then


class Emergency(Checked):
    number: str
    short: Text | None = None  # one line the crisis screen shows beside the number; `note` keeps the detail
    note: Text | None = None

    @model_validator(mode="after")
    def _numbers(self) -> Emergency:
        for part in self.number.split(" or "):
            _phone(part)
        return self

    @property
    def first(self) -> str:
        return self.number.split(" or ")[0]


class Way(Checked):
    """A way to get help without speaking: a text line, a silent-call procedure."""

    name: str = Field(min_length=1)
    how: Text
    short: Text | None = None  # one line for the screen; `how` keeps the detail
    serves: Text = "everyone"
    note: Text | None = None


class Line(Checked):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Kind
    name: Text  # as the service calls itself; a second language only where the service uses that name
    serves: Text
    phone: Phone | None = None
    phone_intl: Phone | None = None
    text: Text | None = None
    chat: Url | None = None
    url: Url | None = None
    hours: Text | None = None
    cost: Text | None = None
    languages: list[str] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Line:
        if not (self.phone or self.text or self.chat or self.url):
            raise ValueError("a line needs a phone, a text option, a chat or a web address")
        return self


class Entry(BaseModel):
    """Where to turn in one country (or anywhere, for the international entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[2]
    code: str
    name: Text  # the country's name, per language where the content has one
    emergency: Emergency | None = None
    note: Text | None = None
    ways_without_speaking: list[Way] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Line]:
        return [line for kind in kinds for line in self.lines if line.kind == kind]


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True)

    international: Entry
    entries: dict[str, Entry]

    def for_country(self, code: str | None) -> Entry:
        """The entry for an ISO alpha-2 code, or the international one."""
        if code is None:
            return self.international
        return self.entries.get(code.strip().upper(), self.international)

    def countries(self, lang: str = "en") -> list[tuple[str, str]]:
        """(code, name) pairs sorted by the country's name in that language."""
        named = ((c, text_in(e.name, lang) or c) for c, e in self.entries.items())
        return sorted(named, key=lambda p: (fold_accents(p[1]).casefold(), p[0]))  # 'Émirats' sorts with E

    def lines_for(self, country: str | None, categories: tuple[str, ...] | str = (),
                  relationship: str | None = None, *, limit: int = MAX_LINES) -> list[Line]:
        """The lines that fit: for a crisis, the kinds its categories put first (in category order); else by the
        relationship (partner, work, family). Abuse and sexual-violence lines are never dropped from a crisis
        by the relationship."""
        entry = self.for_country(country)
        if isinstance(categories, str):
            categories = (categories,)
        wanted: list[str] = []
        for category in categories:
            wanted += [k for k in FIRST_KINDS.get(category, ()) if k not in wanted]
        if not categories:
            wanted = list(RELATIONSHIP_KINDS.get(relationship or "partner", KIND_ORDER))
        if categories and relationship == "work" and "workplace" not in wanted:
            wanted.append("workplace")
        chosen = entry.of_kind(*wanted)
        if not chosen:
            chosen = entry.of_kind(*KIND_ORDER)
        return chosen[:limit]


def _describe(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {msg}" if where else msg)
    return out


def _dates(entry: Entry, today: dt.date) -> list[str]:
    out = []
    checked: list[tuple[str, Checked]] = [(f"lines.{line.id}", line) for line in entry.lines]
    checked += [(f"ways_without_speaking.{i}", w) for i, w in enumerate(entry.ways_without_speaking)]
    if entry.emergency is not None:
        checked.append(("emergency", entry.emergency))
    for where, item in checked:
        if item.source_seen > today:
            out.append(f"{where}: source_seen {item.source_seen} is in the future")
        if item.verified_on is not None and item.verified_on > today:
            out.append(f"{where}: verified_on {item.verified_on} is in the future")
    return out


def load_resources(folder: str | Path, today: dt.date | None = None) -> Directory:
    """Read and validate every content/directory/*.yaml; raises ResourcesError listing every problem."""
    today = today or dt.date.today()
    folder = Path(folder)
    problems: list[str] = []
    parsed: dict[str, Entry] = {}
    ids: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise ResourcesError([f"directory: -: no help directory files in {folder}"])
    for path in files:
        rel = f"directory/{path.name}"
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "file"
            problems.append(f"{rel}: {where}: {type(exc).__name__}")
            continue
        try:
            entry = Entry.model_validate(raw)
        except ValidationError as exc:
            problems += [f"{rel}: {p}" for p in _describe(exc)]
            continue
        if entry.code != path.stem:
            problems.append(f"{rel}: code: '{entry.code}' does not match the file name")
        elif entry.code != INTERNATIONAL and not _CODE.match(entry.code):
            problems.append(f"{rel}: code: must be two upper-case letters or 'international'")
        if entry.code != INTERNATIONAL and entry.emergency is None:
            problems.append(f"{rel}: emergency: a country needs its emergency number")
        for line in entry.lines:
            if line.id in ids:
                problems.append(f"{rel}: lines.{line.id}: id also used in {ids[line.id]}")
            ids[line.id] = rel
        problems += [f"{rel}: {p}" for p in _dates(entry, today)]
        parsed[entry.code] = entry
    if INTERNATIONAL not in parsed and not any(p.startswith(f"directory/{INTERNATIONAL}.yaml") for p in problems):
        problems.append(f"directory/{INTERNATIONAL}.yaml: -: missing: the fallback for people whose country is unknown")
    if problems:
        raise ResourcesError(problems)
    intl = parsed.pop(INTERNATIONAL)
    return Directory(international=intl, entries=parsed)


def stale(directory: Directory, today: dt.date, max_age_days: int = 180) -> list[tuple[str, str, str]]:
    """(country, line or part, why) for every fact whose source was seen too long ago or that lacks a phone check."""
    out = []
    for code, entry in [(INTERNATIONAL, directory.international), *directory.entries.items()]:
        items: list[tuple[str, Checked]] = [(line.id, line) for line in entry.lines]
        items += [(f"way:{w.name}", w) for w in entry.ways_without_speaking]
        if entry.emergency is not None:
            items.append(("emergency", entry.emergency))
        for name, item in items:
            age = (today - item.source_seen).days
            if age > max_age_days:
                out.append((code, name, f"source seen {age} days ago ({item.source_seen})"))
            if item.verified_on is None:
                out.append((code, name, "no phone check yet (verified_on is empty)"))
    return out
