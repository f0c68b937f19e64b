"""/record over the fake Bot API: a quick entry's message leaves the chat, the list's callback data fits, the
walk's typed answers leave the chat, and the PDF arrives after the warning and goes when "I've saved it" is
pressed."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.adapters.test_telegram_e2e import USER, Harness, agreed, bot, fake, last_with_buttons, press, say, \
    their_message  # noqa: F401 - fixtures

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]


async def test_a_quick_entry_leaves_the_chat_and_the_list_shows_no_words(bot: Harness) -> None:
    await agreed(bot)
    await say(bot, "/record Orlanth took the car keys again")
    assert [e["what"] for e in bot.app.store.records(f"tg:{USER}")] == ["Orlanth took the car keys again"]
    assert their_message(bot.fake, "/record Orlanth took the car keys again").deleted
    shown = [r.plain for r in bot.fake.sent(USER) if not r.deleted]
    assert not any("Orlanth" in text for text in shown)
    rec = last_with_buttons(bot.fake)
    for _, data in bot.fake.buttons(USER, rec.message_id):
        assert len(data.encode()) <= 64
    await press(bot, "Add an entry")
    await press(bot, "Yesterday")
    await say(bot, "Orlanth read my messages")
    assert their_message(bot.fake, "Orlanth read my messages").deleted
    assert bot.where() == ("record_entry", "place")


async def test_the_pdf_comes_after_the_warning_and_leaves_once_saved(bot: Harness) -> None:
    await agreed(bot)
    await say(bot, "/record Wexley shouted in the meeting — café ñ")
    await say(bot, "/record_export")
    await press(bot, "All of them")
    await press(bot, "Keep it plain")
    warning = last_with_buttons(bot.fake)
    assert "stay in this chat" in warning.plain
    await press(bot, "Send it without one")
    [doc] = [r for r in bot.fake.sent(USER) if r.kind == "document"]
    assert doc.file_name.startswith("notes-") and doc.file_name.endswith(".pdf")  # a neutral name
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(doc.file_bytes)).pages)
    assert "Wexley shouted in the meeting — café ñ" in text
    assert [t for t, _ in bot.fake.buttons(USER, doc.message_id)] == ["I've saved it"]
    await press(bot, "I've saved it")
    assert doc.deleted
    assert bot.where() == ("record_export", "gone")
    assert "Removed from this chat" in last_with_buttons(bot.fake).plain
