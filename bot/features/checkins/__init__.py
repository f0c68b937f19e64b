"""Check-ins: settings (/checkins), the check-in itself (/checkin), follow-ups, and the sweep that sends reminders.

What a person chooses in the `checkins` flow lands in their profile (`checkins`, `checkins_time`, `checkins_tz`,
`checkins_summary`, `checkins_discreet`, `checkins_paused_until`; quiet days are the answer to
`checkins.quiet`). After every turn that changes one of them, `apply_plan` turns the profile into the person's
row in `schedules` (next due time in UTC, indexed) inside the same transaction.

Reminders are sent by one repeating job (`Sweeper.run_once`, every FULCRUM_SWEEP_SECONDS): it selects the due
people with one indexed query, records the intent (`pending_slot`) and commits before sending, sends on the
bulk path (paced, yielding to replies), then advances each schedule past now in the same transaction as
recording the send. A restart after a crash between the two finds `pending_slot == next_due` and treats the
slot as sent: at most a missing reminder, never a double.

Buttons on a reminder carry commands, not option ids (`/checkin`, `/pause_checkins`, `/stop_checkins`,
`/followup TOPIC`): the service turns an option whose id starts with "/" into that command, so they work
whatever the person has done since the reminder arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from dataclasses import replace

from bot.core.feature import Env, Feature, TurnContext
from bot.features.checkins.commands import cmd_ask_later, cmd_checkin, cmd_followup, cmd_pause, cmd_stop, \
    schedule_followup
from bot.features.checkins.plan import apply_plan, followup_lines, plan_of, render_overview, validate_time, \
    validate_zone, zones_here, zones_typed
from bot.features.checkins.schedule import Plan, first_slot
from bot.features.checkins.sweeper import SWEEP_JOB, AdapterSender, Item, PromptSender, SweepReport, Sweeper, \
    prompt_reply, switch_off, sweep_job
from bot.features.checkins.turns import offer_on_summary, record_answers, update_schedule
from flows.model import Reply


def draw_settings(ctx: TurnContext, reply: Reply) -> list[Reply]:
    """The settings screen lists the follow-ups still to come under what is set (a follow-up asked for under a
    topic's summary is a reminder too, whether or not regular check-ins are on)."""
    if reply.step != "reminders":
        return [reply]
    lines = followup_lines(ctx.env, ctx.pid, ctx.person)
    return [replace(reply, text="\n".join([reply.text, *lines]))] if lines else [reply]


def feature(settings: Any, *, summary: Callable[[Env, str, datetime], Reply | None] | None = None) -> Feature:
    """/checkins settings, /checkin, follow-ups and the reminders' sweep. `summary` draws the weekly summary."""
    return Feature(
        "checkins",
        commands={"checkin": cmd_checkin, "followup": cmd_followup, "pause_checkins": cmd_pause,
                  "stop_checkins": cmd_stop, "ask_later": cmd_ask_later},
        after_turn=(record_answers, update_schedule, offer_on_summary),
        validators={"local_time": validate_time, "timezone": validate_zone},
        renderers={"reminders": render_overview},  # `{reminders}` in the checkins flow
        views={"checkins": draw_settings},
        option_sources={"zones": zones_here, "zones_typed": zones_typed},
        jobs=(sweep_job(settings.sweep_seconds, summary),),
    )


__all__ = ["AdapterSender", "Item", "Plan", "PromptSender", "SWEEP_JOB", "SweepReport", "Sweeper", "apply_plan",
           "feature", "first_slot", "plan_of", "prompt_reply", "schedule_followup", "switch_off",
           "sweep_job"]
