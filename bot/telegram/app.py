"""Building the python-telegram-bot Application that `fulcrum run` (and the end-to-end tests) use.

There is no PTB Updater: its poller acknowledges updates as soon as they are fetched and its webhook server
answers before processing. bot/telegram/serve.py acknowledges only after the turn is committed.

Startup hooks: other parts of the bot (the check-in scheduler) register `fn(application, adapter)` with
`@startup_hook`; `build_application` calls each once, e.g. to add one named repeating sweep job::

    @startup_hook
    def add_sweep(application, adapter):
        jq = application.job_queue
        for old in jq.get_jobs_by_name("checkin_sweep"):
            old.schedule_removal()
        jq.run_repeating(sweep, interval=settings.sweep_seconds, name="checkin_sweep")

(the module holding the hook must be imported before `build_application` runs; the job callback gets the
adapter with `adapter_of(context.application)`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from bot.service import Fulcrum
from bot.settings import Settings
from bot.telegram.adapter import TelegramAdapter, on_error
from bot.telegram.processor import PersonOrderedProcessor, reported

ADAPTER_KEY = "fulcrum.adapter"
StartupHook = Callable[[Application, TelegramAdapter], None]
STARTUP_HOOKS: list[StartupHook] = []


def startup_hook(fn: StartupHook) -> StartupHook:
    """Register `fn(application, adapter)`, called by every `build_application` (idempotent by identity)."""
    if fn not in STARTUP_HOOKS:
        STARTUP_HOOKS.append(fn)
    return fn


def adapter_of(application: Application) -> TelegramAdapter:
    return application.bot_data[ADAPTER_KEY]


class MissingToken(Exception):
    """TELEGRAM_BOT_TOKEN is not set."""


def build_application(settings: Settings, app: Fulcrum, *, base_url: str | None = None,
                      timeout: float = 10.0, max_retries: int = 3, retries: int = 3, backoff: float = 0.5,
                      clock: Callable[[], datetime] | None = None, concurrency: int = 64,
                      hooks: list[StartupHook] | None = None) -> Application:
    """The Application for `app`: our update processor, a rate limiter, one handler, no Updater.

    `base_url` overrides `settings.telegram_api_base_url` (PTB appends the token to it).
    """
    if settings.telegram_bot_token is None:
        raise MissingToken("TELEGRAM_BOT_TOKEN is not set")
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url or settings.telegram_api_base_url)
        .updater(None)
        .concurrent_updates(PersonOrderedProcessor(concurrency))
        # 30 messages a second overall, smoothed one by one; 429 answers are waited out and retried.
        .rate_limiter(AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=max_retries))
        .connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout).pool_timeout(timeout)
        .get_updates_connect_timeout(timeout).get_updates_pool_timeout(timeout)
        .get_updates_read_timeout(timeout).get_updates_write_timeout(timeout)
        .build()
    )
    adapter = TelegramAdapter(app, application, clock=clock, retries=retries, backoff=backoff)
    application.bot_data[ADAPTER_KEY] = adapter
    application.add_handler(TypeHandler(Update, reported(adapter.on_update)))  # serve.py learns if it finished
    application.add_error_handler(on_error)
    for hook in STARTUP_HOOKS if hooks is None else hooks:
        hook(application, adapter)
    return application


def bot_commands(app: Fulcrum) -> list[BotCommand]:
    """The command menu, from content/en/common.yaml `commands:` (name → short description)."""
    return [BotCommand(name, description) for name, description in app.content.common.commands.items()]


async def set_commands(application: Application) -> None:
    await application.bot.set_my_commands(bot_commands(adapter_of(application).app))


@startup_hook
def add_daily_maintenance(application: Application, adapter: TelegramAdapter) -> None:
    """Once a day (first run 10 minutes after start): purge people past FULCRUM_RETENTION_DAYS, forget old
    update and message ids (bot/ops.py `daily_maintenance`)."""
    from bot.ops import MAINTENANCE_JOB, maintenance_job

    jq = application.job_queue
    if jq is None:
        return
    for old in jq.get_jobs_by_name(MAINTENANCE_JOB):
        old.schedule_removal()
    jq.run_repeating(maintenance_job(adapter.app), interval=24 * 3600, first=600, name=MAINTENANCE_JOB)
