"""Languages on Telegram: the person's language_code picks the content language on first contact; command
menus are registered per content language, and for a chat when its person picks one with /language."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.adapters.test_telegram_e2e import USER, Harness, fake, press, say  # noqa: F401 - fake: a fixture
from tests.support.pseudo import pseudo_languages

OTHER = 5151


@pytest.fixture(scope="module")
def languages(tmp_path_factory):
    return pseudo_languages(tmp_path_factory.mktemp("pseudo"))


@pytest_asyncio.fixture
async def bot(fake, store_path, languages):
    harness = Harness(fake, store_path, languages)
    await harness.start()
    yield harness
    if harness.application is not None and harness.application.running:
        await harness.stop()


async def test_command_menus_are_registered_per_language(bot: Harness) -> None:
    fake, langs = bot.fake, bot.app.languages
    assert [c["description"] for c in fake.commands] == list(langs["en"].common.listed_commands.values())
    for lang in ("en", "xx"):
        sent = fake.commands_for(language_code=lang)
        assert [(c["command"], c["description"]) for c in sent] == list(langs[lang].common.listed_commands.items())


async def test_language_code_decides_first_contact_and_language_sets_the_chats_menu(bot: Harness) -> None:
    fake = bot.fake
    fake.user_languages[USER] = "xx-yy"
    fake.user_languages[OTHER] = None  # Telegram sent no language
    await say(bot, "/start", USER)
    await say(bot, "/start", OTHER)
    assert "⟦" in fake.last(USER).plain and "⟦" not in fake.last(OTHER).plain
    await say(bot, "/language", USER)
    await press(bot, "English", USER)
    assert "From now on I'll write in English." in [r.plain for r in fake.sent(USER)][-2]
    chat_menu = fake.commands_for({"type": "chat", "chat_id": USER})
    assert [c["description"] for c in chat_menu] == list(bot.app.languages["en"].common.listed_commands.values())


async def test_the_fake_refuses_what_the_bot_api_refuses(bot: Harness) -> None:
    from telegram import BotCommand
    from telegram.error import BadRequest

    api = bot.application.bot
    with pytest.raises(BadRequest):
        await api.set_my_commands([BotCommand("start", "Start")], language_code="eng")
