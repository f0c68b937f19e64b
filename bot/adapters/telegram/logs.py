"""Logging for the bot: never message text, answers, callback data or the token.

PTB and httpx at DEBUG print whole updates and request URLs, and a Bot API URL carries the token, so their
loggers are held at WARNING whatever the app's level (`bot.core.logs.setup_logging` does that and puts a
redacting filter on its handler). As a last line of defence this module also scrubs every log record of the
token and the webhook secret when the record is created (a log record factory), so a handler added by
anyone later (a test's, a collector's) never sees them either.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core.logs import QUIET_LOGGERS, RedactFilter, setup_logging

QUIET = (*QUIET_LOGGERS, "tornado", "aiohttp")

_scrubber = RedactFilter()
_installed = False


def redact(*secrets: str | None) -> None:
    """Scrub these strings (and anything shaped like a bot token) from every log record from now on."""
    global _installed
    for s in secrets:
        if s and len(s) >= 8 and s not in _scrubber.secrets:
            _scrubber.secrets.append(s)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            return record
        clean = _scrubber.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _scrubber.scrub(text)
        if record.stack_info:
            record.stack_info = _scrubber.scrub(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def quiet_libraries() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(settings: Any, secret: str | None = None) -> logging.Handler:
    """The app's logging for `fulcrum run`: level and format from settings, secrets scrubbed twice over."""
    handler = setup_logging(settings)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    redact(token, secret)
    for f in handler.filters:
        if isinstance(f, RedactFilter) and secret and secret not in f.secrets:
            f.secrets.append(secret)
    quiet_libraries()
    return handler
