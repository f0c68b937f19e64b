"""The offline Bot API (tests/support/offline.py) refuses what the HTTP fake (tests/support/fake_telegram.py)
refuses, because both apply tests/support/bot_api_rules.py: bad HTML, text or captions that are too long,
callback data over 64 bytes, empty text. Each case goes through python-telegram-bot's real Bot against both."""

from __future__ import annotations

import types

import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from tests.support import bot_api_rules as rules
from tests.support.fake_telegram import FakeTelegram
from tests.support.offline import OfflineRequest, offline

TOKEN = "123456:RULES"
USER = 4242
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data=data)]])


# (id, what to call on the Bot, the start of Telegram's description or None when it is accepted)
CASES = [
    ("plain html", lambda b: b.send_message(USER, "<b>fine</b> &amp; &lt;ok&gt;", parse_mode=ParseMode.HTML), None),
    ("unknown tag", lambda b: b.send_message(USER, "<p>para</p>", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities: Unsupported start tag"),
    ("unclosed tag", lambda b: b.send_message(USER, "<b>bold", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities: Can't find end tag"),
    ("misnested tags", lambda b: b.send_message(USER, "<b><i>x</b></i>", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities: Unmatched end tag"),
    ("bare ampersand", lambda b: b.send_message(USER, "you & me", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities: Unsupported character entity"),
    ("bare less-than", lambda b: b.send_message(USER, "1 < 2", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities"),
    ("text at the limit", lambda b: b.send_message(USER, "x" * rules.TEXT_LIMIT), None),
    ("text too long", lambda b: b.send_message(USER, "x" * (rules.TEXT_LIMIT + 1)),
     "Bad Request: message is too long"),
    ("markup counts after parsing", lambda b: b.send_message(USER, "<b>" + "x" * rules.TEXT_LIMIT + "</b>",
                                                             parse_mode=ParseMode.HTML), None),
    ("empty after parsing", lambda b: b.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML),
     "Bad Request: message text is empty"),
    ("caption too long", lambda b: b.send_photo(USER, PNG, caption="y" * (rules.CAPTION_LIMIT + 1)),
     "Bad Request: message caption is too long"),
    ("caption at the limit", lambda b: b.send_photo(USER, PNG, caption="y" * rules.CAPTION_LIMIT), None),
    ("callback data at 64 bytes", lambda b: b.send_message(USER, "x", reply_markup=keyboard("é" * 32)), None),
    ("callback data over 64 bytes", lambda b: b.send_message(USER, "x", reply_markup=keyboard("é" * 32 + "z")),
     "Bad Request: BUTTON_DATA_INVALID"),
    ("bad html in a document caption", lambda b: b.send_document(USER, b"data", filename="a.txt",
                                                                  caption="<x>", parse_mode=ParseMode.HTML),
     "Bad Request: can't parse entities"),
    ("chat action", lambda b: b.send_chat_action(USER, "dancing"), "Bad Request: wrong parameter action"),
]


@pytest_asyncio.fixture
async def fake_bot():
    fake = FakeTelegram(TOKEN)
    await fake.start()
    fake.user_command(USER, "/start")  # makes the private chat known
    async with Bot(TOKEN, base_url=fake.base_url) as bot:
        yield bot
    await fake.stop()


@pytest_asyncio.fixture
async def offline_bot():
    bot = Bot(TOKEN)
    request = offline(types.SimpleNamespace(bot=bot), OfflineRequest())
    async with bot:
        yield bot, request


async def outcome(call, bot: Bot) -> str | None:
    try:
        await call(bot)
    except BadRequest as exc:
        return exc.message
    return None


@pytest.mark.parametrize("call, refused", [pytest.param(c, r, id=i) for i, c, r in CASES])
async def test_offline_refuses_exactly_what_the_fake_refuses(call, refused, fake_bot, offline_bot) -> None:
    bot, request = offline_bot
    from_fake = await outcome(call, fake_bot)
    from_offline = await outcome(call, bot)
    if refused is None:
        assert from_fake is None and from_offline is None and request.refused == []
    else:
        # PTB drops the "Bad Request: " prefix from the exception's message and capitalises it; the logs keep it.
        assert from_fake is not None and refused.startswith("Bad Request: ")
        assert from_fake.casefold().startswith(refused.removeprefix("Bad Request: ").casefold()), from_fake
        assert from_offline == from_fake
        [(_, description)] = request.refused
        assert description.startswith(refused)


async def test_offline_answers_with_the_plain_text_telegram_would_store(offline_bot) -> None:
    bot, request = offline_bot
    sent = await bot.send_message(USER, "  <b>bold</b> &amp; <i>it</i>  ", parse_mode=ParseMode.HTML)
    assert sent.text == "bold & it"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4), ("italic", 7, 2)]
    assert request.last[USER]["text"] == "bold & it" and request.refused == []


async def test_an_edit_is_held_to_the_same_rules(fake_bot, offline_bot) -> None:
    bot, request = offline_bot
    for b in (fake_bot, bot):
        sent = await b.send_message(USER, "first", reply_markup=keyboard("ok"))
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await b.edit_message_text("z" * (rules.TEXT_LIMIT + 1), chat_id=USER, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await b.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id,
                                              reply_markup=keyboard("d" * (rules.CALLBACK_DATA_BYTES + 1)))
    assert [m for m, _ in request.refused] == ["editMessageText", "editMessageReplyMarkup"]
