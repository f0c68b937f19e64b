"""Locking after the idle time (a periodic job, not one per person), and the visits a person can check."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from datetime import datetime, timezone

from bot.core.clock import short_date
from bot.core.feature import Env, Sender
from bot.features.lock import state
from flows.model import Context, Person

log = logging.getLogger("fulcrum")


def idle_sweep(default_idle: int) -> Callable[[Env, Sender], Awaitable[None]]:
    """Lock everyone away longer than their idle time, and delete what the chat still shows (under 48 hours)."""

    async def run(env: Env, sender: Sender) -> None:
        store, now = env.store, sender.clock()
        with store.transaction():
            due = state.idle_unlocked(store, now, default_idle)
            ids = []
            for pid in due:
                lock = state.read(store, pid)
                if lock is None:
                    continue
                lock.locked = True
                state.write(store, pid, lock)
                ids += store.tracked_messages(pid, now)
                store.forget_messages(pid)
        if ids:
            await sender.delete_messages(ids)
        if due:
            log.info("idle lock: %d locked, %d messages cleared", len(due), len(ids))

    return run


def render_visits(env: Env, person: Person, ctx: Context) -> str:
    """'1 Dec 08:13 · 30 Nov 21:02': when Fulcrum was last opened, each kept in the person's zone of the time."""
    visits = [datetime.fromisoformat(v) for v in person.profile.get("visits", []) if isinstance(v, str)]
    return " · ".join(f"{short_date(env.content, v, v.tzinfo or timezone.utc)} {v:%H:%M}" for v in visits) \
        or env.content.note("nothing_chosen")
