"""Never acknowledge what was not committed: faults injected before, at and after the commit of a turn, over the
real Application (build_application), the poller or webhook of bot/adapters/telegram/serve.py, a real SQLite file and
the fake Bot API.

  before the commit  the service raises: not acknowledged while it fails; retried, then committed once — or,
                     after the retries, kept as a dead letter (encrypted), the person told kindly, acknowledged
  at the commit      COMMIT itself fails: rolled back, retried, committed once
  after the commit   the reply cannot be sent, or the process dies before the acknowledgement: the turn is not
                     run twice (a redelivery is recognised as a duplicate)
and a button press whose answerCallbackQuery times out or fails still runs its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3

import pytest
from telegram import Update

from bot.ops import stats as ops
from bot.store import health as figures
from bot.store.crypto import new_key
from bot.adapters.telegram import Poller, WebhookServer, build_application, set_commands
from bot.adapters.telegram.serve import process_one
from tests.conftest import make_app
from tests.support.fake_telegram import FakeTelegram
# The end-to-end tests' harness and its `fake` fixture, shared rather than written twice.
from tests.adapters.test_telegram_e2e import TOKEN, USER, Harness, agreed, fake, last_with_buttons, menu_label  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

KEY = new_key()
RETRIES = 2  # three attempts in all


class AckHarness(Harness):
    """The e2e harness with an encryption key, a short client timeout and quick retries."""

    def __init__(self, fake: FakeTelegram, store_path, content, *, retries: int = RETRIES,
                 retry_backoff: float = 0.05, timeout: float = 3.0):
        super().__init__(fake, store_path, content)
        self.retries, self.retry_backoff, self.timeout = retries, retry_backoff, timeout

    def build(self):
        self.app = make_app(self.store_path, self.content, telegram_bot_token=TOKEN, data_key=KEY)
        self.application = build_application(self.app.settings, self.app, base_url=self.fake.base_url,
                                             timeout=self.timeout, backoff=0.05)
        return self.application

    def make_poller(self) -> Poller:
        return Poller(self.application, timeout=1, backoff=0.05, retries=self.retries,
                      retry_backoff=self.retry_backoff)

    async def crash(self) -> None:
        """Like SIGKILL between the commit and the acknowledgement: the poller dies, nothing is acknowledged."""
        poller, self.poller = self.poller, None
        assert poller is not None and poller._task is not None
        poller._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller._task
        await self.stop(ack=False)

    def notes(self, marker: str) -> int:
        return sum(marker in e["text"] for e in self.app.store.journal(f"tg:{USER}", limit=1000))

    def replies_listing(self, marker: str) -> int:
        return sum(1 for r in self.fake.sent(USER) if r.plain and marker in r.plain)


def fail_handle(harness: AckHarness, times: int, *, only: int | None = None,
                error: type[Exception] = RuntimeError) -> list[tuple[int | None, int]]:
    """The service raises before touching anything, `times` times (for update `only`, or any). Returns the
    calls as (update id, the fake's acknowledged offset at that moment)."""
    real, calls = harness.app.handle, []

    def handle(*args, **kwargs):
        uid = kwargs.get("update_id")
        calls.append((uid, harness.fake.acked_offset))
        if (only is None or uid == only) and sum(1 for c in calls if only is None or c[0] == only) <= times:
            raise error("injected before the commit")
        return real(*args, **kwargs)

    harness.app.handle = handle
    return calls


class FailingCommit:
    """The store's connection, except that the next `times` COMMITs fail (as a busy or broken disk would)."""

    def __init__(self, conn: sqlite3.Connection, times: int):
        self.conn, self.left, self.failed = conn, times, 0

    def execute(self, sql: str, params=()):  # noqa: ANN001
        if sql == "COMMIT" and self.left > 0:
            self.left -= 1
            self.failed += 1
            raise sqlite3.OperationalError("disk I/O error (injected at the commit)")
        return self.conn.execute(sql, params)

    def __getattr__(self, name: str):
        return getattr(self.conn, name)


@pytest.fixture
async def h(fake, store_path, content):
    harness = AckHarness(fake, store_path, content)
    await harness.start()
    yield harness
    if harness.application is not None and harness.application.running:
        await harness.stop()


def dead_rows(harness: AckHarness) -> list[tuple]:
    return harness.app.store.execute("SELECT update_id, person, kind, error, attempts, payload, key_id "
                                     "FROM dead_letters").fetchall()


# ---- before the commit --------------------------------------------------------------------------------------

async def test_a_failure_before_the_commit_is_not_acknowledged_then_retried_and_committed_once(h) -> None:
    await agreed(h)
    calls = fail_handle(h, 2)
    uid = h.fake.user_command(USER, "/journal", "note MK-before-1")["update_id"]
    await h.settle()
    assert [c[0] for c in calls] == [uid] * 3  # two failures, then the turn
    assert all(offset <= uid for _, offset in calls)  # never acknowledged while it had not committed
    assert h.fake.acked_offset > uid
    assert h.notes("MK-before-1") == 1 and h.replies_listing("MK-before-1") == 1
    assert dead_rows(h) == []


async def test_stopping_while_it_fails_leaves_it_unacknowledged_and_the_next_start_runs_it_once(
        fake, store_path, content) -> None:
    first = AckHarness(fake, store_path, content, retry_backoff=30)
    await first.start()
    await agreed(first)
    calls = fail_handle(first, 1)
    uid = fake.user_command(USER, "/journal", "note MK-before-2")["update_id"]
    await fake.wait_for(lambda: calls, what="the first, failing attempt")
    await first.stop()  # waiting to retry: the stop cuts the wait short and acknowledges only what settled
    assert [u["update_id"] for u in fake.pending_updates()] == [uid]
    second = AckHarness(fake, store_path, content)
    await second.start()
    try:
        await second.settle()  # Telegram delivers it again
        assert second.notes("MK-before-2") == 1 and second.replies_listing("MK-before-2") == 1
        assert dead_rows(second) == []
    finally:
        await second.stop()


async def test_after_the_retries_it_is_a_dead_letter_kept_encrypted_and_the_person_is_told(h, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await agreed(h)
    calls = fail_handle(h, 100, error=sqlite3.OperationalError)
    update = h.fake.user_command(USER, "/journal", "note MK-dead-secret")
    uid = update["update_id"]
    await h.settle()
    assert len(calls) == RETRIES + 1 and all(offset <= uid for _, offset in calls)
    assert h.notes("MK-dead-secret") == 0
    # kept: the update's JSON encrypted with the store's key; the rest says only what kind and which exception
    [(row_uid, person, kind, error, attempts, payload, key_id)] = dead_rows(h)
    assert (row_uid, person, kind, error, attempts) == (uid, f"tg:{USER}", "command", "OperationalError", 3)
    assert key_id is not None and "MK-dead-secret" not in payload
    assert json.loads(h.app.store.dead_letter_payload(uid))["message"]["text"] == "/journal note MK-dead-secret"
    assert h.app.store.seen_update(uid)
    # the person is told, kindly, once; then it is acknowledged
    assert h.fake.last(USER).plain == h.app.content.note("went_wrong")
    assert h.fake.acked_offset > uid
    # counts only, for the operator
    body = figures.status(h.app.store, h.app.content, h.adapter.clock())
    assert body["dead_letters"] == 1
    assert "never" not in ops.format_status(body).split("updates that could not be processed")[1].splitlines()[0]
    ours = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.name.startswith("fulcrum"))
    assert "dead letter" in ours and "MK-dead-secret" not in ours and "note MK" not in ours
    # settled for good: delivered again, it is a duplicate — not run, not kept twice, not told twice
    h.app.handle = type(h.app).handle.__get__(h.app)
    sent = len(h.fake.sent(USER))
    assert await process_one(h.application, Update.de_json(update, h.application.bot))
    assert len(h.fake.sent(USER)) == sent and len(dead_rows(h)) == 1 and h.notes("MK-dead-secret") == 0
    # /delete erases the dead letter with everything else
    with h.app.store.transaction():
        h.app.store.erase(f"tg:{USER}")
    assert dead_rows(h) == []


async def test_when_even_keeping_it_fails_the_offset_stays_and_the_person_order_holds(h) -> None:
    await agreed(h)
    first = h.fake.user_command(USER, "/journal", "note MK-order-1")["update_id"]
    second = h.fake.user_command(USER, "/journal", "note MK-order-2")["update_id"]
    calls = fail_handle(h, 100, only=first)
    store, real_keep, kept = h.app.store, h.app.store.add_dead_letter, []

    def add_dead_letter(*args, **kwargs):
        kept.append(h.fake.acked_offset)
        if len(kept) == 1:
            raise sqlite3.OperationalError("database is locked (injected)")
        return real_keep(*args, **kwargs)

    store.add_dead_letter = add_dead_letter
    await h.settle()
    assert len(kept) == 2 and kept[0] <= first and kept[1] <= first  # not acknowledged until kept
    # the second note waited behind the first: it was only run once the first was settled, and once
    order = [uid for uid, _ in calls]
    assert order.index(second) > len(order) - 1 - order[::-1].index(first)
    assert order.count(second) == 1
    assert h.notes("MK-order-1") == 0 and h.notes("MK-order-2") == 1
    assert [r[0] for r in dead_rows(h)] == [first]
    assert sum(1 for r in h.fake.sent(USER) if r.plain == h.app.content.note("went_wrong")) == 1


# ---- at the commit -----------------------------------------------------------------------------------------

async def test_a_failed_commit_is_rolled_back_retried_and_committed_once(h) -> None:
    await agreed(h)
    store = h.app.store
    proxy = store.conn = FailingCommit(store.conn, 1)
    uid = h.fake.user_command(USER, "/journal", "note MK-commit-1")["update_id"]
    await h.settle()
    assert proxy.failed == 1 and not store.conn.in_transaction
    assert h.notes("MK-commit-1") == 1 and h.replies_listing("MK-commit-1") == 1
    assert store.seen_update(uid) and dead_rows(h) == []


# ---- after the commit ---------------------------------------------------------------------------------------

async def test_a_failure_after_the_commit_is_acknowledged_and_not_run_again(h) -> None:
    await agreed(h)
    calls = fail_handle(h, 0)
    h.fake.fail_next("sendMessage", error=400, chat_id=USER)  # the reply is refused: BadRequest, not retried
    uid = h.fake.user_command(USER, "/journal", "note MK-after-1")["update_id"]
    await h.settle()
    assert [c[0] for c in calls] == [uid]  # committed, so never tried again
    assert h.notes("MK-after-1") == 1 and dead_rows(h) == []


async def test_a_crash_between_the_commit_and_the_acknowledgement_is_a_duplicate_next_time(
        fake, store_path, content) -> None:
    first = AckHarness(fake, store_path, content)
    await first.start()
    await agreed(first)
    fake.fail_next("sendMessage", error="timeout", delay=2, chat_id=USER)  # the reply hangs after the commit
    uid = fake.user_command(USER, "/journal", "note MK-after-2")["update_id"]
    await fake.wait_for(lambda: first.app.store.seen_update(uid), what="the turn committed")
    await first.crash()
    assert uid in [u["update_id"] for u in fake.pending_updates()]
    second = AckHarness(fake, store_path, content)
    await second.start()
    outcomes = []
    real = second.app.handle

    def handle(*args, **kwargs):
        outcomes.append(real(*args, **kwargs))
        return outcomes[-1]

    second.app.handle = handle
    try:
        await second.settle()
        assert [o.duplicate for o in outcomes] == [True]
        assert second.notes("MK-after-2") == 1 and dead_rows(second) == []
    finally:
        await second.stop()


# ---- the answer to a button press --------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["timeout", 500])
async def test_an_unanswerable_button_press_still_runs_its_turn(fake, store_path, content, fault) -> None:
    harness = AckHarness(fake, store_path, content, timeout=0.5, retries=0)  # no second chance: the first must do
    fake.timeout_delay = 1.0
    await harness.start()
    try:
        await agreed(harness)
        calls = fail_handle(harness, 0)
        # every attempt at answerCallbackQuery (the adapter's three retries too) times out or fails
        fake.fail_next("answerCallbackQuery", error=fault, count=4)
        rec = last_with_buttons(fake)
        data = [d for t, d in fake.buttons(USER, rec.message_id) if t == menu_label(harness, "signs")][0]
        uid = fake.press(USER, rec.message_id, data)["update_id"]
        await harness.settle(timeout=15)
        assert [c[0] for c in calls] == [uid]  # one attempt, and it committed
        assert harness.where() == ("signs", "intro") and dead_rows(harness) == []
        assert harness.fake.last(USER).plain.startswith("This is a quiet look")
    finally:
        await harness.stop()


# ---- webhook -------------------------------------------------------------------------------------------------

async def test_the_webhook_answers_200_only_once_the_update_is_settled(fake, store_path, content) -> None:
    harness = AckHarness(fake, store_path, content)
    await harness.start(poll=False)
    server = WebhookServer(harness.application, path="/hook", secret="s3cret-hook", listen="127.0.0.1", port=0,
                           retries=1, retry_backoff=0.01)
    port = await server.start()
    try:
        await harness.application.bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-hook")
        # a failure before the commit, once: retried within the request, committed, then 200
        calls = fail_handle(harness, 1)
        assert await fake.deliver_webhook(fake.user_command(USER, "/start")) == 200
        assert len(calls) == 2 and "I'm Fulcrum" in fake.last(USER).plain
        # failing every time and not even keepable: 500, so that Telegram delivers it again
        update = fake.user_command(USER, "/help")
        fail_handle(harness, 100)
        real_keep = harness.app.store.add_dead_letter
        harness.app.store.add_dead_letter = lambda *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("x"))
        assert await fake.deliver_webhook(update) == 500
        assert dead_rows(harness) == []
        harness.app.store.add_dead_letter = real_keep
        assert await fake.deliver_webhook(update) == 200  # delivered again: kept, the person told
        assert [r[0] for r in dead_rows(harness)] == [update["update_id"]]
        assert fake.last(USER).plain == harness.app.content.note("went_wrong")
    finally:
        await server.stop()
        await harness.stop()
