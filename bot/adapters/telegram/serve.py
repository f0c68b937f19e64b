"""Receiving updates with exactly-once effect: acknowledge to Telegram only after the turn is committed.

- Polling: getUpdates(offset, timeout); the batch is processed (each update through the Application's update
  processor and handlers: the service commits the turn and records the update id in one transaction, then
  the replies go out), and only then does the next getUpdates carry the advanced offset.
- Webhook: our own small tornado server (PTB ships tornado) checks `X-Telegram-Bot-Api-Secret-Token` in
  constant time (403 otherwise), processes the update, and only then answers 200.

After a crash between commit and acknowledgement Telegram sends the update again; the service finds its id
already recorded and nothing happens twice. A person may then miss the reply to that one input (it was
never sent) or see a reply twice (sent, then retried) — never an answer lost or applied twice.

The error path keeps the same promise. PTB hands a handler's exception to the error handler and returns
normally, so the handler reports to us instead (bot/adapters/telegram/processor.py `reported` and `Delivery`). An update
whose handler failed before its turn was committed (its id is not recorded) is tried again with backoff,
under the person's lock, `RETRIES` times; then it is kept, encrypted, in the dead_letters table with its id
recorded, the person is told something went wrong on our side, and only then is it acknowledged. A failure
after the commit (a reply that could not be sent) is acknowledged: trying it again would only find a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import signal
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.adapters.telegram.app import adapter_of, set_commands
from bot.adapters.telegram.processor import CURRENT, Delivery, update_key
from flows.model import Reply

log = logging.getLogger("fulcrum.telegram")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


RETRIES = 3  # after the first attempt; then the update is kept as a dead letter
RETRY_BACKOFF = 1.0  # seconds before the first retry, doubling (1, 2, 4)
DEAD_LETTER_NOTE = "went_wrong"  # content/en/common.yaml notes:


async def process_batch(application: Application, updates: Sequence[Update], *, retries: int = RETRIES,
                        backoff: float = RETRY_BACKOFF, stop: asyncio.Event | None = None) -> list[int]:
    """Each person's updates one after the other, in order; different people at the same time.

    Returns the ids of the updates that are not settled (see `process_one`) and so must not be acknowledged:
    after a person's first unsettled update their later ones are not tried, so that they come again in order.
    """
    queues: dict[str, list[Update]] = {}
    for update in updates:
        queues.setdefault(update_key(update), []).append(update)

    async def one_person(items: list[Update]) -> list[int]:
        for n, update in enumerate(items):
            if not await process_one(application, update, retries=retries, backoff=backoff, stop=stop):
                return [u.update_id for u in items[n:]]
        return []

    held = await asyncio.gather(*(one_person(items) for items in queues.values()))
    return sorted(i for ids in held for i in ids)


async def process_one(application: Application, update: Update, *, retries: int = RETRIES,
                      backoff: float = RETRY_BACKOFF, stop: asyncio.Event | None = None) -> bool:
    """Through the update processor (the per-person lock) and the handlers, retried with backoff while it fails
    before its turn is committed. True when the update is settled and may be acknowledged:

    - the handler finished (the turn committed, or it was a duplicate: its id was already recorded), or
    - the handler failed after the commit (its id is recorded; e.g. a reply could not be sent), or
    - it failed `1 + retries` times and is now kept in the dead_letters table (and its id recorded), and the
      person was told something went wrong on our side.

    False (do not acknowledge: Telegram delivers it again) when even keeping it failed, or when `stop` was set
    while waiting to retry. The person's lock is held across all attempts, so their next update waits.
    """
    settled: list[bool] = []
    attempts = _attempts(application, update, retries, backoff, stop, settled)
    try:
        await application.update_processor.process_update(update, attempts)
    except Exception as exc:  # noqa: BLE001 - one bad update must not stop the others; logged without content
        attempts.close()
        # The class and the frames, not the message (as bot/adapters/telegram/adapter.py `on_error`): it could quote text.
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        log.error("update %s person %s could not be processed: %s\n%s", update.update_id, update_key(update),
                  type(exc).__name__, frames)
    return bool(settled and settled[0])


async def _attempts(application: Application, update: Update, retries: int, backoff: float,
                    stop: asyncio.Event | None, settled: list[bool]) -> None:
    delay = backoff
    error = "?"
    for attempt in range(1, retries + 2):
        delivery = Delivery(update.update_id)
        token = CURRENT.set(delivery)
        try:
            await application.process_update(update)
        except Exception as exc:  # noqa: BLE001 - PTB itself failed (handler errors go to the error handler)
            delivery.error = exc
        finally:
            CURRENT.reset(token)
        if delivery.done:
            settled.append(True)
            return
        error = type(delivery.error).__name__ if delivery.error is not None else "NotHandled"
        if _committed(application, update):
            log.warning("update %s person %s failed after its commit (%s); not tried again", update.update_id,
                        update_key(update), error, extra={"update_id": update.update_id, "error": error})
            settled.append(True)
            return
        if attempt > retries:
            break
        log.warning("update %s person %s failed before its commit (%s), attempt %d of %d; again in %.1fs",
                    update.update_id, update_key(update), error, attempt, retries + 1, delay,
                    extra={"update_id": update.update_id, "error": error, "attempt": attempt})
        if stop is None:
            await asyncio.sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():  # shutting down: leave it unacknowledged, the next start takes it again
                settled.append(False)
                return
        delay *= 2
    settled.append(await _dead_letter(application, update, error, retries + 1))


def _committed(application: Application, update: Update) -> bool:
    try:
        return adapter_of(application).app.store.seen_update(update.update_id)
    except Exception:  # noqa: BLE001 - the database is what failed: then it is not known to be committed
        return False


def update_kind(update: Update) -> str:
    """What sort of update this is, without anything in it (for dead letters and logs)."""
    if update.callback_query is not None:
        return "callback_query"
    if update.message is not None:
        text = update.message.text
        if text is None:
            return "message_other"
        return "command" if text.startswith("/") else "text"
    for kind in ("edited_message", "my_chat_member", "channel_post", "edited_channel_post"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def _dead_letter(application: Application, update: Update, error: str, attempts: int) -> bool:
    """Keep the update (encrypted) and record its id, so a redelivery is a duplicate; then tell the person."""
    adapter = adapter_of(application)
    store, person, kind = adapter.app.store, update_key(update), update_kind(update)
    now = datetime.now(timezone.utc)
    try:
        with store.transaction():
            store.add_dead_letter(update.update_id, person, kind, error, attempts, update.to_json(), now)
            store.record_update(update.update_id, now)
    except Exception as exc:  # noqa: BLE001 - not kept: leave it unacknowledged
        log.error("update %s person %s failed again (%s) after %d attempts and could not be kept (%s); "
                  "not acknowledged", update.update_id, person, error, attempts, type(exc).__name__,
                  extra={"update_id": update.update_id, "error": error})
        return False
    log.error("update %s person %s failed again (%s) after %d attempts; kept as a dead letter (%s)",
              update.update_id, person, error, attempts, kind,
              extra={"update_id": update.update_id, "error": error, "kind": kind})
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        try:
            await adapter.send_reply(chat.id, Reply(adapter.app.content.note(DEAD_LETTER_NOTE)))
        except Exception as exc:  # noqa: BLE001 - the update is kept either way
            log.warning("update %s: the note that it failed was not sent (%s)", update.update_id,
                        type(exc).__name__)
    return True


class Poller:
    """Long polling that advances the offset only past updates that were settled (`process_one`)."""

    def __init__(self, application: Application, *, timeout: int = 30, backoff: float = 1.0,
                 max_backoff: float = 30.0, retries: int = RETRIES, retry_backoff: float = RETRY_BACKOFF):
        self.application = application
        self.timeout, self.backoff, self.max_backoff = timeout, backoff, max_backoff
        self.retries, self.retry_backoff = retries, retry_backoff
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
        delay = held = self.backoff
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
            unsettled = await process_batch(self.application, updates, retries=self.retries,
                                            backoff=self.retry_backoff, stop=self._stop)
            if unsettled:
                # Acknowledge only what comes before the first unsettled update; it and everything after it
                # come again (those already recorded are recognised as duplicates).
                self.offset = max(self.offset, unsettled[0])
                log.warning("%d updates not settled; fetching again from update %s in %.0fs", len(unsettled),
                            unsettled[0], held)
                await self._pause(held)
                held = min(held * 2, self.max_backoff)
                continue
            held = self.backoff
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
                 port: int = 8443, retries: int = RETRIES, retry_backoff: float = RETRY_BACKOFF):
        self.application = application
        self.retries, self.retry_backoff = retries, retry_backoff
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
                if await process_one(outer.application, update, retries=outer.retries,
                                     backoff=outer.retry_backoff):
                    self.set_status(200)  # only now: the turn is committed (or kept) and its replies sent
                else:
                    self.set_status(500)  # not settled: Telegram delivers it again later

        class Health(RequestHandler):
            """GET /healthz: counts and times only (bot/ops/stats.py `health`), never personal data."""

            async def get(self) -> None:
                from datetime import datetime, timezone

                from bot.store.health import health
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
