"""Check-in schedule arithmetic: local time kept across daylight-saving changes, quiet days, catch-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.checkins.schedule import Plan, first_slot, next_slot, parse_local_time, parse_zone, summary_slot

UTC = timezone.utc


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_berlin_autumn_change_keeps_eight_in_the_morning():
    # Last Sunday of October 2026 is the 25th: CEST (UTC+2) → CET (UTC+1).
    plan = Plan("daily", "08:00", "Europe/Berlin")
    s1 = first_slot(plan, at(2026, 10, 23, 12))
    assert s1 == at(2026, 10, 24, 6)
    s2 = next_slot(plan, s1, s1)
    assert s2 == at(2026, 10, 25, 7)
    s3 = next_slot(plan, s2, s2)
    assert s3 == at(2026, 10, 26, 7)
    assert {s.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") for s in (s1, s2, s3)} == {"08:00"}


def test_berlin_spring_change_keeps_eight_in_the_morning():
    # Last Sunday of March 2026 is the 29th: CET → CEST.
    plan = Plan("daily", "08:00", "Europe/Berlin")
    s1 = first_slot(plan, at(2026, 3, 27, 12))
    assert s1 == at(2026, 3, 28, 7)
    assert next_slot(plan, s1, s1) == at(2026, 3, 29, 6)


def test_a_time_skipped_by_the_spring_change_is_sent_an_hour_later_once():
    plan = Plan("daily", "02:30", "Europe/Berlin")
    s1 = first_slot(plan, at(2026, 3, 28, 12))
    assert s1 == at(2026, 3, 29, 1, 30)  # 03:30 CEST: the nearest real time after 02:30
    s2 = next_slot(plan, s1, s1)
    assert s2 == at(2026, 3, 30, 0, 30)  # 02:30 CEST again


def test_an_ambiguous_autumn_time_is_sent_once():
    plan = Plan("daily", "02:30", "Europe/Berlin")
    s1 = first_slot(plan, at(2026, 10, 24, 12))
    assert s1 == at(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    assert next_slot(plan, s1, s1) == at(2026, 10, 26, 1, 30)


def test_new_york_evening_across_both_changes():
    plan = Plan("daily", "21:00", "America/New_York")
    # 2026-03-08 clocks go forward, 2026-11-01 back.
    assert first_slot(plan, at(2026, 3, 7, 12)) == at(2026, 3, 8, 2)  # 21:00 EST on the 7th
    assert next_slot(plan, at(2026, 3, 8, 2), at(2026, 3, 8, 2)) == at(2026, 3, 9, 1)  # 21:00 EDT
    assert next_slot(plan, at(2026, 11, 1, 1), at(2026, 11, 1, 1)) == at(2026, 11, 2, 2)  # 21:00 EST


def test_quiet_days_move_a_slot_to_the_next_allowed_day():
    plan = Plan("daily", "18:00", "UTC", quiet=frozenset({5, 6}))  # no weekends
    friday = at(2026, 11, 27, 18)
    assert next_slot(plan, friday, friday) == at(2026, 11, 30, 18)  # Monday


def test_weekly_on_a_quiet_day_falls_on_the_next_allowed_day():
    plan = Plan("weekly", "09:00", "UTC", quiet=frozenset({0}))
    sunday = at(2026, 11, 22, 9)
    assert next_slot(plan, sunday, sunday) == at(2026, 11, 29, 9)
    monday_before = at(2026, 11, 23, 9)
    assert next_slot(plan, monday_before, monday_before) == at(2026, 12, 1, 9)  # Monday quiet → Tuesday


def test_every_few_days_is_three_days_apart():
    plan = Plan("few_days", "12:00", "Asia/Kolkata")
    s1 = first_slot(plan, at(2026, 1, 1))
    assert next_slot(plan, s1, s1) - s1 == timedelta(days=3)


def test_catch_up_after_downtime_is_one_slot_after_now_not_a_burst():
    plan = Plan("daily", "08:00", "Europe/Berlin")
    last = at(2026, 11, 1, 7)
    now = at(2026, 11, 28, 12)  # four weeks of missed slots
    nxt = next_slot(plan, last, now)
    assert nxt == at(2026, 11, 29, 7)  # tomorrow 08:00, nothing in between
    plan3 = Plan("few_days", "08:00", "UTC")
    nxt3 = next_slot(plan3, at(2026, 1, 1, 8), at(2026, 6, 1, 12))
    assert at(2026, 6, 1, 12) < nxt3 <= at(2026, 6, 4, 8)
    assert (nxt3 - at(2026, 1, 1, 8)).days % 3 == 0


def test_off_or_every_day_quiet_has_no_slot():
    assert next_slot(Plan("off"), None, at(2026, 1, 1)) is None
    assert first_slot(Plan("daily", quiet=frozenset(range(7))), at(2026, 1, 1)) is None


def test_weekly_summary_falls_on_sunday_at_the_check_in_time():
    plan = Plan("daily", "19:00", "Europe/Berlin")
    s = summary_slot(plan, at(2026, 11, 25, 12))  # a Wednesday
    assert s == at(2026, 11, 29, 18)


def test_parsing_times_and_zones():
    assert str(parse_local_time("7:30")) == "07:30:00"
    assert str(parse_local_time("19.45")) == "19:45:00"
    assert str(parse_local_time("7pm")) == "19:00:00"
    assert str(parse_local_time("12:15 am")) == "00:15:00"
    for bad in ("25:00", "7", "noon", "", "7:75"):
        assert parse_local_time(bad) is None, bad
    assert parse_zone("Europe/Berlin") == "Europe/Berlin"
    assert parse_zone(" europe/berlin ") == "Europe/Berlin"
    assert parse_zone("America/New York") == "America/New_York"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime"):
        assert parse_zone(bad) is None, bad


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC",
                         "America/Sao_Paulo", "Pacific/Chatham"])


@settings(max_examples=200, deadline=None)
@given(zone=ZONES, hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]),
       freq=st.sampled_from(["daily", "few_days", "weekly"]), quiet=st.frozensets(st.integers(0, 6), max_size=6),
       start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1)),
       gap=st.integers(0, 60 * 24 * 40))
def test_next_slot_is_after_now_on_an_allowed_day_at_the_local_time(zone, hour, minute, freq, quiet, start, gap):
    plan = Plan(freq, f"{hour:02d}:{minute:02d}", zone, quiet)
    last = first_slot(plan, start.replace(tzinfo=UTC))
    assert last is not None
    now = last + timedelta(minutes=gap)
    nxt = next_slot(plan, last, now)
    assert nxt is not None and nxt > now
    local = nxt.astimezone(ZoneInfo(zone))
    assert local.weekday() not in quiet
    wall = datetime(local.year, local.month, local.day, hour, minute)
    # Either the exact wall-clock time, or (when a clock change skipped it) at most an hour later.
    assert timedelta(0) <= local.replace(tzinfo=None) - wall <= timedelta(hours=1)
    assert nxt - now <= timedelta(days=plan.every + 7)


def test_every_two_weeks_and_every_month_as_long_term_offers_them():
    fortnightly = Plan("fortnightly", "08:00", "UTC")
    s1 = first_slot(fortnightly, at(2026, 1, 1, 12))
    assert s1 == at(2026, 1, 2, 8) and next_slot(fortnightly, s1, s1) == at(2026, 1, 16, 8)
    monthly = Plan("monthly", "08:00", "UTC")
    jan31 = at(2026, 1, 31, 8)
    feb = next_slot(monthly, jan31, jan31)
    assert feb == at(2026, 2, 28, 8)  # the last day of a shorter month
    assert next_slot(monthly, at(2026, 3, 15, 8), at(2026, 3, 15, 8)) == at(2026, 4, 15, 8)
    # After a long downtime: one reminder at the next monthly slot, not a burst.
    assert next_slot(monthly, at(2026, 3, 15, 8), at(2026, 9, 20, 12)) == at(2026, 10, 15, 8)


def test_one_set_of_frequencies_everywhere(content):
    """Every review rhythm long_term offers is one /checkins can set, under the same words."""
    from bot.features.checkins.schedule import FREQUENCIES

    offered = content.flows["long_term"].text.steps["review"].options
    settable = content.flows["checkins"].text.steps["reminders"].options
    for rhythm, label in offered.items():
        if rhythm == "not_now":
            continue
        assert rhythm in FREQUENCIES and settable[rhythm] == label, rhythm


def test_countries_and_their_zones_come_from_tzdata():
    from bot.features.checkins.schedule import country_zones, find_country, parse_place

    assert find_country("india") == "IN" and find_country("UK") == "GB" and find_country("Korea (South)") == "KR"
    assert parse_place("india") == "Asia/Kolkata"  # one zone: chosen directly
    assert parse_place("Germany") == "Europe/Berlin"  # Büsingen keeps Berlin's time: one choice
    assert parse_place("europe/berlin") == "Europe/Berlin"  # typed IANA names still work
    assert parse_place("spain") == "ES" and country_zones("ES") == ["Europe/Madrid", "Atlantic/Canary"]
    assert country_zones("US")[:3] == ["America/New_York", "America/Chicago", "America/Denver"]
    assert parse_place("Atlantis") is None


@pytest.mark.parametrize(("typed", "code"), [("España", "ES"), ("espana", "ES"), ("México", "MX"), ("Perú", "PE"),
                                             ("EE. UU.", "US"), ("Estados Unidos", "US"), ("Canadá", "CA"),
                                             ("Reino Unido", "GB"), ("Alemania", "DE")])
def test_a_country_typed_in_spanish_or_with_accents_is_found(typed: str, code: str) -> None:
    from bot.features.checkins.schedule import find_country

    assert find_country(typed) == code
