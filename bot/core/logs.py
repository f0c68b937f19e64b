"""Logging: plain text for a terminal or JSON lines for a log collector, with the bot token redacted.

Logs never carry what a person wrote; callers pass ids and counts as `extra` fields
(e.g. `log.info("update handled", extra={"update_id": 7, "person": "tg:1"})`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

# Libraries that log request URLs (which hold the token) or chatter at INFO (transitions: a line per state
# entered or left): WARNING whatever the level, on Telegram and in `fulcrum chat` alike.
QUIET_LOGGERS = ("telegram", "httpx", "httpcore", "apscheduler", "transitions")
REDACTED = "[redacted]"
# The shape of a Telegram bot token, redacted even when it is not ours (e.g. in a test or a pasted URL).
TOKEN_RE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is emitted as a field.
_STANDARD = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None)).keys()) | {"message", "asctime",
                                                                                       "taskName"}


class RedactFilter(logging.Filter):
    """Replace the bot token (and anything shaped like one) in a record's message, arguments and extras."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_RE.sub(REDACTED, text)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, (int, float, bool)) or value is None:
            return value
        text = str(value)
        clean = self.scrub(text)
        return clean if clean != text else value

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg = self.scrub(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, self._value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in body and not key.startswith("_"):
                body[key] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            body["exception"] = record.exc_text
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")]
        return f"{line} [{' '.join(extras)}]" if extras else line


def _secrets(settings: Any) -> list[str]:
    out = []
    for name in ("telegram_bot_token", "webhook_secret", "data_key"):
        value = getattr(settings, name, None) if settings is not None else None
        if value is not None:
            out.append(value.get_secret_value() if hasattr(value, "get_secret_value") else str(value))
    return out


def setup_logging(settings: Any = None, *, level: str | int | None = None, stream: TextIO | None = None,
                  fmt: str | None = None) -> logging.Handler:
    """Configure the root logger from settings (log_level, log_format). Replaces the handler of an earlier call.

    Returns the handler, so an adapter can add its own filters to it.
    """
    level = level or getattr(settings, "log_level", None) or "WARNING"
    fmt = fmt or getattr(settings, "log_format", None) or "text"
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactFilter(_secrets(settings)))
    handler.set_name("fulcrum")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "fulcrum":  # ours, from an earlier call; leave others (e.g. pytest's) alone
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler
