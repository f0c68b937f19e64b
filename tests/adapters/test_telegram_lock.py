"""The lock over Telegram: PTB's real HTTP client against the strict fake Bot API, a real SQLite file.

/lock shows a 4×3 number pad; its keys edit that one message in place and no digit of the PIN is ever in a
message; the PIN is set after ✓ and the same again. /exit, then any message, shows the neutral start; "Back to
where I was" asks for the PIN; the PIN returns the person to their place. Locked, a strangulation message gets
the crisis screen with the emergency number in that same turn."""

from __future__ import annotations

import re

import pytest

from tests.adapters.test_telegram_e2e import Harness, bot, fake  # noqa: F401
from tests.adapters.test_telegram_journeys import Person, assert_clean

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

USER = 6262
PIN = "2580"
PAD_ROWS = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["⌫", "0", "✓"]]
PAD_TEXT = re.compile(r"^(Choose a PIN of 4 to 8 digits\.|Enter the same PIN once more\.)\n\n[●○ ]+$")


def calls(bot: Harness, method: str) -> list[dict]:
    return [params for name, params in bot.fake.calls if name == method]


def texts_sent(bot: Harness) -> list[str]:
    """Every text the bot sent or edited, in order."""
    return [str(p.get("text", "")) for name, p in bot.fake.calls if name in ("sendMessage", "editMessageText")]


def rows(rec) -> list[list[str]]:
    return [[b["text"] for b in row] for row in (rec.reply_markup or {}).get("inline_keyboard") or []]


def lock_row(bot: Harness, user: int = USER):
    return bot.app.store.execute("SELECT pin, locked FROM locks WHERE person = ?", (f"tg:{user}",)).fetchone()


async def enter(person: Person, pin: str) -> str:
    shown = ""
    for digit in pin:
        shown = await person.press(digit)
    return shown + await person.press("✓")


async def at_signs_pick(bot: Harness) -> Person:
    person = Person(bot, USER)
    await person.agree()
    with bot.app.store.transaction():
        bot.app.store.set_profile(f"tg:{USER}", country="gb")  # the emergency number is 999
    await person.press(bot.app.content.flows["signs"].title)
    await person.press("Let's start")
    assert person.at() == "signs pick"
    return person


async def set_pin(bot: Harness, person: Person) -> None:
    await person.command("/lock")
    await enter(person, PIN)
    await enter(person, PIN)
    assert lock_row(bot)[0] is not None


async def test_the_pad_edits_one_message_and_never_shows_a_digit(bot: Harness) -> None:
    person = await at_signs_pick(bot)
    await person.command("/lock")
    pad = person.keyboard_message()
    assert "Choose a PIN of 4 to 8 digits." in pad.plain
    keyboard = rows(pad)
    assert keyboard[:4] == PAD_ROWS  # the 4×3 pad, as the fake server received it
    assert keyboard[4:] == [["Help and support lines"], ["Back to where I was"]]
    datas = [d for _, d in bot.fake.buttons(USER, pad.message_id)][:12]
    assert all(re.fullmatch(r".*pin:(\d|del|ok)$", d) for d in datas), datas

    sent_before, edits_before = len(calls(bot, "sendMessage")), len(calls(bot, "editMessageText"))
    for n, digit in enumerate(PIN, 1):
        await person.press(digit)
        assert person.keyboard_message().message_id == pad.message_id
        assert pad.plain.endswith(" ".join(["●"] * n + ["○"] * (4 - n)))
    assert len(calls(bot, "sendMessage")) == sent_before  # no new message for a key
    assert len(calls(bot, "editMessageText")) == edits_before + len(PIN)
    await person.press("⌫")
    assert pad.plain.endswith("● ● ● ○")
    await person.press("0")
    await person.press("✓")
    assert "Enter the same PIN once more." in pad.plain and rows(pad)[:4] == PAD_ROWS
    assert lock_row(bot) is None or lock_row(bot)[0] is None  # one entry sets nothing
    shown = await enter(person, PIN)
    assert "Your PIN is set." in shown
    assert lock_row(bot)[0] is not None and lock_row(bot)[1] == 0
    assert person.at() == "signs pick"
    assert len(calls(bot, "sendMessage")) > sent_before  # the notes after setting it

    pad_texts = [str(p["text"]) for p in calls(bot, "editMessageText")
                 if int(p["message_id"]) == pad.message_id and ("●" in str(p["text"]) or "○" in str(p["text"]))]
    assert len(pad_texts) >= 2 * len(PIN) + 2, pad_texts  # every key drew the pad again
    for text in pad_texts:  # the note, then dots: not one digit of what was pressed
        assert PAD_TEXT.match(text), text
    assert not any(PIN in text for text in texts_sent(bot))
    assert_clean(bot.fake)


async def test_exit_then_neutral_start_then_the_pin_returns_to_the_place(bot: Harness) -> None:
    person = await at_signs_pick(bot)
    await set_pin(bot, person)
    await person.command("/exit")
    assert lock_row(bot)[1] == 1
    shown = await person.text("hi, is anyone there")
    assert person.at() == "welcome hello"
    assert "Hello. What would you like to do?" in shown
    assert "Noticing the signs" not in shown and "Decisions get made for me" not in shown
    shown = await person.press("Back to where I was")
    assert "This chat is locked. Enter your PIN to carry on." in shown
    assert rows(person.keyboard_message())[:4] == PAD_ROWS
    assert "Decisions get made for me" not in shown
    shown = await enter(person, "1111")
    assert "didn't match" in shown and lock_row(bot)[1] == 1
    shown = await enter(person, PIN)
    assert "Unlocked." in shown
    assert person.at() == "signs pick"
    assert "Decisions get made for me" in shown  # the place, shown again
    assert lock_row(bot)[1] == 0
    assert not any(PIN in text for text in texts_sent(bot))
    assert_clean(bot.fake)


async def test_locked_a_strangulation_message_gets_the_crisis_screen_at_once(bot: Harness) -> None:
    person = await at_signs_pick(bot)
    await set_pin(bot, person)
    await person.command("/exit")
    shown = await person.text("he choked me last night")
    assert person.at() == "crisis respond"
    assert "Call 999" in shown and "choked or strangled" in shown
    assert "Enter your PIN" not in shown
    assert lock_row(bot)[1] == 1
    # help, then Back: the pad, not the topic
    await person.command("/help")
    assert person.at() == "help help"
    shown = await person.press("Back to where I was")
    assert "Enter your PIN" in shown and "Decisions get made for me" not in shown
    shown = await enter(person, PIN)
    assert person.at() == "signs pick"
    assert_clean(bot.fake)


async def test_locked_the_journal_and_old_buttons_show_the_pad(bot: Harness) -> None:
    person = await at_signs_pick(bot)
    await person.command("/journal a line nobody else should read")
    await set_pin(bot, person)
    await person.command("/lock now")
    await person.text("hello")  # the neutral start
    shown = await person.command("/journal")
    assert "Enter your PIN" in shown and "nobody else should read" not in shown
    shown = await person.command("/progress")
    assert "Enter your PIN" in shown and "nobody else should read" not in shown
    shown = await enter(person, PIN)
    assert "Unlocked." in shown  # the held-back /progress, carried out now
    assert person.at().startswith("progress ")
    assert_clean(bot.fake)
