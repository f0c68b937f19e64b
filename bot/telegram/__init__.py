"""The Telegram adapter: the console's twin over python-telegram-bot (PTB 22).

Layout:
    app.py        build_application(settings, fulcrum) -> Application (no Updater); startup hooks; commands
    adapter.py    TelegramAdapter: one method per kind of update; sending, editing, deleting, is_busy
    processor.py  PersonOrderedProcessor: one asyncio.Lock per person, different people concurrently;
                  `reported`: the handler tells serve.py whether it finished (PTB's error handler swallows errors)
    serve.py      Poller / WebhookServer / serve(): acknowledge only after the turn is committed; failures
                  before the commit retried, then kept as dead letters (deploy/README.md)
    render.py     pure: HTML escaping, splitting under 4096, keyboards, callback data ≤ 64 bytes
    logs.py       libraries held at WARNING, the token and webhook secret scrubbed from every log record

For other parts of the bot:
    - lower-priority sends (check-ins): wait while `adapter.is_busy()`, then `await adapter.send_reply(chat_id,
      reply)`; it raises `Blocked` when the person blocked the bot (see bot/checkins.py AdapterSender).
    - a periodic job: register `@startup_hook def f(application, adapter)` and add one *named* repeating job
      to `application.job_queue` there (see app.py); PTB's JobQueue starts with the Application.
"""

from bot.telegram.app import (MissingToken, adapter_of, bot_commands, build_application, set_commands,
                              startup_hook)
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.serve import Poller, WebhookServer, process_batch, serve, webhook_secret

__all__ = ["MissingToken", "Poller", "TelegramAdapter", "WebhookServer", "adapter_of", "bot_commands",
           "build_application", "process_batch", "serve", "set_commands", "startup_hook", "webhook_secret"]
