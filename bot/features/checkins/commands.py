"""Commands the reminders' buttons carry (/checkin, /followup, /pause_checkins, /stop_checkins, /ask_later):
each returns a Directive; the service runs the engine."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso
from bot.core.feature import CommandContext, Directive, Env
from bot.features.checkins.plan import FOLLOWUP_AFTER, PAUSE, quiet_of, checkin_count, followup_topics, plan_of, questions, short_date
from bot.features.checkins.schedule import slot_on
from flows.model import Person

log = logging.getLogger("fulcrum.checkins")


# ---- commands the reminders' buttons carry ------------------------------------------------------------------

def cmd_checkin(c: CommandContext) -> Directive:
    keys = questions(c.env)
    key = keys[checkin_count(c.env, c.pid) % len(keys)] if keys else ""
    return Directive(open_flow="checkin", arg=key, exact=False)  # "Done for now" ends it, never in the settings


def cmd_followup(c: CommandContext) -> Directive:
    return Directive(open_flow="followup", arg=c.inp.arg if c.inp.arg in followup_topics(c.env) else "", exact=False)


def cmd_pause(c: CommandContext) -> Directive:
    until = c.now + PAUSE
    plan = plan_of(c.person.profile, quiet_of(c.person))
    c.env.store.execute("UPDATE followups SET due_at = ? WHERE person = ? AND sent_at IS NULL AND due_at < ?",
                        (iso(until), c.pid, iso(until)))
    return Directive(note=c.env.content.note("checkins_paused", date=short_date(c.env, until, plan)),
                     profile={"checkins_paused_until": iso(until)})


def cmd_stop(c: CommandContext) -> Directive:
    c.env.store.execute("DELETE FROM followups WHERE person = ? AND sent_at IS NULL", (c.pid,))
    return Directive(note=c.env.content.note("checkins_stopped"),
                     profile={"checkins": "off", "checkins_summary": False, "checkins_paused_until": None})


def cmd_ask_later(c: CommandContext) -> Directive:
    topic = c.inp.arg
    if topic in followup_topics(c.env) and c.env.store.exists(c.pid):
        schedule_followup(c.env, c.pid, topic, c.person.profile, c.person, c.now)
        return Directive(note=c.env.content.note("followup_set"))
    return Directive(note=c.env.content.note("stale"))


def schedule_followup(env: Env, pid: str, topic: str, profile: dict[str, Any], person: Person,
                      now: datetime) -> datetime:
    """One unsent follow-up per topic, due in a few days at the person's check-in time if they set one."""
    due = now + FOLLOWUP_AFTER
    if profile.get("checkins_tz"):
        plan = plan_of(profile, quiet_of(person))
        day = due.astimezone(plan.zone).date()
        for k in range(7):
            d = day + timedelta(days=k)
            if d.weekday() not in plan.quiet:
                due = slot_on(d, plan)
                break
    store = env.store
    for old in store.followups(pid, pending=True):
        if old["flow"] == topic:
            store.execute("DELETE FROM followups WHERE id = ?", (old["id"],))
    store.add_followup(pid, topic, due)
    return due
