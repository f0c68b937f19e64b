"""Updates of one person strictly in order, different people at the same time; and how serve.py learns
whether the handler finished an update (PTB routes a handler's exception to the error handler and
`Application.process_update` returns normally either way)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def update_key(update: object) -> str:
    """Who an update belongs to: `tg:USER` in a private chat, `chat:ID` elsewhere, `-` when nobody."""
    if not isinstance(update, Update):
        return "-"
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        return f"chat:{chat.id}"
    user = update.effective_user
    if user is not None:
        return f"tg:{user.id}"
    return f"chat:{chat.id}" if chat is not None else "-"


class PersonOrderedProcessor(BaseUpdateProcessor):
    """Every update passes one asyncio.Lock per person; the locks are dropped when nobody waits on them.

    asyncio.Lock wakes waiters first come, first served, so a person's updates run in the order they arrive
    here. (The poller also hands each person's updates of one batch over one after the other.)
    """

    def __init__(self, max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @property
    def held(self) -> int:
        """How many people have a lock right now (for tests: it returns to 0)."""
        return len(self._locks)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


@dataclass
class Delivery:
    """One attempt at one update, as serve.py sees it: `done` once the handler returned normally (its turn
    committed, or nothing needed committing, or a duplicate); `error` the exception it raised otherwise."""

    update_id: int
    done: bool = False
    error: BaseException | None = None


CURRENT: ContextVar[Delivery | None] = ContextVar("fulcrum_delivery", default=None)

Handler = Callable[..., Awaitable[Any]]


def reported(callback: Handler) -> Handler:
    """Wrap a handler callback so that it reports to the `Delivery` serve.py set for this update.

    The callback runs in the task that called `Application.process_update` (handlers block; our processor
    awaits the coroutine itself), so the context variable set there is seen here. The exception is raised
    on to PTB as before, whose error handler logs it (bot/adapters/telegram/adapter.py `on_error`)."""

    @functools.wraps(callback)
    async def wrapper(update: object, context: Any) -> Any:
        delivery = CURRENT.get()
        mine = delivery is not None and isinstance(update, Update) and update.update_id == delivery.update_id
        try:
            result = await callback(update, context)
        except Exception as exc:
            if mine:
                delivery.error = exc
            raise
        if mine:
            delivery.done = True
        return result

    return wrapper
