"""Building the python-telegram-bot Application that `fulcrum run` (and the end-to-end tests) use.

There is no PTB Updater: its poller acknowledges updates as soon as they are fetched and its webhook server
answers before processing. bot/adapters/telegram/serve.py acknowledges only after the turn is committed.

Periodic work comes from the features as data (`Fulcrum.jobs`: name, interval, first run, callback); each
becomes one named repeating JobQueue job, replacing any older job of that name. A job's callback gets the
app's `Env` and the adapter as its `Sender` (low-priority sends wait on `is_busy()`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.core.feature import Job
from bot.core.service import Fulcrum
from bot.core.settings import Settings
from bot.adapters.telegram.adapter import TelegramAdapter, on_error
from bot.adapters.telegram.processor import PersonOrderedProcessor, reported
from bot.adapters.telegram.ratelimit import MessageRateLimiter

log = logging.getLogger("fulcrum.telegram")

ADAPTER_KEY = "fulcrum.adapter"


def adapter_of(application: Application) -> TelegramAdapter:
    return application.bot_data[ADAPTER_KEY]


class MissingToken(Exception):
    """TELEGRAM_BOT_TOKEN is not set."""


def build_application(settings: Settings, app: Fulcrum, *, base_url: str | None = None,
                      timeout: float = 10.0, max_retries: int = 3, retries: int = 3, backoff: float = 0.5,
                      clock: Callable[[], datetime] | None = None, concurrency: int = 64,
                      jobs: Iterable[Job] | None = None) -> Application:
    """The Application for `app`: our update processor, a rate limiter, one handler, no Updater.

    `base_url` overrides `settings.telegram_api_base_url` (PTB appends the token to it); `jobs` replaces the
    app's own periodic jobs (None: all of them).
    """
    if settings.telegram_bot_token is None:
        raise MissingToken("TELEGRAM_BOT_TOKEN is not set")
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url or settings.telegram_api_base_url)
        .updater(None)
        .concurrent_updates(PersonOrderedProcessor(concurrency))
        # 29 messages (sends and edits) a second, replies before reminders; presses answered outside it;
        # 429 answers waited out and retried (bot/adapters/telegram/ratelimit.py).
        .rate_limiter(MessageRateLimiter(29, max_retries=max_retries))
        .connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout).pool_timeout(timeout)
        .get_updates_connect_timeout(timeout).get_updates_pool_timeout(timeout)
        .get_updates_read_timeout(timeout).get_updates_write_timeout(timeout)
        .build()
    )
    adapter = TelegramAdapter(app, application, clock=clock, retries=retries, backoff=backoff)
    application.bot_data[ADAPTER_KEY] = adapter
    application.add_handler(TypeHandler(Update, reported(adapter.on_update)))  # serve.py learns if it finished
    application.add_error_handler(on_error)
    schedule_jobs(application, adapter, app.jobs if jobs is None else jobs)
    return application


def schedule_jobs(application: Application, adapter: TelegramAdapter, jobs: Iterable[Job]) -> None:
    """One named repeating JobQueue job per feature job; a second run never overlaps a slow first."""
    queue = application.job_queue
    if queue is None:  # pragma: no cover - PTB installed without the job-queue extra
        log.warning("no JobQueue: periodic jobs (reminders, retention) do not run")
        return
    env = adapter.app.env
    for job in jobs:
        for old in queue.get_jobs_by_name(job.name):
            old.schedule_removal()

        async def callback(context: object, job: Job = job) -> None:
            await job.run(env, adapter)

        queue.run_repeating(callback, interval=job.interval, first=job.first, name=job.name,
                            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})


def bot_commands(app: Fulcrum, lang: str | None = None) -> list[BotCommand]:
    """The command menu, from content/<lang>/common.yaml `commands:` (name → short description; the default
    language's without `lang`), without the ones marked `hidden: true` (they work all the same; the menu is
    visible to anyone holding the phone). Names are the same in every language; descriptions are not."""
    content = app.languages.get(lang or "", app.content)
    return [BotCommand(name, description) for name, description in content.common.listed_commands.items()]


async def set_commands(application: Application) -> None:
    """The default menu (the default language's), then one per content language for people whose Telegram is
    set to it (`language_code`: the Bot API takes a two-letter ISO 639-1 code, so another folder name is left
    to the default menu). A chat's own language, chosen with /language, is set by the adapter."""
    app = adapter_of(application).app
    await application.bot.set_my_commands(bot_commands(app))
    for lang in app.languages:
        if re.fullmatch(r"[a-z]{2}", lang):
            await application.bot.set_my_commands(bot_commands(app, lang), language_code=lang)
