"""The safety plan over Telegram: PTB's real HTTP client against the strict fake Bot API, a real SQLite file.
/plan's message leaves the chat by itself: its due time is stored with its id, and the `expiring-messages` job
(one for everyone) deletes it when due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.adapters.test_telegram_e2e import USER, Harness, agreed, bot, fake, press, say  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]


def plan_messages(bot: Harness):
    return [r for r in bot.fake.sent(USER) if (r.plain or "").startswith("Your safety plan")]


async def run_expiry_job(bot: Harness, minutes: float) -> None:
    """The job as the JobQueue runs it, with the adapter's clock `minutes` ahead."""
    real = bot.adapter.clock
    later = real() + timedelta(minutes=minutes)
    bot.adapter.clock = lambda: later
    try:
        [job] = bot.application.job_queue.get_jobs_by_name("expiring-messages")
        await job.callback(None)
    finally:
        bot.adapter.clock = real


async def start_a_plan(bot: Harness) -> None:
    await agreed(bot)
    bot.fake.user_command(USER, "/flow safety_plan")
    await bot.settle()
    await press(bot, "Go through the parts")
    await say(bot, "Goes quiet before a row")
    assert bot.where() == ("safety_plan", "people")


async def test_plan_message_is_deleted_by_the_job_once_due_and_not_before(bot: Harness) -> None:
    await start_a_plan(bot)
    bot.fake.user_command(USER, "/plan")
    await bot.settle()
    [plan] = plan_messages(bot)
    assert "Warning signs: Goes quiet before a row" in plan.plain and not plan.deleted
    assert not (plan.reply_markup or {}).get("inline_keyboard")  # a note: the step with buttons comes after it
    assert bot.fake.last(USER).message_id > plan.message_id
    # its due time is stored beside its id (written with the next transaction, as every tracked id is)
    await run_expiry_job(bot, 5)
    due = bot.count("SELECT count(*) FROM messages WHERE message_id = ? AND expires_at IS NOT NULL", plan.message_id)
    assert due == 1
    assert bot.count("SELECT count(*) FROM messages WHERE expires_at IS NOT NULL") == 1  # only the plan
    assert not plan.deleted  # five minutes on: still there
    await run_expiry_job(bot, 11)
    assert plan.deleted
    assert bot.count("SELECT count(*) FROM messages WHERE message_id = ?", plan.message_id) == 0
    step = bot.fake.last(USER)
    assert not step.deleted and bot.where() == ("safety_plan", "people")  # the person's step stays
    await run_expiry_job(bot, 12)  # nothing more is due: no call at all
    assert len([c for c in bot.fake.calls if c[0] == "deleteMessages"]) == 1


async def test_show_my_plan_button_sends_the_plan_anew_instead_of_editing_the_pressed_message(bot: Harness) -> None:
    await start_a_plan(bot)
    bot.fake.user_command(USER, "/flow safety_plan")
    await bot.settle()
    pressed = await press(bot, "Show my whole plan")
    [plan] = plan_messages(bot)
    assert plan.message_id != pressed.message_id  # its own message, so its own due time
    assert bot.fake.last(USER).message_id > plan.message_id
    await run_expiry_job(bot, 11)
    assert plan.deleted and not bot.fake.last(USER).deleted
