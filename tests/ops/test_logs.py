"""Logs: JSON lines for a collector, never the token, never what a person wrote; noisy libraries held at WARNING."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.logs import QUIET_LOGGERS, setup_logging
from bot.core.settings import Settings
from tests.conftest import ROOT, make_app

TOKEN = "123456789:AAH-fake_token_for_tests_0123456789abcd"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


def settings(**values) -> Settings:
    return Settings(_env_file=None, telegram_bot_token=TOKEN, **values)


def test_json_lines_have_time_level_logger_message_and_extras(restore_logging):
    buf = io.StringIO()
    setup_logging(settings(log_format="json", log_level="DEBUG"), stream=buf)
    logging.getLogger("fulcrum.telegram").info("update handled", extra={"update_id": 7, "person": "tg:1"})
    logging.getLogger("fulcrum").debug("count %d", 3)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("fulcrum").exception("failed")
    lines = buf.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3
    first = records[0]
    assert first["level"] == "INFO" and first["logger"] == "fulcrum.telegram" and first["message"] == "update handled"
    assert first["update_id"] == 7 and first["person"] == "tg:1"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert records[1]["message"] == "count 3"
    assert "ValueError: boom" in records[2]["exception"]


def test_the_token_is_redacted_wherever_it_appears(restore_logging):
    buf = io.StringIO()
    setup_logging(settings(log_format="json", log_level="DEBUG"), stream=buf)
    log = logging.getLogger("fulcrum")
    log.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
    log.warning("url", extra={"url": f"https://api.telegram.org/bot{TOKEN}/getMe"})
    log.warning("another bot's 987654321:ZZZ_abcdefghijklmnopqrstuvwxyz01234 too")
    try:
        raise RuntimeError(f"bad url /bot{TOKEN}/x")
    except RuntimeError:
        log.exception("request failed")
    out = buf.getvalue()
    assert TOKEN not in out and "AAH-fake_token" not in out and "ZZZ_abcdef" not in out
    assert out.count("[redacted]") >= 4
    for line in out.splitlines():
        json.loads(line)


def test_text_format_redacts_too(restore_logging):
    buf = io.StringIO()
    setup_logging(settings(log_format="text", log_level="INFO"), stream=buf)
    logging.getLogger("fulcrum").info("token %s", TOKEN)
    assert TOKEN not in buf.getvalue() and "[redacted]" in buf.getvalue()


def test_library_loggers_are_held_at_warning_whatever_the_level(restore_logging):
    buf = io.StringIO()
    setup_logging(settings(log_format="json", log_level="DEBUG"), stream=buf)
    for name in ("telegram", "telegram.ext.Application", "httpx", "httpcore.connection", "apscheduler.scheduler",
                 "transitions.core"):
        logging.getLogger(name).info("GET https://api.telegram.org/bot.../getUpdates")
        logging.getLogger(name).debug("chatter")
    assert buf.getvalue() == ""
    for name in QUIET_LOGGERS:
        assert logging.getLogger(name).level == logging.WARNING
    logging.getLogger("httpx").warning("slow")
    assert json.loads(buf.getvalue())["logger"] == "httpx"


def test_setup_twice_keeps_one_handler(restore_logging):
    before = len(logging.getLogger().handlers)
    setup_logging(settings())
    setup_logging(settings(log_format="json"))
    assert len(logging.getLogger().handlers) == before + 1


def test_a_session_with_json_logs_holds_no_token_and_no_text(tmp_path: Path, content, restore_logging):
    """A real run of the service and the daily job, logging at DEBUG as JSON: valid lines, no token, no text."""
    from bot.features import retention
    from tests.support.people import agree_and_reflect

    buf = io.StringIO()
    setup_logging(settings(log_format="json", log_level="DEBUG"), stream=buf)
    app = make_app(tmp_path / "l.db", content, telegram_bot_token=TOKEN)
    marker = "LOGGED-PRIVATE-TEXT-5d2e"
    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    agree_and_reflect(app, "a", now - timedelta(days=500), f"{marker} one")
    chat = agree_and_reflect(app, "b", now, f"{marker} two")
    chat.send(f"I want to hurt myself {marker}")  # a crisis interruption is logged, never its words
    retention.maintain(app.store, now, app.settings.retention_days)
    app.store.close()
    out = buf.getvalue()
    assert TOKEN not in out and marker not in out and "hurt" not in out
    records = [json.loads(line) for line in out.splitlines()]
    assert any(r.get("erased") == 1 for r in records)


def test_cli_logs_json_from_settings(tmp_path: Path):
    from bot.store.store import Store

    Store(tmp_path / "c.db").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    env.update(FULCRUM_LOG_FORMAT="json", FULCRUM_LOG_LEVEL="INFO", TELEGRAM_BOT_TOKEN=TOKEN)
    out = subprocess.run([sys.executable, "-m", "bot", "purge", "--db", str(tmp_path / "c.db")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stderr.splitlines()]
    assert any(r["message"].startswith("retention: erased 0") for r in records)
    assert TOKEN not in out.stderr + out.stdout
