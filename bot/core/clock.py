"""Time, one way everywhere: instants are aware UTC datetimes, stored as ISO text to the second."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.content import Content


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """The database spelling of an instant (UTC, sortable text, seconds precision)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    """Back from the database spelling; text without an offset is UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def week_of(now: datetime) -> str:
    year, week, _ = now.astimezone(timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def short_date(content: Content, moment: datetime, tz: tzinfo) -> str:
    """'28 Nov', in the words and order of content/en/common.yaml."""
    local = moment.astimezone(tz)
    months = content.note("months").split()
    return content.note("date_short", day=local.day, month=months[local.month - 1])
