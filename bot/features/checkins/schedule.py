"""Check-in schedule arithmetic: pure functions of a plan and a clock, no database, no Telegram.

A plan is "every N days at HH:MM local time in zone Z, never on the quiet weekdays". Slots are computed as
local dates and converted to UTC with zoneinfo, so a daylight-saving change keeps the local time (a time that
does not exist on the spring-forward night falls to the same wall-clock offset as the evening before, i.e. one
hour later; an ambiguous autumn time is its first occurrence). Missed slots are skipped, never replayed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
    day = now.astimezone(plan.zone).date()
    for _ in range(9):
        d = _allowed(day, plan)
        if d is None:
            return None
        slot = slot_on(d, plan)
        if slot > now:
            return slot
        day = d + timedelta(days=1)
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
    for _ in range(64):
        d = _allowed(day, plan)
        if d is None:
            return None
        slot = slot_on(d, plan)
        if slot > now:
            return slot
        day = _after(d, plan)
    return first_slot(plan, now)


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


