"""The rate limiter: only messages (sends, edits) spend the budget, replies go before reminders, 429s waited out."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter

from bot.adapters.telegram.ratelimit import MessageRateLimiter, foreground

pytestmark = pytest.mark.asyncio


async def call(limiter: MessageRateLimiter, endpoint: str, log: list, name: str, chat_id: int | None = 1):
    async def callback():
        log.append((name, time.monotonic()))
        return True

    data = {"chat_id": chat_id} if chat_id is not None else {}
    return await limiter.process_request(callback, (), {}, endpoint, data, None)


async def test_callback_answers_skip_the_message_budget() -> None:
    limiter, log = MessageRateLimiter(10), []
    started = time.monotonic()
    sends = [asyncio.create_task(call(limiter, "sendMessage", log, f"send{i}")) for i in range(5)]
    await asyncio.sleep(0)
    await call(limiter, "answerCallbackQuery", log, "answer", chat_id=None)
    await call(limiter, "deleteMessages", log, "delete")
    assert time.monotonic() - started < 0.05  # not behind the five sends (0.4 s of budget)
    await asyncio.gather(*sends)
    sent = [t for n, t in log if n.startswith("send")]
    assert sent[-1] - sent[0] >= 0.35  # the sends themselves are spaced at 10 a second


async def test_replies_go_before_waiting_reminders() -> None:
    limiter, log = MessageRateLimiter(20), []
    background = [asyncio.create_task(call(limiter, "sendMessage", log, f"reminder{i}")) for i in range(6)]
    await asyncio.sleep(0.01)

    async def reply() -> None:
        with foreground():
            await call(limiter, "editMessageText", log, "reply")

    await reply()
    order = [n for n, _ in log]
    assert order.index("reply") <= 2  # the first reminder went at once; the reply overtook the rest
    await asyncio.gather(*background)


async def test_a_429_is_waited_out_and_retried() -> None:
    limiter, attempts = MessageRateLimiter(30, max_retries=2), []

    async def flaky():
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RetryAfter(1)
        return "ok"

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None) == "ok"
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 1.0
    attempts.clear()
    assert await limiter.process_request(flaky, (), {}, "answerCallbackQuery", {}, None) == "ok"
    assert len(attempts) == 2


async def test_calls_held_by_a_429_leave_paced_not_in_a_burst() -> None:
    """AIORateLimiter lets calls that got their slot during a 429's pause all go when it ends (and earn the next
    429); here they take fresh slots after it."""
    limiter, times, first = MessageRateLimiter(10, max_retries=1), [], [True]

    async def callback():
        if first[0]:
            first[0] = False
            raise RetryAfter(1)
        times.append(time.monotonic())
        return True

    await asyncio.gather(*(limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": i}, None)
                           for i in range(6)))
    times.sort()
    assert len(times) == 6 and min(b - a for a, b in zip(times, times[1:])) >= 0.08
