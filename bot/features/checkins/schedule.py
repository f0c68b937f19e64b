"""Check-in schedule arithmetic: pure functions of a plan and a clock, no database, no Telegram.

A plan is "every N days at HH:MM local time in zone Z, never on the quiet weekdays". Slots are computed as
local dates and converted to UTC with zoneinfo, so a daylight-saving change keeps the local time (a time that
does not exist on the spring-forward night falls to the same wall-clock offset as the evening before, i.e. one
hour later; an ambiguous autumn time is its first occurrence). Missed slots are skipped, never replayed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flows.safety import fold_accents

# frequency → days between slots. The same set is offered wherever content speaks of reviews (long_term's "every
# two weeks / every month" are set here). "monthly" falls on the same day of each month (the last day of a shorter
# month when that day does not exist), so its 30 is only a nominal length.
FREQUENCIES: dict[str, int] = {"daily": 1, "few_days": 3, "weekly": 7, "fortnightly": 14, "monthly": 30}
MONTHLY = "monthly"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # weekday ids, Monday = 0
SUMMARY_WEEKDAY = 6  # weekly summaries go out on Sundays (or the next day that is not quiet)
DEFAULT_TIME = "19:00"
_TIME_RE = re.compile(r"^\s*(\d{1,2})\s*[:.h]\s*(\d{2})\s*$")
_HOUR_RE = re.compile(r"^\s*(\d{1,2})\s*(am|pm)?\s*$", re.I)
_AMPM_RE = re.compile(r"^\s*(\d{1,2})\s*[:.]\s*(\d{2})\s*(am|pm)\s*$", re.I)


@dataclass(frozen=True)
class Plan:
    frequency: str = "off"
    local_time: str = DEFAULT_TIME  # "HH:MM"
    tz: str = "UTC"
    quiet: frozenset[int] = field(default_factory=frozenset)  # weekdays (Monday = 0) with no check-in

    @property
    def every(self) -> int | None:
        return FREQUENCIES.get(self.frequency)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def clock(self) -> time:
        return parse_local_time(self.local_time) or parse_local_time(DEFAULT_TIME)  # type: ignore[return-value]

    @property
    def active(self) -> bool:
        return self.every is not None and len(self.quiet) < 7


def parse_local_time(text: str) -> time | None:
    """'7:30', '07.30', '19:00', '7pm', '7:30 pm', '19h30' → a time; anything else → None."""
    text = (text or "").strip().lower()
    m = _AMPM_RE.match(text)
    if m:
        hour, minute, half = int(m.group(1)), int(m.group(2)), m.group(3)
        if not (1 <= hour <= 12 and minute < 60):
            return None
        return time(hour % 12 + (12 if half == "pm" else 0), minute)
    m = _TIME_RE.match(text)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        return time(hour, minute) if hour < 24 and minute < 60 else None
    m = _HOUR_RE.match(text)
    if m and m.group(2):
        hour = int(m.group(1))
        return time(hour % 12 + (12 if m.group(2).lower() == "pm" else 0)) if 1 <= hour <= 12 else None
    return None


def parse_zone(text: str) -> str | None:
    """An IANA zone name as typed ('europe/berlin', 'Europe/Berlin ') → its canonical spelling, or None."""
    name = (text or "").strip().replace(" ", "_")
    if not name or ".." in name or name.startswith("/"):
        return None
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    folded = name.casefold()
    for zone in _zones():
        if zone.casefold() == folded:
            return zone
    return None


_ZONES: list[str] = []


def _zones() -> list[str]:
    if not _ZONES:
        _ZONES.extend(sorted(available_timezones()))
    return _ZONES


def add_month(day: date) -> date:
    """The same day of the next month, or that month's last day (31 Jan → 28 or 29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def _after(day: date, plan: Plan) -> date:
    """The next slot's date counted from `day`: N days later, or a calendar month for monthly plans."""
    return add_month(day) if plan.frequency == MONTHLY else day + timedelta(days=plan.every or 1)


def slot_on(day: date, plan: Plan) -> datetime:
    """The UTC instant of the plan's local time on a local date."""
    local = datetime.combine(day, plan.clock, tzinfo=plan.zone)
    # A wall-clock time skipped by a spring-forward change does not round-trip; zoneinfo then uses the offset
    # from before the change, which lands one hour later in the new offset: the nearest real time after it.
    return local.astimezone(timezone.utc)


def _allowed(day: date, plan: Plan) -> date | None:
    """The first date on or after `day` that is not quiet."""
    for k in range(7):
        d = day + timedelta(days=k)
        if d.weekday() not in plan.quiet:
            return d
    return None


def first_slot(plan: Plan, now: datetime) -> datetime | None:
    """The first allowed slot strictly after `now` (switching on, or a plan with no slot sent yet)."""
    if not plan.active:
        return None
    return _walk(plan, now.astimezone(plan.zone).date(), now, lambda d: d + timedelta(days=1), tries=9)


def _walk(plan: Plan, day: date, now: datetime, step: Callable[[date], date], *, tries: int) -> datetime | None:
    """The first allowed day's slot from `day` on that is after `now`, moving on by `step`; None if none is."""
    for _ in range(tries):
        d = _allowed(day, plan)
        if d is None:
            return None
        slot = slot_on(d, plan)
        if slot > now:
            return slot
        day = step(d)
    return None


def next_slot(plan: Plan, last: datetime | None, now: datetime) -> datetime | None:
    """The slot after `last` (the one just sent or skipped), strictly after `now`: missed slots are skipped.

    Slots fall every N local days after the last one; a quiet day moves a slot to the next allowed day.
    """
    every = plan.every
    if every is None or not plan.active:
        return None
    if last is None:
        return first_slot(plan, now)
    zone = plan.zone
    day = _after(last.astimezone(zone).date(), plan)
    today = now.astimezone(zone).date()
    if plan.frequency != MONTHLY and day < today - timedelta(days=every):  # long downtime: jump whole periods
        day += timedelta(days=((today - day).days // every) * every)
    if _allowed(day, plan) is None:  # every day quiet
        return None
    return _walk(plan, day, now, lambda d: _after(d, plan), tries=64) or first_slot(plan, now)


def summary_slot(plan: Plan, now: datetime) -> datetime | None:
    """The next weekly-summary time: Sunday (or the next day that is not quiet) at the plan's local time."""
    if len(plan.quiet) >= 7:
        return None
    day = now.astimezone(plan.zone).date()
    day += timedelta(days=(SUMMARY_WEEKDAY - day.weekday()) % 7)
    for _ in range(3):
        d = _allowed(day, plan)
        if d is not None:
            slot = slot_on(d, plan)
            if slot > now:
                return slot
        day += timedelta(days=7)
    return None




# ---- time zones from a country (tzdata's zone1970.tab and iso3166.tab) ------------------------------------------

MAX_ZONES = 12  # the most a country's list shows as buttons (Russia keeps 11 times); beyond, a zone name is typed
COUNTRY_ALIASES = {  # names people type that iso3166.tab spells otherwise
    "uk": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "usa": "US", "us": "US", "america": "US", "united states of america": "US",
    "holland": "NL", "south korea": "KR", "north korea": "KP", "czech republic": "CZ",
    # Spanish names that differ from the English ones once accents are folded ("México", "Perú" need none).
    # A validator sees only the text, so every language Fulcrum speaks is read here.
    "espana": "ES", "estados unidos": "US", "eeuu": "US", "ee uu": "US", "eua": "US", "reino unido": "GB",
    "inglaterra": "GB", "escocia": "GB", "gales": "GB", "alemania": "DE", "francia": "FR", "italia": "IT",
    "paises bajos": "NL", "holanda": "NL", "brasil": "BR", "republica dominicana": "DO", "suiza": "CH",
    "belgica": "BE", "irlanda": "IE", "nueva zelanda": "NZ", "sudafrica": "ZA", "japon": "JP", "marruecos": "MA",
    "rusia": "RU", "ucrania": "UA", "polonia": "PL", "suecia": "SE", "noruega": "NO", "dinamarca": "DK",
    "grecia": "GR", "turquia": "TR", "filipinas": "PH", "corea del sur": "KR", "guinea ecuatorial": "GQ",
}


def _tab(name: str) -> list[list[str]]:
    """Rows of a tzdata table, read from the installed tzdata package (importlib.resources)."""
    from importlib.resources import files

    text = files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


_COUNTRIES: dict[str, str] = {}


def countries() -> dict[str, str]:
    """ISO code → country name, as iso3166.tab spells it ("IN" → "India", "GB" → "Britain (UK)")."""
    if not _COUNTRIES:
        _COUNTRIES.update({row[0]: row[1] for row in _tab("iso3166.tab") if len(row) >= 2})
    return _COUNTRIES


def find_country(text: str) -> str | None:
    """A country as typed ("india", "Germany", "UK", "Korea (South)", "de") → its ISO code, or None."""
    # 'México' → 'mexico': people type names with and without accents.
    wanted = fold_accents(" ".join((text or "").replace("_", " ").replace(".", " ").split())).casefold()
    if not wanted:
        return None
    if wanted in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[wanted]
    for code, name in countries().items():
        plain = fold_accents(name).casefold()
        bare = plain.split(" (")[0]
        inside = plain[plain.find("(") + 1:plain.find(")")] if "(" in plain else ""
        if wanted in (code.casefold(), plain, bare, inside.replace("&", "and")) or wanted == plain.replace("&", "and"):
            return code
    return None


def _behaviour(zone: str, year: int) -> tuple[object, ...]:
    """How a zone keeps time over two years: its offsets on the 1st and 15th of each month."""
    tz = ZoneInfo(zone)
    return tuple(datetime(y, m, d, 12, tzinfo=timezone.utc).astimezone(tz).utcoffset()
                 for y in (year, year + 1) for m in range(1, 13) for d in (1, 15))


_BY_COUNTRY: dict[tuple[str, int], list[str]] = {}


def country_zones(code: str, year: int | None = None) -> list[str]:
    """The zones of a country that keep different times, one each (zones that keep the same time now and next
    year are one choice), most populous areas first as zone1970.tab lists them."""
    code = (code or "").upper()
    year = year or date.today().year
    if (code, year) in _BY_COUNTRY:
        return _BY_COUNTRY[(code, year)]
    rows = [row for row in _tab("zone1970.tab") if len(row) >= 3 and code in row[0].split(",")]
    # Rows that name this country first (Germany is Berlin, not Zurich's Büsingen row; Australia has no Tokyo).
    rows = [row for row in rows if row[0].split(",")[0] == code] or rows
    principal = _principal()

    # Of the zones that keep the same time, the one zonenow.tab names for it, else a "most areas" one, speaks.
    def rank(item: tuple[int, list[str]]) -> tuple[int, int, int]:
        i, row = item
        comment = row[3] if len(row) > 3 else ""
        return (0 if row[2] in principal else 1, 0 if "most" in comment or not comment else 1, i)

    chosen: dict[tuple[object, ...], tuple[tuple[int, int, int], str, int]] = {}
    for i, row in enumerate(rows):
        try:
            key = _behaviour(row[2], year)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
        r = rank((i, row))
        first = chosen[key][2] if key in chosen else i
        if key not in chosen or r < chosen[key][0]:
            chosen[key] = (r, row[2], first)
    zones = [zone for _, zone, _ in sorted(chosen.values(), key=lambda v: v[2])]
    _BY_COUNTRY[(code, year)] = zones
    return zones


_PRINCIPAL: set[str] = set()


def _principal() -> set[str]:
    """The zones zonenow.tab lists: one for each way clocks are planned to agree from now on."""
    if not _PRINCIPAL:
        _PRINCIPAL.update(row[2] for row in _tab("zonenow.tab") if len(row) >= 3)
    return _PRINCIPAL


def city(zone: str) -> str:
    """'America/New_York' → 'New York'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def parse_place(text: str) -> str | None:
    """A zone name, or a country: its one zone, or its ISO code when it keeps several times. None if neither."""
    zone = parse_zone(text)
    if zone is not None and "/" in zone:
        return zone
    code = find_country(text)
    if code is not None:
        zones = country_zones(code)
        if len(zones) == 1:
            return zones[0]
        if zones:
            return code
    return zone
