"""The lock: an optional PIN so that someone else holding the phone sees nothing personal.

    pin.py     the PIN as a slow salted hash (scrypt), encrypted with the data key
    state.py   one person's lock in the `locks` table
    guard.py   the PIN pad, /lock and /unlock, and what is held back while locked (`LockGuard`)
    idle.py    locking after the idle time, clearing the chat; the last visits drawn under /about

The lock never stands between a person and help: the service answers danger before asking the guard, and
flows content marks `open_when_locked` (crisis, check, help, seek_help, /delete) show while locked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.feature import Env, Feature, Job
from bot.core.settings import Settings
from bot.features.lock import state
from bot.features.lock.guard import LockGuard
from bot.features.lock.idle import draw_visits, idle_sweep
from flows.model import Reply


def unless_locked(settings: Settings, draw: Callable[[Env, str, datetime], Reply]
                  ) -> Callable[[Env, str, datetime], Reply | None]:
    """`draw` (the weekly summary, sent unasked), or None while the person's chat is locked: the sweep then
    sends its neutral note, whose button asks for the PIN."""

    def drawn(env: Env, pid: str, now: datetime) -> Reply | None:
        lock = state.read(env.store, pid)
        return None if lock is not None and lock.is_locked(now, settings.lock_idle_minutes) else draw(env, pid, now)

    return drawn


def feature(settings: Settings) -> Feature:
    guard = LockGuard(default_idle=settings.lock_idle_minutes)
    return Feature("lock", guard=guard, after_turn=(guard.after_turn,),
                   views={"about": draw_visits},
                   jobs=(Job("lock-idle", interval=settings.sweep_seconds, first=30,
                             run=idle_sweep(settings.lock_idle_minutes)),))
