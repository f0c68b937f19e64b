"""The help directory (content/resources.yaml): helplines by country.

Clock-free: callers pass `today` when they want the future-date check pinned.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

_PHONE = re.compile(r"^[0-9 +\-()]{2,20}$")
_CODE = re.compile(r"^[A-Z]{2}$")
INTERNATIONAL = "international"


class ResourcesError(ValueError):
    """resources.yaml is invalid; one 'resources.yaml: ENTRY: problem' line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 2:
        raise ValueError(f"bad phone number {value!r}")
    return value


def _url(value: str) -> str:
    if not re.match(r"^https://[^\s/]+\.[^\s/]+(?:/\S*)?$", value):
        raise ValueError(f"URL must be https:// ({value!r})")
    return value


def _emergency(value: str) -> str:
    # "112 or 999" is allowed: each alternative must be a valid number.
    for part in value.split(" or "):
        _phone(part)
    return value


Phone = Annotated[str, AfterValidator(_phone)]
Url = Annotated[str, AfterValidator(_url)]
Emergency = Annotated[str, AfterValidator(_emergency)]


class Line(BaseModel):
    """One helpline: a phone number, a website, or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    phone: Phone | None = None
    url: Url | None = None
    hours: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Line:
        if self.phone is None and self.url is None:
            raise ValueError("a line needs a phone or a url")
        return self


class Entry(BaseModel):
    """Where to turn in one country (or anywhere, for the international entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    emergency: Emergency | None
    crisis_line: Line
    abuse_line: Line | None
    extra: list[Line] = Field(default_factory=list)
    note: str | None = None
    source: list[Url] = Field(min_length=1)
    verified_on: dt.date

    @field_validator("source", mode="before")
    @classmethod
    def _one_source(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Directory(BaseModel):
    model_config = ConfigDict(frozen=True)

    international: Entry
    entries: dict[str, Entry]

    def for_country(self, code: str | None) -> Entry:
        """The entry for an ISO alpha-2 code, or the international one."""
        if code is None:
            return self.international
        return self.entries.get(code.strip().upper(), self.international)

    def countries(self) -> list[tuple[str, str]]:
        """(code, name) pairs sorted by country name."""
        return sorted(((c, e.name) for c, e in self.entries.items()), key=lambda p: (p[1], p[0]))


def _describe(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {msg}" if where else msg)
    return out


def load_resources(path: str | Path, today: dt.date | None = None) -> Directory:
    """Read and validate resources.yaml; raises ResourcesError listing every problem."""
    today = today or dt.date.today()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ResourcesError([f"resources.yaml: file: {type(exc).__name__}{where}"]) from exc
    if not isinstance(raw, dict):
        raise ResourcesError(["resources.yaml: file: expected a mapping"])
    problems: list[str] = []
    if raw.get("version") != 1:
        problems.append("resources.yaml: version: must be 1")
    countries = raw.get("countries")
    if not isinstance(countries, dict) or not countries:
        problems.append("resources.yaml: countries: must be a non-empty mapping")
        countries = {}
    parsed: dict[str, Entry] = {}
    for key, body in [(INTERNATIONAL, raw.get(INTERNATIONAL)), *countries.items()]:
        name = str(key)
        if key != INTERNATIONAL and not (isinstance(key, str) and _CODE.match(key)):
            problems.append(f"resources.yaml: {name}: country code must be two upper-case letters")
        try:
            entry = Entry.model_validate(body)
        except ValidationError as exc:
            problems += [f"resources.yaml: {name}: {p}" for p in _describe(exc)]
            continue
        if key != INTERNATIONAL and entry.emergency is None:
            problems.append(f"resources.yaml: {name}: emergency number is required")
        if entry.verified_on > today:
            problems.append(f"resources.yaml: {name}: verified_on {entry.verified_on} is in the future")
        parsed[name] = entry
    if problems:
        raise ResourcesError(problems)
    intl = parsed.pop(INTERNATIONAL)
    return Directory(international=intl, entries=parsed)
