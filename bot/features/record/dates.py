"""When something happened, as a person types it: read kindly, resolved against the turn's clock.

`read_when` (the `record_date` validator) accepts many everyday spellings and returns a *spec*, since a
validator sees only the text: `2026-11-28`, `?-11-28` (no year given), `today`, `yesterday`, each optionally
followed by ` HH:MM`. `resolve` turns a spec into the stored form (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM`, the
person's local time) with the turn's `now` and the person's zone, or None when it lies in the future.

Accepted: 2026-11-28, 28/11/2026, 28.11.26, 28-11, 11/28 (a first number over 12 is a day, a second one over 12
means month/day; when both could be either, day/month, and the date is shown back in words), 28 Nov,
November 28th 2026, today, yesterday; any of them with a time: 18:30, 18.30, 6pm, 6:30 pm. In Spanish too:
hoy, ayer, 28 de noviembre (de 2026), 3 nov, a las 18:30. A validator sees only the text, not the person's
language, so the words of every language Fulcrum speaks are read here (a new language adds its words).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], 1) for m in names}
MONTHS |= {m: i for i, names in enumerate(
    [("ene", "enero"), ("feb", "febrero"), ("mar", "marzo"), ("abr", "abril"), ("may", "mayo"), ("jun", "junio"),
     ("jul", "julio"), ("ago", "agosto"), ("sep", "sept", "set", "septiembre", "setiembre"), ("oct", "octubre"),
     ("nov", "noviembre"), ("dic", "diciembre")], 1) for m in names}
DAYS = {"today": "today", "hoy": "today", "yesterday": "yesterday", "ayer": "yesterday"}

_TIME = re.compile(r"(?:^|(?<=\s))(?:at\s+|a\s+las?\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?$")
_WORDS_DM = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?([a-z]+)\.?,?(?:\s+(?:de\s+)?(\d{4}))?$")
_WORDS_MD = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")

BAD = "record_bad_date"  # the note shown when nothing could be read


def _time(text: str) -> tuple[str, str | None] | None:
    """(the rest, 'HH:MM' or None); None when a time was there but impossible."""
    m = _TIME.search(text)
    if m is None:
        return text, None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
    rest = text[:m.start()].strip().rstrip(",").strip()
    if m.group(2) is None and not half:
        return text, None  # a bare number is part of the date ("28"), not a time
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return rest, f"{hour:02d}:{minute:02d}"


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _spec(year: int | None, month: int, day: int) -> str | None:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 Feb stays possible without a year
    except ValueError:
        return None
    if year is not None and not 1900 <= year <= 2100:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year is not None else f"?-{month:02d}-{day:02d}"


def _date(text: str) -> str | None:
    if text in DAYS:
        return DAYS[text]
    m = _NUMERIC.match(text)
    if m:
        a, b, c = m.group(1), int(m.group(2)), m.group(3)
        if len(a) == 4:  # 2026-11-28
            return _spec(int(a), b, int(c)) if c else None
        first = int(a)
        day, month = (b, first) if b > 12 >= first else (first, b)  # 11/28 is month/day; else day/month
        return _spec(_year(c), month, day)
    m = _WORDS_DM.match(text)
    if m and m.group(2) in MONTHS:
        return _spec(_year(m.group(3)), MONTHS[m.group(2)], int(m.group(1)))
    m = _WORDS_MD.match(text)
    if m and m.group(1) in MONTHS:
        return _spec(_year(m.group(3)), MONTHS[m.group(1)], int(m.group(2)))
    return None


def read_when(text: str) -> tuple[bool, str]:
    """The `record_date` validator: (True, spec) or (False, the note key of a kind 'try again')."""
    flat = " ".join(text.lower().replace(",", " ").split())
    timed = _time(flat)
    if timed is None:
        return False, BAD
    rest, clock = timed
    spec = _date(rest or "today") if rest or clock else None
    if spec is None:
        return False, BAD
    return True, f"{spec} {clock}" if clock else spec


def resolve(spec: str, now: datetime, zone: tzinfo) -> str | None:
    """The stored form of a spec, in the person's local time; None when it is later than now."""
    today = now.astimezone(zone)
    day_part, _, clock = spec.partition(" ")
    if day_part == "today":
        day = today.date()
    elif day_part == "yesterday":
        day = today.date() - timedelta(days=1)
    elif day_part.startswith("?-"):
        month, dd = int(day_part[2:4]), int(day_part[5:7])
        day = None
        for year in (today.year, today.year - 1, today.year - 2, today.year - 3, today.year - 4):
            try:
                candidate = date(year, month, dd)
            except ValueError:
                continue  # 29 Feb in a year without one
            if candidate <= today.date():
                day = candidate
                break
        if day is None:
            return None
    else:
        day = date.fromisoformat(day_part)
    if day > today.date():
        return None
    if clock:
        if day == today.date() and clock > today.strftime("%H:%M"):
            return None
        return f"{day.isoformat()} {clock}"
    return day.isoformat()


def now_local(now: datetime, zone: tzinfo) -> str:
    """The stored form of this moment, to the minute, in the person's time."""
    return now.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def day_of(stored: str) -> date | None:
    try:
        return date.fromisoformat(stored[:10])
    except (TypeError, ValueError):
        return None
