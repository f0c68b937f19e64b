"""Locking after the idle time (a periodic job, not one per person), and the visits a person can check."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from dataclasses import replace
from datetime import datetime, timezone

from bot.core.clock import short_date
from bot.core.feature import Env, Sender, TurnContext
from bot.features.lock import state
from flows.model import Reply

log = logging.getLogger("fulcrum")


def idle_sweep(default_idle: int) -> Callable[[Env, Sender], Awaitable[None]]:
    """Lock everyone away longer than their idle time, and delete what the chat still shows (under 48 hours)."""

    async def run(env: Env, sender: Sender) -> None:
        store, now = env.store, sender.clock()
        with store.transaction():
            due = state.idle_unlocked(store, now, default_idle)
            ids = []
            for pid in due:
                state.lock_now(store, pid)
                ids += store.tracked_messages(pid, now)
                store.forget_messages(pid)
        if ids:
            await sender.delete_messages(ids)
        if due:
            log.info("idle lock: %d locked, %d messages cleared", len(due), len(ids))

    return run


def draw_visits(ctx: TurnContext, reply: Reply) -> list[Reply]:
    """/about with the last visits under it ('1 Dec 08:13 · 30 Nov 21:02'), each in the zone of its time."""
    visits = [datetime.fromisoformat(v) for v in ctx.person.profile.get("visits", []) if isinstance(v, str)]
    if not visits:
        return [reply]
    when = " · ".join(f"{short_date(ctx.content, v, v.tzinfo or timezone.utc)} {v:%H:%M}" for v in visits)
    return [replace(reply, text=f"{reply.text}\n\n{ctx.content.note('lock_visits', visits=when)}")]
