"""Tests for the fake Bot API server, driven by python-telegram-bot's real Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import time

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler
from telegram.request import HTTPXRequest

from tests.support.fake_telegram import FakeTelegram

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST"
USER = 42


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def fake(clock: Clock):
    fake = FakeTelegram(TOKEN, clock=clock)
    await fake.start()
    fake.user_command(USER, "/start")  # makes the private chat known
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram):
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        yield bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in pairs]])


async def test_get_me_and_raw_error_shapes(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "fulcrum_test_bot" and me.id == 123456
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{fake.base_url}654321:WRONG/getMe")
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        r = await client.post(f"{fake.base_url}{TOKEN}/noSuchMethod")
        assert (r.status_code, r.json()["description"]) == (404, "Not Found")
        r = await client.post(f"{fake.base_url}{TOKEN}/sendmessage", json={"chat_id": USER, "text": "x"})
        assert r.json()["ok"] is True and r.json()["result"]["from"]["is_bot"] is True
    with pytest.raises(InvalidToken):
        async with Bot("654321:WRONG", base_url=fake.base_url) as other:
            await other.get_me()


async def test_send_edit_and_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    markup = keyboard(("Yes", "y"), ("No", "n"))
    msg = await bot.send_message(USER, "Hello", reply_markup=markup)
    assert msg.text == "Hello" and msg.reply_markup == markup and msg.from_user.is_bot
    assert fake.last(USER).text == "Hello"
    assert fake.buttons(USER) == [("Yes", "y"), ("No", "n")]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Hello", USER, msg.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("Hello again", USER, msg.message_id, reply_markup=markup)
    assert edited.text == "Hello again" and edited.edit_date is not None
    await bot.edit_message_reply_markup(USER, msg.message_id, reply_markup=keyboard(("Ok", "ok")))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, msg.message_id, reply_markup=keyboard(("Ok", "ok")))
    record = fake.last(USER)
    assert [v.text for v in record.edits] == ["Hello", "Hello again"]
    assert fake.buttons(USER, msg.message_id) == [("Ok", "ok")]
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 9999)


async def test_validation_of_callback_data_length_and_html(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard(("a", "x" * 64)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER, "no", reply_markup=keyboard(("a", "x" * 65)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER, "no", reply_markup=keyboard(("a", "é" * 33)))  # 66 bytes
    await bot.send_message(USER, "y" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER, "y" * 4097)
    await bot.send_message(USER, "<b>" + "y" * 4096 + "</b>", parse_mode="HTML")
    for bad in ("<b>unclosed", "a < b", "Tom & Jerry", "<b><i>x</b></i>", "<div>x</div>",
                '<span class="x">s</span>'):
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(USER, bad, parse_mode="HTML")
    user_text = "<script>a < b && c > d</script> \"q\""
    msg = await bot.send_message(USER, f"<b>{html.escape(user_text)}</b>", parse_mode="HTML")
    assert msg.text == user_text and msg.entities[0].type == "bold"
    assert fake.last(USER).plain == user_text and fake.last(USER).parse_mode == "HTML"
    link = await bot.send_message(USER, '<a href="https://e.org/?a=1&amp;b=2">l</a> &#128512;',
                                  parse_mode="HTML")
    assert link.entities[0].url == "https://e.org/?a=1&b=2"


async def test_get_updates_offset_ack_and_long_poll(fake: FakeTelegram, bot: Bot) -> None:
    fake.user_text(USER, "one")
    fake.user_photo(USER, caption="pic")
    fake.user_sticker(USER)
    fake.user_voice(USER)
    fake.user_document(USER)
    updates = await bot.get_updates()
    assert updates[0].message.text == "/start" and updates[0].message.entities[0].type == "bot_command"
    assert [bool(u.message.photo) for u in updates[1:3]] == [False, True]
    assert updates[3].message.sticker and updates[4].message.voice and updates[5].message.document
    last_id = updates[-1].update_id
    assert await bot.get_updates(offset=last_id) == (updates[-1],)
    assert fake.acked_offset == last_id and len(fake.pending_updates()) == 1
    assert await bot.get_updates(offset=last_id + 1, timeout=0) == ()
    assert fake.pending_updates() == []

    started = time.monotonic()
    assert await bot.get_updates(offset=last_id + 1, timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 4  # waited for its 1 s timeout, then ended (no hang)

    asyncio.get_running_loop().call_later(0.2, fake.user_text, USER, "late")
    started = time.monotonic()
    late = await bot.get_updates(offset=last_id + 1, timeout=5)
    # Woken by the update (sent after 0.2 s) rather than by its 5 s timeout; the margin is for a busy machine.
    assert late[0].message.text == "late" and time.monotonic() - started < 4


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_and_rate_limit(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", error=429, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "x")
    assert info.value.retry_after in (3, dtm.timedelta(seconds=3))
    assert fake.http_429 == 1 and fake.sent(USER) == []
    fake.rate_limit(per_second=5)
    results = await asyncio.gather(*(bot.send_message(USER, str(i)) for i in range(8)),
                                   return_exceptions=True)
    assert sum(isinstance(r, RetryAfter) for r in results) == 3 and fake.http_429 == 4
    assert len(fake.sent(USER)) == 5
    await bot.send_chat_action(USER, "typing")  # chat actions are not counted
    fake.rate_limit(None)
    await bot.send_message(USER, "free again")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_per_chat_cap_allows_a_short_burst(fake: FakeTelegram, bot: Bot) -> None:
    seen: list[tuple[str, bool]] = []
    fake.observe(lambda method, params, ok: seen.append((method, ok)))
    fake.rate_limit(30, per_chat=1, chat_burst=3)
    results = await asyncio.gather(*(bot.send_message(USER, str(i)) for i in range(4)), return_exceptions=True)
    assert sum(isinstance(r, RetryAfter) for r in results) == 1 and len(fake.sent(USER)) == 3
    assert [r for r in results if isinstance(r, RetryAfter)][0].retry_after in (1, dtm.timedelta(seconds=1))
    other = fake.user_text(USER + 1, "hi")["message"]["chat"]["id"]
    await bot.send_message(other, "another chat has its own allowance")
    assert seen.count(("sendMessage", True)) == 4 and seen.count(("sendMessage", False)) == 1


async def test_403_blocked_and_injected(fake: FakeTelegram, bot: Bot) -> None:
    update = fake.block(USER)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="(?i)blocked by the user"):
        await bot.send_message(USER, "x")
    fake.unblock(USER)
    await bot.send_message(USER, "back")
    fake.fail_next("sendMessage", error=403, chat_id=USER)
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "x")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(777, "stranger")
    updates = await bot.get_updates()
    assert [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member] == [
        "kicked", "member"]


async def test_delete_respects_48_hours(fake: FakeTelegram, bot: Bot, clock: Clock) -> None:
    old = await bot.send_message(USER, "old")
    clock.now += 48 * 3600 + 1
    fresh = await bot.send_message(USER, "fresh")
    with pytest.raises(BadRequest, match="(?i)message can't be deleted"):
        await bot.delete_message(USER, old.message_id)
    assert await bot.delete_message(USER, fresh.message_id)
    assert fake.last(USER).deleted
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(USER, fresh.message_id)
    mine = fake.user_text(USER, "user message")["message"]["message_id"]
    again = await bot.send_message(USER, "again")
    assert await bot.delete_messages(USER, [old.message_id, mine, again.message_id, 9999])
    assert fake.sent(USER)[-1].deleted and not fake.sent(USER)[0].deleted
    with pytest.raises(BadRequest):
        await bot.delete_messages(USER, [old.message_id])


async def test_callback_answered_twice_fails(fake: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "Pick", reply_markup=keyboard(("A", "a")))
    fake.press(USER, msg.message_id, "a")
    with pytest.raises(ValueError):
        fake.press(USER, msg.message_id, "not-a-button")
    query = (await bot.get_updates())[-1].callback_query
    assert query.data == "a" and query.message.message_id == msg.message_id
    assert len(fake.unanswered_callbacks()) == 1
    assert await bot.answer_callback_query(query.id, text="done")
    assert fake.answered_callbacks[0]["text"] == "done" and fake.unanswered_callbacks() == []
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)


async def test_webhook_conflict_and_delivery(fake: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret", drop_pending_updates=True)
        assert fake.webhook.url == url and fake.webhook.secret == "s3cret"
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        update = fake.user_text(USER, "via hook")
        assert await fake.deliver_webhook(update) == 200
        assert received == [("s3cret", update)] and fake.pending_updates() == []
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()


async def test_uploads_commands_and_timeout(fake: FakeTelegram) -> None:
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
        photo = await bot.send_photo(USER, b"\x89PNG-bytes", caption="<i>cap</i>", parse_mode="HTML",
                                     reply_markup=keyboard(("Like", "like")))
        assert photo.caption == "cap" and photo.photo[-1].file_id
        assert fake.last(USER).kind == "photo" and fake.last(USER).file_bytes == b"\x89PNG-bytes"
        assert fake.buttons(USER) == [("Like", "like")]
        doc = await bot.send_document(USER, b"a,b\n1,2\n", filename="report.csv")
        assert doc.document.file_name == "report.csv" and fake.last(USER).file_name == "report.csv"
        await bot.send_photo(USER, photo.photo[-1].file_id)  # re-send by file_id
        with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
            await bot.send_document(USER, "no-such-file-id")

        await bot.set_my_commands([("start", "Start"), ("help", "Help")])
        assert [c["command"] for c in fake.commands] == ["start", "help"]
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        with pytest.raises(BadRequest):
            await bot.set_my_commands([("Bad-Command", "x")])

        fake.fail_next("sendMessage", error="timeout", delay=0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow")
        sent = await fake.wait_for_messages(USER, 4, timeout=2)  # processed after the hold
        assert sent[-1].text == "slow"
        with pytest.raises(TimeoutError, match="bot message"):
            await fake.wait_for_messages(USER, 10, timeout=0.05)


async def test_application_polling_round_trip(fake: FakeTelegram) -> None:
    async def start(update, context) -> None:
        await update.message.reply_text("Menu", reply_markup=keyboard(("Go", "go")))

    async def pressed(update, context) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Gone")

    app = Application.builder().token(TOKEN).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=5)
        menu = (await fake.wait_for_messages(USER, 1))[0]  # answers the fixture's /start
        fake.press(USER, menu.message_id, "go")
        await fake.wait_for(lambda: fake.last(USER).text == "Gone")
        await app.updater.stop()
        await app.stop()
    assert fake.errors == [] and fake.unanswered_callbacks() == [] and fake.pending_updates() == []
