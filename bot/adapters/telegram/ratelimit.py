"""The rate limiter: Telegram's budget is spent on messages, and replies to people go before reminders.

Telegram's Bot FAQ limits messages: about 30 a second across chats, about one a second in one chat (short
bursts allowed), 20 a minute in a group. PTB's AIORateLimiter, configured as one queue of 30 requests a
second, put everything with a `chat_id` in it, so a press cost two slots (the edit and the next message) and
waited behind every other request, check-in reminders included. `MessageRateLimiter` keeps AIORateLimiter's
machinery (its smoothed overall limiter, its per-group limiter, its waiting out of 429s) and changes only what
is counted and in which order:

- Counted (`LIMITED`): calls that put a message in a chat (sendMessage, sendPhoto, sendDocument, … copy and
  forward) and edits of a message. Telegram documents no separate allowance for edits, bots do get 429s for
  editing too fast (the same flood control; in groups about 20 edits a minute), and the strict fake in
  tests/support/fake_telegram.py counts send* and edit* in one window: an edit is budgeted like a message.
- Not counted: answerCallbackQuery (it puts nothing in the chat; Telegram asks for every press to be answered
  at once, and AIORateLimiter never metered it either: it has no chat_id), deleteMessage(s) (they take
  messages away; only /exit and /delete use them, one call per 100 messages), sendChatAction, getMe,
  setMyCommands and the rest. These go straight out and never wait behind a 429 someone else got; a 429 on
  one of them is waited out for that call alone.
- Order: a counted call made while handling an update (`foreground()`, set by the adapter for the whole of
  its handling) goes before any waiting call made outside one (the check-in sweep): replies get the budget
  first, reminders what is left. Both draw on the one budget (29 a second), so the total never exceeds it.

A 429 (RetryAfter) on a counted call still holds every counted call for retry_after + 0.1 s and is retried,
as AIORateLimiter does (`max_retries`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger("fulcrum.telegram")

LIMITED = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation", "sendVoice",
    "sendVideoNote", "sendMediaGroup", "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendDice", "sendInvoice", "sendGame", "sendPaidMedia", "copyMessage", "copyMessages", "forwardMessage",
    "forwardMessages",
    "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
    "editMessageLiveLocation", "stopMessageLiveLocation", "stopPoll",
})

_FOREGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("fulcrum_foreground", default=False)
# aiolimiter wakes its waiters smallest amount first, then in arrival order (a heap of (amount, n, future)):
# asking for a hair less than one slot puts a reply ahead of every reminder already waiting. 1e-6 of a slot a
# call is 0.00003 messages a second more at the most.
_FOREGROUND_AMOUNT = 1.0 - 1e-6

Callback = Callable[..., Coroutine[Any, Any, Any]]


def set_foreground() -> None:
    """Mark the rest of this task (an update's handling) as a reply to a person: its counted calls go first."""
    _FOREGROUND.set(True)


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    token = _FOREGROUND.set(True)
    try:
        yield
    finally:
        _FOREGROUND.reset(token)


def is_foreground() -> bool:
    return _FOREGROUND.get()


class MessageRateLimiter(AIORateLimiter):
    """AIORateLimiter counting only `LIMITED` calls, replies first (see the module docstring).

    `per_second` is the overall budget, smoothed one call at a time (a burst of 30 followed by 30 more in the
    next second would break Telegram's window). The default, 29, keeps a message a second in hand: calls leave
    33 ms apart but reach Telegram less evenly (a pause of the event loop between a call's slot and its request
    lets the next one catch up), and against a strict one-second window of 30 that unevenness alone earned
    429s when the budget was in full use.
    """

    def __init__(self, per_second: float = 29, *, max_retries: int = 3, group_max_rate: float = 20,
                 group_time_period: float = 60) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=1 / per_second, group_max_rate=group_max_rate,
                         group_time_period=group_time_period, max_retries=max_retries)

    async def process_request(self, callback: Callback, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None) -> Any:
        if endpoint in LIMITED:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        retries = rate_limit_args or self._max_retries
        for attempt in range(retries + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                sleep = exc._retry_after.total_seconds() + 0.1  # noqa: SLF001 - as AIORateLimiter reads it
                log.info("%s: 429, retry in %.1fs", endpoint, sleep)
                await asyncio.sleep(sleep)
        raise AssertionError("unreachable")

    async def _run_request(self, chat: bool, group: str | int | bool, allow_paid_broadcast: bool,
                           callback: Callback, args: Any, kwargs: dict[str, Any]) -> Any:
        base = self._base_limiter
        if allow_paid_broadcast or not chat or base is None:
            return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
        group_context = (self._get_group_limiter(group) if group and self._group_max_rate
                         else contextlib.nullcontext())
        amount = _FOREGROUND_AMOUNT if _FOREGROUND.get() else 1.0
        async with group_context:
            while True:
                await self._retry_after_event.wait()
                await base.acquire(amount)
                if self._retry_after_event.is_set():
                    break
                # A 429 paused sending while this call waited for its slot. AIORateLimiter lets every such call
                # go the moment the pause ends, a burst that earns the next 429 (seen in benchmarks/latency.py:
                # hundreds of 429s and replies 15 s late); here the slot is void and a fresh one is taken after.
            return await callback(*args, **kwargs)
