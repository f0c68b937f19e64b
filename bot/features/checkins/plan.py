"""The plan a person's profile describes, written to their `schedules` row; the settings screen's
validators and overview; and what the content says (rotating questions, follow-up topics)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import from_iso, iso
from bot.core.feature import Env
from bot.features.checkins.schedule import DAYS, MAX_ZONES, Plan, city, countries, country_zones, next_slot, \
    parse_local_time, parse_place, summary_slot
from flows.model import Context, Person, Result

log = logging.getLogger("fulcrum.checkins")


PROFILE_KEYS = ("checkins", "checkins_time", "checkins_tz", "checkins_quiet", "checkins_summary",
                "checkins_discreet", "checkins_paused_until")
BUSY_WINDOW = timedelta(hours=1)  # a person mid-flow and seen within this is not interrupted
DEFER = timedelta(minutes=5)  # how soon a deferred reminder is looked at again
PAUSE = timedelta(days=7)
FOLLOWUP_AFTER = timedelta(days=3)
FOLLOWUP_RATINGS = {"went_well": 3, "partly": 2, "hard": 1}  # ordinal; "not_yet" has none


# ---- the plan a profile describes ------------------------------------------------------------------------

def plan_of(profile: dict[str, Any], quiet: Iterable[str] | None = None) -> Plan:
    days = quiet if quiet is not None else profile.get("checkins_quiet") or []
    return Plan(
        frequency=str(profile.get("checkins") or "off"),
        local_time=str(profile.get("checkins_time") or "19:00"),
        tz=str(profile.get("checkins_tz") or "UTC"),
        quiet=frozenset(DAYS.index(d) for d in days if d in DAYS),
    )


def row_plan(row: Any) -> Plan:
    quiet = json.loads(row["quiet_days"] or "[]")
    return Plan(frequency=row["frequency"], local_time=row["local_time"], tz=row["tz"],
                quiet=frozenset(DAYS.index(d) for d in quiet if d in DAYS))


def apply_plan(env: Env, pid: str, profile: dict[str, Any], quiet: list[str], now: datetime) -> None:
    """Write the person's schedule row from their profile (call inside the turn's transaction)."""
    store = env.store
    plan = plan_of(profile, quiet)
    old = store.execute("SELECT last_slot, next_summary, weekly_summary FROM schedules WHERE person = ?",
                        (pid,)).fetchone()
    last = from_iso(old[0]) if old else None
    paused = from_iso(profile.get("checkins_paused_until"))
    after = paused if paused and paused > now else now
    due = next_slot(plan, last, after) if plan.active else None
    summary_on = bool(profile.get("checkins_summary"))
    next_summary = None
    if summary_on:
        kept = from_iso(old[1]) if old and old[2] else None
        next_summary = kept if kept and kept > after else summary_slot(plan, after)
    store.execute(
        """INSERT INTO schedules (person, frequency, local_time, tz, quiet_days, next_due, paused_until,
                                  weekly_summary, next_summary, pending_slot)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
           ON CONFLICT(person) DO UPDATE SET frequency = excluded.frequency, local_time = excluded.local_time,
             tz = excluded.tz, quiet_days = excluded.quiet_days, next_due = excluded.next_due,
             paused_until = excluded.paused_until, weekly_summary = excluded.weekly_summary,
             next_summary = excluded.next_summary, pending_slot = NULL""",
        (pid, plan.frequency, plan.local_time, plan.tz, json.dumps(sorted(quiet, key=day_order)), iso(due),
         iso(paused) if paused and paused > now else None, 1 if summary_on else 0, iso(next_summary)),
    )


def day_order(day: str) -> int:
    return DAYS.index(day) if day in DAYS else 99


def quiet_of(person: Person, result: Result | None = None) -> list[str]:
    value = None
    if result is not None:
        value = result.answers.get(("checkins", "quiet"))
    if value is None:
        value = person.answers.get("checkins", {}).get("quiet")
    return [str(d) for d in value] if isinstance(value, list) else []


def is_discreet(env: Env, profile: dict[str, Any]) -> bool:
    value = profile.get("checkins_discreet")
    return env.settings.discreet if value is None else bool(value)


# ---- validators and the settings renderer ------------------------------------------------------------------

def validate_time(text: str) -> tuple[bool, str]:
    moment = parse_local_time(text)
    return (True, f"{moment:%H:%M}") if moment else (False, "checkins_bad_time")


def validate_zone(text: str) -> tuple[bool, str]:
    """A zone name or a country: its zone, or its ISO code when it keeps several times (a short list follows)."""
    place = parse_place(text)
    return (True, place) if place else (False, "checkins_bad_zone")


# The zones offered when the person's country is not known (labels: the checkins flow's `zone` step texts).
COMMON_ZONES = (("Europe/London", "london"), ("Europe/Berlin", "berlin"), ("America/New_York", "new_york"),
                ("America/Los_Angeles", "los_angeles"), ("Australia/Sydney", "sydney"))


def _zone_options(code: str) -> list[tuple[str, str]]:
    zones = country_zones(code)[:MAX_ZONES]
    if len(zones) == 1:
        return [(zones[0], countries().get(code.upper(), city(zones[0])))]
    return [(zone, city(zone)) for zone in zones]


def zones_here(env: Env, person: Person) -> list[tuple[str, str]]:
    """`options_from: zones`: the time zones of the person's country (the one chosen for help lines, else the
    service's default), or a few common ones when no country is known."""
    code = str(person.profile.get("country") or env.settings.default_country or "")
    options = _zone_options(code) if code else []
    if options:
        return options
    labels = env.content.flows["checkins"].text.steps["zone"].options
    return [(zone, labels.get(key, zone)) for zone, key in COMMON_ZONES]


def zones_typed(env: Env, person: Person) -> list[tuple[str, str]]:
    """`options_from: zones_typed`: the zone typed, or the zones of the country typed (`checkins.zone_typed`)."""
    place = str(person.answers.get("checkins", {}).get("zone_typed") or "")
    if "/" in place or place == "UTC":
        return [(place, city(place))]
    return _zone_options(place) if place else []


def render_overview(env: Env, person: Person, ctx: Context) -> str:
    """`{reminders}`: what is set now, in the words of the checkins flow and common notes."""
    notes = env.content.common.notes
    flow = env.content.flows["checkins"]
    labels = flow.text.steps["reminders"].options
    days = flow.text.steps["quiet"].options
    profile = person.profile
    plan = plan_of(profile, quiet_of(person))
    lines = []
    if plan.every is None:
        lines.append(notes["checkins_status_off"])
    else:
        lines.append(notes["checkins_status_on"].format(how=labels.get(plan.frequency, plan.frequency).lower(),
                                                        time=plan.local_time, zone=plan.tz))
        paused = from_iso(profile.get("checkins_paused_until"))
        if paused and paused > ctx.now:
            lines.append(notes["checkins_status_paused"].format(date=short_date(env, paused, plan)))
    if plan.quiet:
        names = ", ".join(days[DAYS[d]] for d in sorted(plan.quiet))
        lines.append(notes["checkins_status_quiet"].format(days=names))
    if profile.get("checkins_summary"):
        lines.append(notes["checkins_status_summary"])
    if not is_discreet(env, profile):
        lines.append(notes["checkins_status_descriptive"])
    return "\n".join(lines)


def followup_lines(env: Env, pid: str, person: Person) -> list[str]:
    """One line per follow-up still to come ("I'll ask how … went, around …"), for the settings screen."""
    plan = plan_of(person.profile, quiet_of(person))
    flows = env.content.flows
    return [env.content.note("checkins_status_followup", title=flows[f["flow"]].title if f["flow"] in flows else f["flow"],
                             date=short_date(env, from_iso(f["due_at"]), plan))
            for f in env.store.followups(pid, pending=True) if from_iso(f["due_at"]) is not None]


def short_date(env: Env, moment: datetime, plan: Plan) -> str:
    local = moment.astimezone(plan.zone)
    days = env.content.flows["checkins"].text.steps["quiet"].options
    return f"{days[DAYS[local.weekday()]]} {local:%d-%m} {local:%H:%M}"


# ---- what the content says: rotating questions and follow-up topics ----------------------------------------

def _arg_blocks(env: Env, flow: str, step: str) -> list[str]:
    spec = env.content.flows[flow].steps[step]
    keys = []
    for block in spec.blocks:
        when = block.when
        if when is not None and not isinstance(when, list) and when.arg and when.arg not in keys:
            keys.append(when.arg)  # once: a question may have variants (e.g. while the safety signal is set)
    return keys


def questions(env: Env) -> list[str]:
    """The rotating check-in questions, in content order (blocks of checkin.note with an `arg` condition)."""
    return _arg_blocks(env, "checkin", "note")


def followup_topics(env: Env) -> list[str]:
    """Topics whose summary offers a follow-up: those the `followup` flow has words for."""
    return _arg_blocks(env, "followup", "how")


def checkin_count(env: Env, pid: str) -> int:
    return int(env.store.execute("SELECT count(*) FROM checkins WHERE person = ? AND kind = 'checkin'",
                                 (pid,)).fetchone()[0])
