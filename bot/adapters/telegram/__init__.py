"""The Telegram adapter: the console's twin over python-telegram-bot (PTB 22).

Layout:
    app.py        build_application(settings, fulcrum) -> Application (no Updater); the app's jobs; commands
    adapter.py    TelegramAdapter: one method per kind of update; sending, editing, deleting, is_busy
    processor.py  PersonOrderedProcessor: one asyncio.Lock per person, different people concurrently;
                  `reported`: the handler tells serve.py whether it finished (PTB's error handler swallows errors)
    serve.py      Poller / WebhookServer / serve(): acknowledge only after the turn is committed; failures
                  before the commit retried, then kept as dead letters (deploy/README.md)
    render.py     pure: HTML escaping, splitting under 4096, keyboards, callback data ≤ 64 bytes
    ratelimit.py  MessageRateLimiter: 29 sends/edits a second, presses answered outside it, replies first
    logs.py       libraries held at WARNING, the token and webhook secret scrubbed from every log record

The adapter is a `bot.core.feature.Sender` for the features' jobs: lower-priority sends (check-ins) wait
while `adapter.is_busy()`, then `await adapter.send_reply(chat_id, reply)`, which raises `Blocked` when the
person blocked the bot. A feature's `Job`s become named repeating JobQueue jobs in `build_application`.

May import bot.core, bot.core.service (the type it drives) and flows/; never a feature or the command line.
"""

from bot.adapters.telegram.app import MissingToken, adapter_of, bot_commands, build_application, set_commands
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.serve import Poller, WebhookServer, process_batch, serve, webhook_secret

__all__ = ["MissingToken", "Poller", "TelegramAdapter", "WebhookServer", "adapter_of", "bot_commands",
           "build_application", "process_batch", "serve", "set_commands", "webhook_secret"]
