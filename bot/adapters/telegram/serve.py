"""Receiving updates with exactly-once effect: acknowledge to Telegram only after the turn is committed.

- Polling: getUpdates(offset, timeout); the batch is processed (each update through the Application's update
  processor and handlers: the service commits the turn and records the update id in one transaction, then
  the replies go out), and only then does the next getUpdates carry the advanced offset.
- Webhook: our own small tornado server (PTB ships tornado) checks `X-Telegram-Bot-Api-Secret-Token` in
  constant time (403 otherwise), processes the update, and only then answers 200.

After a crash between commit and acknowledgement Telegram sends the update again; the service finds its id
already recorded and nothing happens twice. A person may then miss the reply to that one input (it was
never sent) or see a reply twice (sent, then retried) — never an answer lost or applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import signal
from collections.abc import Sequence
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.adapters.telegram.app import set_commands
from bot.adapters.telegram.processor import update_key

log = logging.getLogger("fulcrum.telegram")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def process_batch(application: Application, updates: Sequence[Update]) -> None:
    """Each person's updates one after the other, in order; different people at the same time."""
    queues: dict[str, list[Update]] = {}
    for update in updates:
        queues.setdefault(update_key(update), []).append(update)

    async def one_person(items: list[Update]) -> None:
        for update in items:
            await process_one(application, update)

    await asyncio.gather(*(one_person(items) for items in queues.values()))


async def process_one(application: Application, update: Update) -> None:
    """Through the update processor (the per-person lock) and the handlers; errors go to the error handler."""
    try:
        await application.update_processor.process_update(update, application.process_update(update))
    except Exception:  # noqa: BLE001 - one bad update must not stop the others; logged without content
        log.exception("update %s person %s could not be processed", update.update_id, update_key(update))


class Poller:
    """Long polling that advances the offset only past updates that were processed."""

    def __init__(self, application: Application, *, timeout: int = 30, backoff: float = 1.0,
                 max_backoff: float = 30.0):
        self.application = application
        self.timeout, self.backoff, self.max_backoff = timeout, backoff, max_backoff
        self.offset = 0
        self._task: asyncio.Task | None = None
        self._stop = asyncio.Event()
        self._waiting = False  # in a long poll (nothing in hand), as opposed to processing a batch

    def start(self) -> asyncio.Task:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="fulcrum-poller")
        return self._task

    async def run(self) -> None:
        bot = self.application.bot
        delay = self.backoff
        while not self._stop.is_set():
            try:
                self._waiting = True
                try:
                    updates = await bot.get_updates(offset=self.offset, timeout=self.timeout,
                                                    allowed_updates=ALLOWED_UPDATES)
                finally:
                    self._waiting = False
            except (InvalidToken, Conflict):
                raise
            except RetryAfter as exc:
                await self._pause(exc.retry_after if isinstance(exc.retry_after, (int, float))
                                  else exc.retry_after.total_seconds())
                continue
            except (TimedOut, NetworkError) as exc:
                log.warning("getUpdates failed (%s); again in %.0fs", type(exc).__name__, delay)
                await self._pause(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = self.backoff
            if not updates:
                continue
            await process_batch(self.application, updates)
            # Only now: the next getUpdates acknowledges everything up to here.
            self.offset = updates[-1].update_id + 1

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def stop(self, *, ack: bool = True) -> None:
        """Stop after the batch in hand. With `ack`, tell Telegram what was processed (getUpdates, timeout 0)."""
        self._stop.set()
        if self._task is not None:
            if self._waiting or self._task.done():
                # A long poll in progress holds nothing processed: cancelling it loses nothing.
                self._task.cancel()
            # Otherwise the batch in hand finishes (its replies go out) and the loop ends by itself.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if ack and self.offset:
            with contextlib.suppress(TimedOut, NetworkError):
                await self.application.bot.get_updates(offset=self.offset, timeout=0, limit=1,
                                                       allowed_updates=ALLOWED_UPDATES)


class WebhookServer:
    """POST PATH with the secret header → process → 200. Anything else: 403 (wrong secret) or 404/405."""

    def __init__(self, application: Application, *, path: str, secret: str, listen: str = "127.0.0.1",
                 port: int = 8443):
        self.application = application
        self.path = path or "/"
        self.secret = secret
        self.listen, self.port = listen, port
        self._server = None

    async def start(self) -> int:
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets
        from tornado.web import Application as Web, RequestHandler

        outer = self

        class Hook(RequestHandler):
            def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - tornado's signature
                log.error("webhook request failed: %s", getattr(typ, "__name__", "?"))

            async def post(self) -> None:
                given = self.request.headers.get(SECRET_HEADER, "")
                if not hmac.compare_digest(given.encode(), outer.secret.encode()):
                    self.set_status(403)
                    return
                try:
                    data = json.loads(self.request.body)
                    update = Update.de_json(data, outer.application.bot)
                except (ValueError, TypeError, KeyError):
                    self.set_status(400)
                    return
                await process_one(outer.application, update)
                self.set_status(200)  # only now: the turn is committed and its replies sent

        class Health(RequestHandler):
            """GET /healthz: counts and times only (bot/ops/stats.py `health`), never personal data."""

            async def get(self) -> None:
                from datetime import datetime, timezone

                from bot.ops.stats import health
                from bot.adapters.telegram.app import adapter_of

                app = adapter_of(outer.application).app
                body = await asyncio.to_thread(health, app.store, app.content, datetime.now(timezone.utc))
                self.set_status(200 if body.get("ok") else 503)
                self.set_header("Content-Type", "application/json")
                self.set_header("Cache-Control", "no-store")
                self.finish(json.dumps(body, sort_keys=True))

        routes = [(self.path, Hook)] if self.path == "/healthz" else [("/healthz", Health), (self.path, Hook)]
        web = Web(routes, log_function=lambda handler: None)
        sockets = bind_sockets(self.port, self.listen)
        self._server = HTTPServer(web, xheaders=True)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.close_all_connections(), 5)
            self._server = None


def webhook_secret(settings) -> str:  # noqa: ANN001 - Settings
    """FULCRUM_WEBHOOK_SECRET, or one made for this run (kept in memory, never printed or logged)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


async def serve(application: Application, *, webhook_url: str | None = None, listen: str = "0.0.0.0",
                port: int = 8443, secret: str | None = None, stop: asyncio.Event | None = None,
                poll_timeout: int = 30) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM): start, set the commands, receive, then shut down cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        async with application:
            await set_commands(application)
            await application.start()
            try:
                if webhook_url:
                    secret = secret or secrets.token_urlsafe(32)
                    server = WebhookServer(application, path=urlsplit(webhook_url).path or "/", secret=secret,
                                           listen=listen, port=port)
                    await server.start()
                    await application.bot.set_webhook(webhook_url, secret_token=secret,
                                                      allowed_updates=ALLOWED_UPDATES)
                    log.info("webhook listening on %s:%s", listen, server.port)
                    try:
                        await stop.wait()
                    finally:
                        await server.stop()
                else:
                    await application.bot.delete_webhook()
                    poller = Poller(application, timeout=poll_timeout)
                    task = poller.start()
                    log.info("polling for updates")
                    waiter = asyncio.create_task(stop.wait())
                    try:
                        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        waiter.cancel()
                        failed = task.done() and not task.cancelled() and task.exception()
                        await poller.stop()
                        if failed:
                            raise failed
            finally:
                await application.stop()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
