"""Operations wired into the Telegram app: the daily maintenance job and the webhook server's GET /healthz."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import make_app

TOKEN = "123456:" + "A" * 35


def _get(url: str, data: bytes | None = None) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, "", ""


async def test_daily_maintenance_job_is_registered_by_name(tmp_path: Path, content):
    from bot.adapters.telegram.app import build_application

    app = make_app(tmp_path / "j.db", content, telegram_bot_token=TOKEN)
    application = build_application(app.settings, app)
    assert [j.name for j in application.job_queue.jobs()].count("daily-maintenance") == 1
    app.store.close()


async def test_healthz_answers_counts_without_personal_data(tmp_path: Path, content):
    from bot.adapters.telegram.app import build_application
    from bot.adapters.telegram.serve import WebhookServer
    from tests.support.people import agree_and_reflect
    from tests.ops.test_ops import NOW

    app = make_app(tmp_path / "h.db", content, telegram_bot_token=TOKEN)
    agree_and_reflect(app, "someone", NOW, "HEALTH-PRIVATE-MARKER")
    application = build_application(app.settings, app)
    server = WebhookServer(application, path="/hook", secret="s" * 32, listen="127.0.0.1", port=0)
    port = await server.start()
    try:
        status, ctype, body = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/healthz")
        denied, _, _ = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/hook", b"{}")
    finally:
        await server.stop()
        app.store.close()
    assert status == 200 and ctype.startswith("application/json")
    data = json.loads(body)
    assert data["ok"] is True and data["people"] == 1 and data["content_version"] == content.version
    assert "HEALTH-PRIVATE-MARKER" not in body and "someone" not in body and "cli:" not in body
    assert denied == 403  # the webhook itself still wants the secret
