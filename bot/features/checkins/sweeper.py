"""The reminders: what they say, and the sweep that sends them (select due, record intent, send on the
low-priority path, advance each schedule)."""

from __future__ import annotations

import asyncio
import json
import logging
import time as _time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import from_iso, iso, utcnow
from bot.core.feature import Env, Job, Sender
from bot.features.checkins.plan import BUSY_WINDOW, DEFER, is_discreet, row_plan
from bot.features.checkins.schedule import Plan, next_slot, summary_slot
from flows.model import Option, Reply

log = logging.getLogger("fulcrum.checkins")


# ---- reminders ------------------------------------------------------------------------------------------------

def prompt_reply(env: Env, kind: str, profile: dict[str, Any], topic: str = "") -> Reply:
    """What a reminder says: neutral unless the person chose descriptive reminders; in the person's language."""
    env = env.for_profile(profile)
    notes, labels = env.content.common.notes, env.content.common.options
    discreet = is_discreet(env, profile)
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
                 yield_poll: float = 0.005, summary: Callable[[Env, str, datetime], Reply | None] | None = None):
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
                          p.chat_id, p.active, p.state, p.last_seen, p.profile, p.key_id
                   FROM schedules s JOIN people p ON p.id = s.person
                   WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?""", (stamp, self.batch)).fetchall()
            report.select_ms.append((_time.perf_counter() - started) * 1000)
            for r in rows:
                row = dict(zip(("person", "frequency", "local_time", "tz", "quiet_days", "next_due",
                                "pending_slot", "chat_id", "active", "state", "last_seen", "profile", "key_id"), r))
                report.selected += 1
                pid, slot = row["person"], row["next_due"]
                if row["pending_slot"] == slot:  # sent (or maybe sent) before a crash: never again
                    self._advance(pid, row_plan(row), slot, now)
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
                profile = self._open(pid, row["profile"], row["key_id"], "profile")
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
            state = self._open(row["person"], row["state"], row["key_id"], "state")
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
            """SELECT f.id, f.person, f.flow, f.key_id, p.chat_id, p.active, p.state, p.last_seen, p.profile, p.key_id
               FROM followups f JOIN people p ON p.id = f.person
               WHERE f.sent_at IS NULL AND f.due_at <= ? ORDER BY f.due_at LIMIT ?""", (iso(now), limit)).fetchall()
        items = []
        for fid, pid, topic, topic_kid, chat_id, active, state, last_seen, profile, kid in rows:
            report.selected += 1
            if not active or chat_id is None:
                store.execute("UPDATE followups SET sent_at = ? WHERE id = ?", (iso(now), fid))
                continue
            wait = self._busy_until({"person": pid, "state": state, "last_seen": last_seen, "key_id": kid}, now)
            if wait is not None:
                store.execute("UPDATE followups SET due_at = ? WHERE id = ?", (iso(wait), fid))
                report.deferred += 1
                continue
            store.execute("UPDATE followups SET sent_at = ? WHERE id = ?", (iso(now), fid))  # intent first
            topic = store.unseal(topic, topic_kid, pid, "followup.flow")
            items.append(Item("followup", pid, int(chat_id),
                              prompt_reply(self.env, "followup", self._open(pid, profile, kid, "profile"), topic),
                              str(fid)))
        return items

    def _claim_summaries(self, now: datetime, limit: int, report: SweepReport) -> list[Item]:
        store = self.env.store
        rows = store.execute(
            """SELECT s.person, s.frequency, s.local_time, s.tz, s.quiet_days, s.next_summary, p.chat_id, p.active,
                      p.profile, p.key_id
               FROM schedules s JOIN people p ON p.id = s.person
               WHERE s.next_summary <= ? ORDER BY s.next_summary LIMIT ?""", (iso(now), limit)).fetchall()
        items = []
        for pid, frequency, local_time, tz, quiet_days, slot, chat_id, active, profile, kid in rows:
            report.selected += 1
            plan = row_plan({"frequency": frequency, "local_time": local_time, "tz": tz, "quiet_days": quiet_days})
            # Advance first (the intent): a crash after this misses one summary, never sends two.
            store.execute("UPDATE schedules SET next_summary = ? WHERE person = ?",
                          (iso(summary_slot(plan, now + timedelta(hours=1))), pid))
            if not active or chat_id is None:
                continue
            reply = self._summary(pid, self._open(pid, profile, kid, "profile"), now)
            items.append(Item("summary", pid, int(chat_id), reply, slot))
        return items

    def _open(self, pid: str, value: str | None, kid: str | None, field: str) -> dict[str, Any]:
        """A person's state or profile from their row, decrypted in this process (the sweep has the key)."""
        return json.loads(self.env.store.unseal(value, kid, pid, field) or "{}")

    def _summary(self, pid: str, profile: dict[str, Any], now: datetime) -> Reply:
        """The weekly summary when one is wired in, else a neutral note with a /progress button."""
        if self.summary is not None:
            try:
                drawn = self.summary(self.env.for_profile(profile), pid, now)
                if drawn is not None:  # None: not to be shown now (the chat is locked)
                    return drawn
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
                        plan = row_plan(dict(zip(("frequency", "local_time", "tz", "quiet_days"), row[:4])))
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
