"""/progress and the weekly summary: what a person has explored, their check-in streak and a chart of ratings.

The `progress` flow (content/flows/progress.yaml) is a system flow with one step; its text is the heading,
and `draw_progress` (the feature's view of that flow, run inside the turn's transaction) adds the rest from
the notes in content/en/common.yaml. On the turn the person opens it, with three or more rated check-ins,
a chart (chart.py) goes before the step as a photo whose caption is a one-sentence summary, so the
facts reach people who cannot see the image. The chart is drawn after the commit (`Reply.draw`), off the
event loop on Telegram; render_balance_chart is thread-safe (no pyplot).
"""

from __future__ import annotations

from functools import partial

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone, tzinfo

from bot.features.progress.chart import Point, render_balance_chart, summarise
from bot.core.feature import Env, Feature, TurnContext
from bot.core.clock import from_iso, iso, short_date
from bot.store.store import Store
from flows.content import Content
from flows.model import Reply

log = logging.getLogger("fulcrum")

CHART_MIN = 3  # rated check-ins before a chart is worth drawing (they may all be on one day)
CHART_MAX = 120  # the most recent ratings drawn; older ones would only crowd a phone-sized chart


# ---- facts from the store -----------------------------------------------------------------------------


def checkin_period(store: Store, pid: str) -> str | None:
    """'week' for people who check in weekly, None for longer rhythms (every two weeks, every month: a run of
    days or weeks in a row is not theirs to keep), else 'day'."""
    row = store.execute("SELECT frequency FROM schedules WHERE person = ?", (pid,)).fetchone()
    frequency = str(row[0] or "") if row else ""
    if frequency in ("fortnightly", "monthly"):
        return None
    return "week" if frequency == "weekly" else "day"


def ratings(store: Store, pid: str, tz: tzinfo = timezone.utc, *, since: datetime | None = None) -> list[Point]:
    """Rated check-ins (1..5), oldest first, in the person's time zone. Unrated rows (skipped) are left out."""
    rows = store.checkins(pid, since=since)  # ratings are encrypted: filtered here, not in SQL
    return [(from_iso(r["at"]).astimezone(tz), r["rating"]) for r in rows
            if isinstance(r["rating"], int) and 1 <= r["rating"] <= 5]


def completed(store: Store, content: Content, pid: str, *, since: datetime | None = None) -> list[tuple[str, datetime]]:
    """Topics finished (each once, with the latest time), in the order they were last finished."""
    latest: dict[str, str] = {}  # flow names are encrypted: grouped here, not in SQL
    for flow, at in store.completions(pid):
        if (since is None or at >= iso(since)) and at > latest.get(flow, ""):
            latest[flow] = at
    rows = sorted(latest.items(), key=lambda item: (item[1], item[0]))
    return [(flow, from_iso(at)) for flow, at in rows if flow in content.flows and content.flows[flow].is_menu]


def streak(times: list[datetime], now: datetime, tz: tzinfo, period: str = "day") -> int:
    """Consecutive periods with at least one check-in, counted back from now.

    A period is a calendar day in the person's time zone, or an ISO week (Monday to Sunday) for people who
    check in weekly. The current period need not have one yet: a streak lives on until a whole period passes
    without a check-in, so someone who checked in every day up to yesterday still has their streak this
    morning. Several check-ins in one period count once.
    """

    def key(moment: datetime) -> date:
        day = moment.astimezone(tz).date()
        return day - timedelta(days=day.weekday()) if period == "week" else day

    step = timedelta(days=7 if period == "week" else 1)
    seen = {key(t) for t in times}
    current = key(now)
    if current not in seen:
        current -= step
    count = 0
    while current in seen:
        count += 1
        current -= step
    return count


# ---- words -------------------------------------------------------------------------------------------------


def number(value: float) -> str:
    """3.0 → '3', 3.7 → '3.7'."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def chart_summary(content: Content, points: list[Point]) -> str:
    facts = summarise(points)
    return content.note("progress_chart_summary", count=facts["count"], average=number(facts["average"] or 0),
                        trend_word=content.note(f"progress_trend_{facts['trend']}"))


def chart_png(content: Content, points: list[Point]) -> bytes:
    """The ratings as a PNG, titled and captioned from content. Safe to call from a worker thread."""
    return render_balance_chart(points, title=content.note("progress_chart_title"),
                                y_labels=(content.note("progress_chart_low"), content.note("progress_chart_high")),
                                months=content.note("months").split())


def report_lines(env: Env, pid: str, now: datetime, return_to: dict | None) -> tuple[list[str], list[Point]]:
    """The report under the heading, and the rated check-ins (for the chart)."""
    content, store = env.content, env.store
    tz = store.zone_of(pid)
    lines: list[str] = []
    done = completed(store, content, pid)
    if done:
        lines.append("\n".join([content.note("progress_done_heading"),
                                *(content.note("progress_done_line", title=content.flows[f].title,
                                               date=short_date(content, at, tz)) for f, at in done)]))
    else:
        lines.append(content.note("progress_none_done"))
    where, step = (return_to or {}).get("flow"), (return_to or {}).get("step")
    if where in content.flows and content.flows[where].is_menu:
        at = content.flows[where].steps.get(str(step))
        if at is not None and at.kind != "summary":  # at its summary the topic is finished, listed above
            lines.append(content.note("progress_current", title=content.flows[where].title))
    points = ratings(store, pid, tz)
    if not points:
        lines.append(content.note("progress_no_checkins"))
    elif (period := checkin_period(store, pid)) is None:
        lines.append(content.note("progress_checkins_count", count=len(points),
                                  date=short_date(content, points[-1][0], tz)))
    else:
        days = streak([t for t, _ in points], now, tz, period)
        if days >= 2:
            lines.append(content.note(f"progress_streak_{period}s", count=days))
        elif days == 1:
            lines.append(content.note("progress_streak_one"))
        else:
            lines.append(content.note("progress_streak_none"))
        if len(points) < CHART_MIN:
            lines.append(content.note("progress_too_few", count=len(points)))
    recorded = store.record_count(pid)  # a number only: the entries' words stay in /record, behind the lock
    if recorded:
        lines.append(content.note("progress_records", count=recorded))
    return lines, points[-CHART_MAX:]


def draw_progress(ctx: TurnContext, reply: Reply) -> list[Reply]:
    """The progress step with the person's facts; on opening, the chart first (a photo with its summary)."""
    content = ctx.content
    lines, points = report_lines(ctx.env, ctx.pid, ctx.now, ctx.result.conversation.return_to)
    opening = ctx.person.conversation.flow != "progress" or (ctx.inp is not None and ctx.inp.kind == "command")
    out: list[Reply] = []
    if len(points) >= CHART_MIN:
        summary = chart_summary(content, points)
        if opening:
            # Drawn after the commit, by the adapter, off the event loop (rendering takes ~100 ms).
            out.append(Reply(summary, draw=partial(chart_png, content, list(points))))
        else:
            lines.append(summary)
    out.append(replace(reply, text="\n\n".join([reply.text, *lines])))
    return out


def feature(*, more: Sequence[Callable[[Env, str], list[str]]] = ()) -> Feature:
    """/progress. `more`: other features' lines for it (the safety plan's parts filled), handed in by bot.compose."""
    if not more:
        return Feature("progress", views={"progress": draw_progress})

    def draw(ctx: TurnContext, reply: Reply) -> list[Reply]:
        extra = [line for lines in more for line in lines(ctx.env, ctx.pid)]
        drawn = draw_progress(ctx, reply)
        if extra:
            drawn[-1] = replace(drawn[-1], text="\n\n".join([drawn[-1].text, *extra]))
        return drawn

    return Feature("progress", views={"progress": draw})


# ---- the weekly summary -----------------------------------------------------------------------------------


def weekly_summary(env: Env, pid: str, now: datetime) -> Reply:
    """What the person explored in the seven days up to `now` and their average rating, as a note.

    Sent unasked (the check-in scheduler, when the person turned it on), so it opens with a neutral line.
    """
    content, store = env.content, env.store
    since = now - timedelta(days=7)
    tz = store.zone_of(pid)
    lines = [content.note("weekly_first")]
    done = completed(store, content, pid, since=since)
    if done:
        lines.append(content.note("weekly_topics", titles=", ".join(content.flows[f].title for f, _ in done)))
    else:
        lines.append(content.note("weekly_no_topics"))
    notes = int(store.execute("SELECT count(*) FROM journal WHERE person = ? AND created_at >= ?",
                              (pid, iso(since))).fetchone()[0])
    if notes:
        lines.append(content.note("weekly_notes", count=notes))
    points = ratings(store, pid, tz, since=since)
    if points:
        facts = summarise(points)
        lines.append(content.note("weekly_checkins", count=facts["count"], average=number(facts["average"] or 0)))
    else:
        lines.append(content.note("weekly_no_checkins"))
    lines.append(content.note("weekly_closing"))
    return Reply("\n".join(lines))
