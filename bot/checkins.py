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

import asyncio
import json
import logging
import time as _time
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import from_iso, iso, utcnow
from bot.schedule import DAYS, Plan, first_slot, next_slot, parse_local_time, parse_zone, slot_on, summary_slot
from bot.core.feature import CommandContext, Directive, Env, Feature, Job, Sender, TurnContext
from flows.model import Context, Option, Person, Reply, Result

log = logging.getLogger("fulcrum.checkins")

PROFILE_KEYS = ("checkins", "checkins_time", "checkins_tz", "checkins_quiet", "checkins_summary",
                "checkins_discreet", "checkins_paused_until")
BUSY_WINDOW = timedelta(hours=1)  # a person mid-flow and seen within this is not interrupted
DEFER = timedelta(minutes=5)  # how soon a deferred reminder is looked at again
PAUSE = timedelta(days=7)
FOLLOWUP_AFTER = timedelta(days=3)
FOLLOWUP_RATINGS = {"went_well": 3, "partly": 2, "hard": 1}  # ordinal; "not_yet" has none
WAYOUT_IDS = ("back", "resume", "menu")


# ---- the plan a profile describes ------------------------------------------------------------------------

def plan_of(profile: dict[str, Any], quiet: Iterable[str] | None = None) -> Plan:
    days = quiet if quiet is not None else profile.get("checkins_quiet") or []
    return Plan(
        frequency=str(profile.get("checkins") or "off"),
        local_time=str(profile.get("checkins_time") or "19:00"),
        tz=str(profile.get("checkins_tz") or "UTC"),
        quiet=frozenset(DAYS.index(d) for d in days if d in DAYS),
    )


def _row_plan(row: Any) -> Plan:
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
        (pid, plan.frequency, plan.local_time, plan.tz, json.dumps(sorted(quiet, key=_day_order)), iso(due),
         iso(paused) if paused and paused > now else None, 1 if summary_on else 0, iso(next_summary)),
    )


def _day_order(day: str) -> int:
    return DAYS.index(day) if day in DAYS else 99


def _quiet_of(person: Person, result: Result | None = None) -> list[str]:
    value = None
    if result is not None:
        value = result.answers.get(("checkins", "quiet"))
    if value is None:
        value = person.answers.get("checkins", {}).get("quiet")
    return [str(d) for d in value] if isinstance(value, list) else []


def _discreet(env: Env, profile: dict[str, Any]) -> bool:
    value = profile.get("checkins_discreet")
    return env.settings.discreet if value is None else bool(value)


# ---- validators and the settings renderer ------------------------------------------------------------------

def validate_time(text: str) -> tuple[bool, str]:
    moment = parse_local_time(text)
    return (True, f"{moment:%H:%M}") if moment else (False, "checkins_bad_time")


def validate_zone(text: str) -> tuple[bool, str]:
    zone = parse_zone(text)
    return (True, zone) if zone else (False, "checkins_bad_zone")


def render_overview(env: Env, person: Person, ctx: Context) -> str:
    """`{reminders}`: what is set now, in the words of the checkins flow and common notes."""
    notes = env.content.common.notes
    flow = env.content.flows["checkins"]
    labels = flow.text.steps["reminders"].options
    days = flow.text.steps["quiet"].options
    profile = person.profile
    plan = plan_of(profile, _quiet_of(person))
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
    if not _discreet(env, profile):
        lines.append(notes["checkins_status_descriptive"])
    return "\n".join(lines)


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
        if when is not None and not isinstance(when, list) and when.arg:
            keys.append(when.arg)
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


# ---- commands the reminders' buttons carry ------------------------------------------------------------------

def cmd_checkin(c: CommandContext) -> Directive:
    keys = questions(c.env)
    key = keys[checkin_count(c.env, c.pid) % len(keys)] if keys else ""
    return Directive(open_flow="checkin", arg=key)


def cmd_followup(c: CommandContext) -> Directive:
    return Directive(open_flow="followup", arg=c.inp.arg if c.inp.arg in followup_topics(c.env) else "")


def cmd_pause(c: CommandContext) -> Directive:
    until = c.now + PAUSE
    plan = plan_of(c.person.profile, _quiet_of(c.person))
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
        plan = plan_of(profile, _quiet_of(person))
        day = due.astimezone(plan.zone).date()
        for k in range(7):
            d = day + timedelta(days=k)
            if d.weekday() not in plan.quiet:
                due = slot_on(d, plan)
                break
    store = env.store
    store.execute("DELETE FROM followups WHERE person = ? AND flow = ? AND sent_at IS NULL", (pid, topic))
    store.execute("INSERT INTO followups (person, flow, due_at) VALUES (?, ?, ?)", (pid, topic, iso(due)))
    return due


# ---- after every committed turn ------------------------------------------------------------------------------

def record_answers(actx: TurnContext) -> None:
    """A check-in rating or a follow-up answer becomes a `checkins` row, in the turn's transaction."""
    result, store, now = actx.result, actx.store, actx.now
    rating = result.answers.get(("checkin", "rating"))
    if isinstance(rating, int):
        store.execute("INSERT INTO checkins (person, at, rating, kind, flow) VALUES (?, ?, ?, 'checkin', 'checkin')",
                      (actx.pid, iso(now), rating))
        store.bump("checkin_answered", now, total=float(rating))
    how = result.answers.get(("followup", "how"))
    if isinstance(how, str):
        topic = result.conversation.arg or actx.person.conversation.arg or ""
        store.execute("INSERT INTO checkins (person, at, rating, kind, flow) VALUES (?, ?, ?, 'followup', ?)",
                      (actx.pid, iso(now), FOLLOWUP_RATINGS.get(how), topic or None))
        store.bump("followup_answered", now, flow=topic)


def update_schedule(actx: TurnContext) -> None:
    """A turn that changed a check-in setting rewrites the schedule row."""
    result = actx.result
    if not (any(k in PROFILE_KEYS for k in result.profile) or ("checkins", "quiet") in result.answers):
        return
    profile = {**actx.person.profile, **result.profile}
    apply_plan(actx.env, actx.pid, profile, _quiet_of(actx.person, result), actx.now)


def offer_on_summary(actx: TurnContext) -> None:
    """The first finished topic offers check-ins; boundaries and communication offer a follow-up.

    Added as a note and a command option under the summary's own options (before the way-outs), so the
    summary's option numbers stay as content wrote them.
    """
    env, outcome, result = actx.env, actx.outcome, actx.result
    content = env.content
    if not outcome.replies:
        return
    last = outcome.replies[-1]
    flow = content.flows.get(last.flow or "")
    if not last.is_step or last.kind != "summary" or flow is None or not flow.is_menu:
        return
    notes, labels = content.common.notes, content.common.options
    texts: list[str] = []
    extra: list[Option] = []
    profile = {**actx.person.profile, **result.profile}
    done = {f for f in actx.person.completed | {e.flow for e in result.events if e.name == "flow_completed"}
            if f in content.flows and content.flows[f].is_menu}
    if "checkins" not in profile and done <= {flow.id}:
        texts.append(notes["checkins_offer"])
        extra.append(Option("/checkins", labels["checkins_offer"]))
    if flow.id in followup_topics(env):
        pending = env.store.execute("SELECT 1 FROM followups WHERE person = ? AND flow = ? AND sent_at IS NULL",
                                    (actx.pid, flow.id)).fetchone()
        if pending is None:
            texts.append(notes["followup_offer"])
            extra.append(Option(f"/ask_later {flow.id}", labels["followup_offer"]))
    if not extra:
        return
    options = list(last.options)
    cut = len(options)
    while cut and options[cut - 1].id in WAYOUT_IDS:
        cut -= 1
    options[cut:cut] = extra
    outcome.replies[-1] = replace(last, text="\n\n".join([last.text, *texts]), options=tuple(options))


# ---- reminders ------------------------------------------------------------------------------------------------

def prompt_reply(env: Env, kind: str, profile: dict[str, Any], topic: str = "") -> Reply:
    """What a reminder says: neutral unless the person chose descriptive reminders."""
    notes, labels = env.content.common.notes, env.content.common.options
    discreet = _discreet(env, profile)
    if kind == "followup":
        text = notes["checkin_prompt" if discreet else "followup_prompt_descriptive"]
        start = Option(f"/followup {topic}".strip(), labels["checkin_start"])
    elif kind == "summary":
        text = notes["summary_prompt" if discreet else "summary_prompt_descriptive"]
        start = Option("/progress", labels["summary_show"])
        return Reply(text, options=(start, Option("/stop_checkins", labels["checkin_stop"])))
    else:
        text = notes["checkin_prompt" if discreet else "checkin_prompt_descriptive"]
        start = Option("/checkin", labels["checkin_start"])
    return Reply(text, options=(start, Option("/pause_checkins", labels["checkin_pause"]),
                                Option("/stop_checkins", labels["checkin_stop"])))


class PromptSender(Protocol):
    """The bulk path a sweep sends through (the Telegram adapter, or a fake in tests).

    `send_prompt` returns the sent message id, or None when the person has blocked the bot; other errors
    raise. `is_busy()` is True while replies to people are going out: the sweep waits for it to clear.
    """

    async def send_prompt(self, chat_id: int, reply: Reply) -> int | None: ...

    def is_busy(self) -> bool: ...


@dataclass
class Item:
    kind: str  # checkin | followup | summary
    pid: str
    chat_id: int
    reply: Reply
    key: str  # checkin: the slot (== pending_slot); followup: the row id; summary: the slot
    outcome: str = ""  # sent | blocked | retry | failed
    message_id: int | None = None
    retry_after: float = 0.0


@dataclass
class SweepReport:
    selected: int = 0
    sent: int = 0
    deferred: int = 0
    recovered: int = 0  # pending from a crash: treated as sent
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    select_ms: list[float] = field(default_factory=list)


class Pacer:
    """At most `rate` starts a second, evenly spaced (a reply in between still fits under Telegram's 30/s)."""

    def __init__(self, rate: float, clock: Callable[[], float] = _time.monotonic):
        self.gap = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next = 0.0

    async def wait(self) -> None:
        if not self.gap:
            return
        now = self.clock()
        if self.next < now:
            self.next = now
        delay = self.next - now
        self.next += self.gap
        if delay > 0:
            await asyncio.sleep(delay)


class Sweeper:
    """One sweep: select due people (indexed), record intent, send on the bulk path, advance schedules."""

    def __init__(self, env: Env, sender: PromptSender, *, clock: Callable[[], datetime] = utcnow,
                 batch: int = 500, rate: float = 25.0, concurrency: int = 8, max_per_sweep: int = 100_000,
                 yield_poll: float = 0.005, summary: Callable[[Env, str, datetime], Reply] | None = None):
        """`summary(env, pid, now)` draws the weekly summary (the progress feature's, wired by bot.compose);
        without one, a neutral note with a /progress button is sent."""
        self.env = env
        self.summary = summary
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.pacer = Pacer(rate)
        self.concurrency = concurrency
        self.max_per_sweep = max_per_sweep
        self.yield_poll = yield_poll
        self._lock = asyncio.Lock()

    # -- the one entry point -----------------------------------------------------------------------------

    async def run_once(self, now: datetime | None = None) -> SweepReport:
        report = SweepReport()
        if self._lock.locked():  # the previous sweep is still sending: it will pick these up
            return report
        async with self._lock:
            done = 0
            while done < self.max_per_sweep:
                at = now or self.clock()
                items = await asyncio.to_thread(self.claim, at, report)
                if not items:
                    break
                await self.send_all(items)
                await asyncio.to_thread(self.settle, items, now or self.clock(), report)
                done += len(items)
        return report

    # -- phase 1: select and record the intent (one transaction, committed before any send) --------------

    def claim(self, now: datetime, report: SweepReport | None = None) -> list[Item]:
        report = report or SweepReport()
        store = self.env.store
        items: list[Item] = []
        stamp = iso(now)
        with store.transaction():
            started = _time.perf_counter()
            rows = store.execute(
                """SELECT s.person, s.frequency, s.local_time, s.tz, s.quiet_days, s.next_due, s.pending_slot,
                          p.chat_id, p.active, p.state, p.last_seen, p.profile
                   FROM schedules s JOIN people p ON p.id = s.person
                   WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?""", (stamp, self.batch)).fetchall()
            report.select_ms.append((_time.perf_counter() - started) * 1000)
            for r in rows:
                row = dict(zip(("person", "frequency", "local_time", "tz", "quiet_days", "next_due",
                                "pending_slot", "chat_id", "active", "state", "last_seen", "profile"), r))
                report.selected += 1
                pid, slot = row["person"], row["next_due"]
                if row["pending_slot"] == slot:  # sent (or maybe sent) before a crash: never again
                    self._advance(pid, _row_plan(row), slot, now)
                    report.recovered += 1
                    continue
                if not row["active"] or row["chat_id"] is None:
                    store.execute("UPDATE schedules SET next_due = NULL, pending_slot = NULL WHERE person = ?", (pid,))
                    continue
                wait = self._busy_until(row, now)
                if wait is not None:
                    store.execute("UPDATE schedules SET next_due = ? WHERE person = ?", (iso(wait), pid))
                    report.deferred += 1
                    continue
                store.execute("UPDATE schedules SET pending_slot = next_due WHERE person = ?", (pid,))
                profile = json.loads(row["profile"] or "{}")
                items.append(Item("checkin", pid, int(row["chat_id"]), prompt_reply(self.env, "checkin", profile), slot))
            room = self.batch - len(rows)
            if room > 0:
                items += self._claim_followups(now, room, report)
                items += self._claim_summaries(now, room, report)
        return items

    def _busy_until(self, row: dict[str, Any], now: datetime) -> datetime | None:
        """When a person is mid-flow and was seen within the hour: when to look again (else None)."""
        seen = from_iso(row["last_seen"])
        if seen is None or now - seen >= BUSY_WINDOW:
            return None
        try:
            state = json.loads(row["state"] or "{}")
        except ValueError:
            return None
        flow = self.env.content.flows.get(str(state.get("flow") or ""))
        if flow is None or flow.id == "menu":
            return None
        step = flow.steps.get(str(state.get("step") or ""))
        if step is None or step.kind == "summary" or step.end:
            return None
        return min(now + DEFER, seen + BUSY_WINDOW)

    def _claim_followups(self, now: datetime, limit: int, report: SweepReport) -> list[Item]:
        store = self.env.store
        rows = store.execute(
            """SELECT f.id, f.person, f.flow, p.chat_id, p.active, p.state, p.last_seen, p.profile
               FROM followups f JOIN people p ON p.id = f.person
               WHERE f.sent_at IS NULL AND f.due_at <= ? ORDER BY f.due_at LIMIT ?""", (iso(now), limit)).fetchall()
        items = []
        for fid, pid, topic, chat_id, active, state, last_seen, profile in rows:
            report.selected += 1
            if not active or chat_id is None:
                store.execute("UPDATE followups SET sent_at = ? WHERE id = ?", (iso(now), fid))
                continue
            wait = self._busy_until({"state": state, "last_seen": last_seen}, now)
            if wait is not None:
                store.execute("UPDATE followups SET due_at = ? WHERE id = ?", (iso(wait), fid))
                report.deferred += 1
                continue
            store.execute("UPDATE followups SET sent_at = ? WHERE id = ?", (iso(now), fid))  # intent first
            items.append(Item("followup", pid, int(chat_id),
                              prompt_reply(self.env, "followup", json.loads(profile or "{}"), topic), str(fid)))
        return items

    def _claim_summaries(self, now: datetime, limit: int, report: SweepReport) -> list[Item]:
        store = self.env.store
        rows = store.execute(
            """SELECT s.person, s.frequency, s.local_time, s.tz, s.quiet_days, s.next_summary, p.chat_id, p.active,
                      p.profile
               FROM schedules s JOIN people p ON p.id = s.person
               WHERE s.next_summary <= ? ORDER BY s.next_summary LIMIT ?""", (iso(now), limit)).fetchall()
        items = []
        for pid, frequency, local_time, tz, quiet_days, slot, chat_id, active, profile in rows:
            report.selected += 1
            plan = _row_plan({"frequency": frequency, "local_time": local_time, "tz": tz, "quiet_days": quiet_days})
            # Advance first (the intent): a crash after this misses one summary, never sends two.
            store.execute("UPDATE schedules SET next_summary = ? WHERE person = ?",
                          (iso(summary_slot(plan, now + timedelta(hours=1))), pid))
            if not active or chat_id is None:
                continue
            reply = self._summary(pid, json.loads(profile or "{}"), now)
            items.append(Item("summary", pid, int(chat_id), reply, slot))
        return items

    def _summary(self, pid: str, profile: dict[str, Any], now: datetime) -> Reply:
        """The weekly summary when one is wired in, else a neutral note with a /progress button."""
        if self.summary is not None:
            try:
                return self.summary(self.env, pid, now)
            except Exception:  # noqa: BLE001 - a summary that cannot be drawn falls back to the neutral note
                log.exception("weekly summary for one person could not be drawn")
        return prompt_reply(self.env, "summary", profile)

    def _advance(self, pid: str, plan: Plan, slot: str | None, now: datetime) -> None:
        due = next_slot(plan, from_iso(slot), now)
        self.env.store.execute(
            "UPDATE schedules SET next_due = ?, last_slot = ?, pending_slot = NULL WHERE person = ?",
            (iso(due), slot, pid))

    # -- phase 2: send, paced, yielding to replies -------------------------------------------------------

    async def send_all(self, items: list[Item]) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(item: Item) -> None:
            async with gate:
                await self._yield()
                await self.pacer.wait()
                await self._yield()
                await self._send(item)

        await asyncio.gather(*(one(item) for item in items))

    async def _yield(self) -> None:
        while self.sender.is_busy():
            await asyncio.sleep(self.yield_poll)

    async def _send(self, item: Item) -> None:
        try:
            mid = await self.sender.send_prompt(item.chat_id, item.reply)
        except Exception as exc:  # noqa: BLE001 - classified below; never fails the sweep
            kind = _classify(exc)
            item.outcome = kind
            if kind == "retry":
                with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
                    warnings.simplefilter("ignore")
                    after = getattr(exc, "retry_after", 1) or 1
                item.retry_after = after.total_seconds() if isinstance(after, timedelta) else float(after)
            elif kind == "failed":
                log.warning("reminder not sent (%s)", type(exc).__name__)
            return
        if mid is None:
            item.outcome = "blocked"
            return
        item.outcome, item.message_id = "sent", mid

    # -- phase 3: advance each schedule with the record of its send (one transaction) ------------------

    def settle(self, items: list[Item], now: datetime, report: SweepReport | None = None) -> None:
        report = report or SweepReport()
        store = self.env.store
        with store.transaction():
            for item in items:
                if item.outcome == "blocked":
                    report.blocked += 1
                    switch_off(self.env, item.pid)
                    continue
                if item.kind == "checkin":
                    row = store.execute("SELECT frequency, local_time, tz, quiet_days, pending_slot FROM schedules "
                                        "WHERE person = ?", (item.pid,)).fetchone()
                    if row is None or row[4] != item.key:
                        pass  # settings changed or erased meanwhile: the new plan already stands
                    elif item.outcome == "retry":
                        report.retried += 1
                        store.execute("UPDATE schedules SET pending_slot = NULL, next_due = ? WHERE person = ?",
                                      (iso(now + timedelta(seconds=item.retry_after)), item.pid))
                        continue
                    else:
                        plan = _row_plan(dict(zip(("frequency", "local_time", "tz", "quiet_days"), row[:4])))
                        self._advance(item.pid, plan, item.key, now)
                elif item.kind == "followup" and item.outcome == "retry":
                    report.retried += 1
                    store.execute("UPDATE followups SET sent_at = NULL, due_at = ? WHERE id = ?",
                                  (iso(now + timedelta(seconds=item.retry_after)), int(item.key)))
                    continue
                if item.outcome == "sent":
                    report.sent += 1
                    store.bump(f"{item.kind}_prompt", now)
                    if item.message_id is not None:
                        store.track_message(item.pid, item.chat_id, item.message_id, now)
                else:
                    report.failed += 1


def switch_off(env: Env, pid: str) -> None:
    """Someone who blocked the bot gets no more reminders (call inside a transaction)."""
    store = env.store
    store.execute("UPDATE schedules SET frequency = 'off', next_due = NULL, pending_slot = NULL, "
                  "weekly_summary = 0, next_summary = NULL WHERE person = ?", (pid,))
    store.execute("DELETE FROM followups WHERE person = ? AND sent_at IS NULL", (pid,))
    store.set_profile(pid, checkins="off", checkins_summary=False)
    store.set_active(pid, False)


def _classify(exc: BaseException) -> str:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"Forbidden", "Blocked"}:
        return "blocked"
    if "RetryAfter" in names:
        return "retry"
    if "BadRequest" in names and "chat not found" in str(exc).lower():
        return "blocked"
    return "failed"


# ---- the Telegram wiring -------------------------------------------------------------------------------------

class AdapterSender:
    """An adapter's low-priority path (`bot.core.feature.Sender`) as a PromptSender: replies go first."""

    def __init__(self, sender: Sender):
        self.sender = sender

    async def send_prompt(self, chat_id: int, reply: Reply) -> int | None:
        ids = await self.sender.send_reply(chat_id, reply)
        return ids[-1] if ids else None

    def is_busy(self) -> bool:
        return bool(self.sender.is_busy())


SWEEP_JOB = "checkin-sweep"


def sweep_job(interval: float, summary: Callable[[Env, str, datetime], Reply] | None = None) -> Job:
    """The one named repeating job that sends reminders; one Sweeper per adapter (its lock spans sweeps)."""
    sweepers: weakref.WeakKeyDictionary[Any, Sweeper] = weakref.WeakKeyDictionary()

    async def sweep(env: Env, sender: Sender) -> None:
        sweeper = sweepers.get(sender)
        if sweeper is None:
            sweeper = sweepers[sender] = Sweeper(env, AdapterSender(sender), clock=sender.clock, summary=summary)
        report = await sweeper.run_once()
        if report.selected:
            log.info("sweep: %d due, %d sent, %d deferred, %d blocked, %d failed", report.selected, report.sent,
                     report.deferred, report.blocked, report.failed)

    return Job(SWEEP_JOB, interval=interval, run=sweep, first=1.0)


def feature(settings: Any, *, summary: Callable[[Env, str, datetime], Reply] | None = None) -> Feature:
    """/checkins settings, /checkin, follow-ups and the reminders' sweep. `summary` draws the weekly summary."""
    return Feature(
        "checkins",
        commands={"checkin": cmd_checkin, "followup": cmd_followup, "pause_checkins": cmd_pause,
                  "stop_checkins": cmd_stop, "ask_later": cmd_ask_later},
        after_turn=(record_answers, update_schedule, offer_on_summary),
        validators={"local_time": validate_time, "timezone": validate_zone},
        renderers={"reminders": render_overview},  # `{reminders}` in the checkins flow
        jobs=(sweep_job(settings.sweep_seconds, summary),),
    )


async def run_sweeps(sweeper: Sweeper, every: float, stop: asyncio.Event,
                     on_report: Callable[[SweepReport], Awaitable[None]] | None = None) -> None:
    """A plain loop for hosts without PTB's JobQueue (benchmarks): one sweep every `every` seconds."""
    while not stop.is_set():
        report = await sweeper.run_once()
        if on_report is not None:
            await on_report(report)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


__all__ = ["AdapterSender", "Item", "Plan", "PromptSender", "SWEEP_JOB", "SweepReport", "Sweeper", "apply_plan",
           "feature", "first_slot", "plan_of", "prompt_reply", "schedule_followup", "switch_off", "sweep_job"]
