"""The app plus its python-telegram-bot Application, built the way `fulcrum run` builds them, for tests.

`app_and_application(db, content, **build)` makes the pair (make_app, then build_application).
`OfflineBot` is that pair with the Bot API answered offline (tests/support/offline.py, as strict as Telegram),
driven synchronously on an event loop: `feed(update)` processes one update through the Application's update
processor, the way PTB and our Poller do. `close()` stops and shuts down the Application and closes the store.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from telegram import Update

from bot.adapters.telegram import adapter_of, build_application
from tests.support.offline import OfflineRequest, Updates, offline

TOKEN = "123456:TESTS"


def app_and_application(db, content, *, token: str = TOKEN, settings: dict[str, Any] | None = None, **build: Any):
    """`settings`: more of the app's settings (e.g. default_country), as FULCRUM_* would give them."""
    from tests.conftest import make_app

    if isinstance(content, dict):  # several languages: {lang: Content}
        app = make_app(db, languages=content, telegram_bot_token=token, **(settings or {}))
    else:
        app = make_app(db, content, telegram_bot_token=token, **(settings or {}))
    return app, build_application(app.settings, app, **build)


class OfflineBot:
    def __init__(self, db, content, *, token: str = TOKEN, loop: asyncio.AbstractEventLoop | None = None,
                 ids: itertools.count | None = None, update_ids: itertools.count | None = None,
                 start: bool = False) -> None:
        self.loop = loop or asyncio.new_event_loop()
        self._own_loop = loop is None
        ids = ids or itertools.count(10)
        self.app, self.application = app_and_application(db, content, token=token, retries=0)
        self.request = offline(self.application, OfflineRequest(ids=ids))
        self.updates = Updates(self.application.bot, ids=ids)
        if update_ids is not None:
            self.updates.update_ids = update_ids
        self.closed = False
        try:
            self.run(self._open(start))
        except BaseException:
            self.close()
            raise

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _open(self, start: bool) -> None:
        await self.application.initialize()
        if start:
            await self.application.start()

    @property
    def adapter(self):
        return adapter_of(self.application)

    def feed(self, update: Update) -> None:
        application = self.application
        self.run(application.update_processor.process_update(update, application.process_update(update)))

    async def _close(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.run(self._close())
        finally:
            self.app.store.close()
            if self._own_loop:
                self.loop.close()
