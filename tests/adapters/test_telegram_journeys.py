"""Every conversation in tests/journeys/*.yaml replayed over Telegram, the way a new user would: the real
Application (build_application) on a real SQLite file, PTB's HTTP client against the strict fake Bot API.

A journey's `lang` is the Telegram user's language_code (every content language is loaded then, so "es-MX" meets
content/es/ from the first message) and `country` the practice's FULCRUM_DEFAULT_COUNTRY.

A turn's `send` becomes a command, a press of the N-th button (row-major: console option N), a press of the
button with that label (or the label typed out when no such button is shown), or free text. What the bot sent
or edited for the turn must hold each `expect`; `at` is the person's conversation as saved in the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.core.test_journeys import _all_languages
from tests.core.test_spanish_screens import english_pieces, leaks
from tests.support.fake_telegram import FakeTelegram
# The end-to-end tests' harness and its `fake` / `bot` fixtures, shared rather than written twice.
from tests.adapters.test_telegram_e2e import Harness, bot, fake  # noqa: F401

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

JOURNEYS = sorted((ROOT / "tests" / "journeys").glob("*.yaml"))
USER = 5151
# Every `pytest` replays these over Telegram (a calm one, one through the crisis path, one with someone at work, one
# on the afraid path through three topics, and in Spanish from an es-MX app a crisis path and two topics); CI=true
# all of them. All journeys also run in-process and through the console on every run (tests/core/test_journeys.py).
FAST_JOURNEYS = {"boundaries", "walk_away_unsafe", "work_causes_support_contexts", "afraid_signs_contexts_causes",
                 "es_crisis_mx", "es_boundaries", "es_signs"}


# ---- a person at the keyboard ---------------------------------------------------------------------------

class Person:
    """One Telegram user talking to the bot; each turn waits until the bot has answered it."""

    def __init__(self, bot: Harness, user: int = USER):
        self.bot, self.fake, self.user = bot, bot.fake, user

    # -- what is on screen
    def keyboard_message(self):
        for rec in reversed(self.fake.sent(self.user)):
            if not rec.deleted and (rec.reply_markup or {}).get("inline_keyboard"):
                return rec
        return None

    def buttons(self) -> list[tuple[str, str]]:
        rec = self.keyboard_message()
        return [] if rec is None else self.fake.buttons(self.user, rec.message_id)

    def _snapshot(self) -> dict[int, int]:
        return {r.message_id: len(r.edits) for r in self.fake.sent(self.user)}

    def _shown_since(self, before: dict[int, int]) -> str:
        """Text and button labels of every message sent or edited since `before` (a button is the console's
        `[N] label` line). The "→ chosen" edit of a pressed question is not new output and is left out."""
        out: list[str] = []
        for rec in self.fake.sent(self.user):
            if rec.message_id in before and len(rec.edits) == before[rec.message_id]:
                continue
            labels = [t for t, _ in self.fake.buttons(self.user, rec.message_id)]
            if rec.message_id in before:
                previous = rec.edits[before[rec.message_id]]
                if not labels and previous.reply_markup and "→" in (rec.plain or ""):
                    continue  # the pressed question showing the answer chosen
            out.append("\n".join([rec.plain or "", *labels]))
        return "\n\n".join(out)

    async def _settle(self) -> None:
        await self.bot.settle()
        await self.fake.wait_for(lambda: not self.fake.unanswered_callbacks(), 8, what="callbacks answered")

    # -- what a person does
    async def command(self, text: str) -> str:
        before = self._snapshot()
        self.fake.user_text(self.user, text)
        await self._settle()
        return self._shown_since(before)

    async def text(self, text: str) -> str:
        before = self._snapshot()
        self.fake.user_text(self.user, text)
        await self._settle()
        return self._shown_since(before)

    async def press(self, label: str | None = None, *, number: int | None = None) -> str:
        rec = self.keyboard_message()
        assert rec is not None, "no message with buttons"
        buttons = self.fake.buttons(self.user, rec.message_id)
        if number is not None:
            data = buttons[number - 1][1]
        else:
            match = [d for t, d in buttons if t == label]
            assert match, f"no button {label!r} among {[t for t, _ in buttons]}"
            data = match[0]
        assert data is not None and len(data.encode()) <= 64
        before = self._snapshot()
        self.fake.press(self.user, rec.message_id, data)
        await self._settle()
        return self._shown_since(before)

    async def send(self, line: str) -> str:
        """A journey's `send`, as the console understands it, done with Telegram's means."""
        text = line.strip()
        if text.startswith("/"):
            return await self.command(text)
        labels = [t for t, _ in self.buttons()]
        if text.isdigit() and 1 <= int(text) <= len(labels):
            return await self.press(number=int(text))
        if line in labels:
            return await self.press(line)
        return await self.text(line)

    # -- what the bot remembers
    def at(self) -> str:
        """The conversation saved in the database; before agreeing nothing is saved (kept in memory only)."""
        person = self.bot.app.store.load(f"tg:{self.user}")
        if person is not None:
            return f"{person.conversation.flow} {person.conversation.step}"
        pending = self.bot.app._pending.get(f"tg:{self.user}")
        assert pending is not None, "no conversation saved or pending"
        return f"{pending.flow} {pending.step}"

    async def agree(self) -> None:
        await self.command("/start")
        await self.press("I understand, let's begin")
        assert self.at() == "menu home"
        # As if they had already said who the topics are about (content/flows/relationship.yaml).
        self.bot.app.store.set_profile(f"tg:{self.user}", relationship="partner")


def assert_clean(fake: FakeTelegram) -> None:
    assert fake.errors == [], f"requests the fake refused: {fake.errors}"
    assert fake.unanswered_callbacks() == []


# ---- the journeys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=() if p.stem in FAST_JOURNEYS else pytest.mark.slow)
                                  for p in JOURNEYS])
async def test_journey_over_telegram(path: Path, fake: FakeTelegram, store_path, content) -> None:
    assert FAST_JOURNEYS <= {p.stem for p in JOURNEYS}
    journey = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert journey.get("turns"), f"{path.name}: no turns"
    settings = {"default_country": journey["country"]} if journey.get("country") else {}
    bot = Harness(fake, store_path, _all_languages() if journey.get("lang") else content, **settings)
    await bot.start()
    try:
        await _replay_over_telegram(path, journey, bot)
    finally:
        if bot.application is not None and bot.application.running:
            await bot.stop()


async def _replay_over_telegram(path: Path, journey: dict, bot: Harness) -> None:
    if journey.get("lang"):
        bot.fake.user_languages[USER] = journey["lang"]  # what every update from this person carries
    person = Person(bot)
    spanish = bot.app.pick_language(journey.get("lang")) == "es"
    english = english_pieces() if spanish else {}
    for i, turn in enumerate(journey["turns"], 1):
        shown = await person.send(str(turn["send"]))
        where = f"{path.name} turn {i} ({turn['send']!r})"
        for piece in turn.get("expect", []):
            assert piece in shown, f"{where}: {piece!r} not in what the bot sent:\n{shown}"
        for piece in turn.get("absent", []):
            assert piece not in shown, f"{where}: {piece!r} in what the bot sent:\n{shown}"
        if spanish:  # what the adapter adds (buttons such as "Copiar 911", notes) is Spanish too
            assert leaks([shown], english) == [], f"{where}: English in what the bot sent:\n{shown}"
        if "at" in turn:
            assert person.at() == turn["at"], f"{where}: at {person.at()}"
        assert_clean(bot.fake)
    assert_clean(bot.fake)


# ---- a new user's probes --------------------------------------------------------------------------------

async def test_every_menu_topic_and_its_first_button(bot: Harness) -> None:
    first = Person(bot, USER)
    await first.agree()
    topics = [t for t, _ in first.buttons()]
    assert len(topics) >= 5
    for n, topic in enumerate(topics, 1):
        person = Person(bot, USER + n)
        await person.agree()
        shown = await person.press(topic)
        assert shown, f"{topic!r}: nothing shown"
        if person.buttons():
            after = await person.press(number=1)
            assert after, f"{topic!r} → first button: nothing shown"
        assert_clean(bot.fake)


async def test_the_same_button_pressed_twice(bot: Harness) -> None:
    person = Person(bot)
    await person.agree()
    menu = person.keyboard_message()
    data = [d for t, d in bot.fake.buttons(USER, menu.message_id) if t == bot.app.content.flows["signs"].title][0]
    await person.press(bot.app.content.flows["signs"].title)
    assert person.at() == "signs intro"
    before = person._snapshot()
    bot.fake.press(USER, menu.message_id, data, check=False)  # a second tap on the (now edited) question
    await person._settle()
    shown = person._shown_since(before)
    assert person.at() == "signs intro"
    assert bot.app.content.note("stale") in shown
    assert_clean(bot.fake)


async def test_help_then_back_to_where_i_was(bot: Harness) -> None:
    person = Person(bot)
    await person.agree()
    await person.press(bot.app.content.flows["signs"].title)
    await person.press("Let's start")
    assert person.at() == "signs pick"
    await person.command("/help")
    resume = bot.app.content.common.options["resume"]
    assert resume in [t for t, _ in person.buttons()], person.buttons()
    await person.press(resume)
    assert person.at() == "signs pick"
    assert_clean(bot.fake)


async def test_a_photo_with_a_crisis_caption_is_answered(bot: Harness) -> None:
    person = Person(bot)
    await person.agree()
    before = person._snapshot()
    bot.fake.user_photo(USER, caption="I want to die")
    await person._settle()
    shown = person._shown_since(before)
    assert person.at().startswith("crisis ")
    assert bot.app.content.note("only_text") not in shown
    assert shown
    assert_clean(bot.fake)


async def test_a_photo_with_a_crisis_caption_before_agreeing(bot: Harness) -> None:
    person = Person(bot)
    bot.fake.user_photo(USER, caption="I want to die")
    await person._settle()
    assert bot.fake.sent(USER), "a crisis before agreeing went unanswered"
    assert_clean(bot.fake)


async def test_exit_then_carrying_on(bot: Harness) -> None:
    person = Person(bot)
    await person.agree()
    await person.press(bot.app.content.flows["signs"].title)
    await person.command("/exit")
    assert person.at() == "signs intro"
    live = [r for r in bot.fake.sent(USER) if not r.deleted]
    assert live[-1].plain.startswith(bot.app.content.note("chat_cleared"))
    shown = await person.command("/menu")  # the first message after /exit gets a neutral start
    assert person.at() == "welcome hello" and shown
    assert bot.app.content.flows["signs"].title not in "".join(shown)
    await person.command("/menu")
    assert person.at() == "menu home"
    await person.press(bot.app.content.flows["signs"].title)
    await person.press("Let's start")
    assert person.at() == "signs pick"
    assert_clean(bot.fake)


async def test_delete_everything_then_start_again_is_a_new_person(bot: Harness) -> None:
    person = Person(bot)
    await person.agree()
    await person.press(bot.app.content.flows["signs"].title)
    await person.command("/delete")
    await person.press("Delete everything")
    assert bot.count("SELECT count(*) FROM people WHERE id = ?", f"tg:{USER}") == 0
    shown = await person.command("/start")
    assert "I'm Fulcrum" in shown
    assert "I understand, let's begin" in [t for t, _ in person.buttons()]
    assert person.at() == "onboarding notice"
    assert_clean(bot.fake)


async def test_delete_everything_tapped_twice_edits_no_missing_message(bot: Harness) -> None:
    """Both taps arrive before the first is handled: the second finds no one (the chat is already cleared) and
    must not try to mark its answer on a message that is gone."""
    person = Person(bot)
    await person.agree()
    await person.command("/delete")
    rec = person.keyboard_message()
    data = [d for t, d in bot.fake.buttons(USER, rec.message_id) if t == "Delete everything"][0]
    bot.fake.press(USER, rec.message_id, data)
    bot.fake.press(USER, rec.message_id, data)
    await person._settle()
    assert bot.count("SELECT count(*) FROM people WHERE id = ?", f"tg:{USER}") == 0
    assert_clean(bot.fake)


async def test_a_self_loop_option_tapped_twice_moves_once(bot: Harness) -> None:
    """"Off" keeps them on the check-in settings (same turn): a double tap is applied twice, harmlessly."""
    person = Person(bot)
    await person.agree()
    await person.command("/checkins")
    rec = person.keyboard_message()
    data = [d for t, d in bot.fake.buttons(USER, rec.message_id) if t == "Off"][0]
    bot.fake.press(USER, rec.message_id, data)
    bot.fake.press(USER, rec.message_id, data)
    await person._settle()
    assert person.at() == "checkins reminders"
    assert bot.app.store.load(f"tg:{USER}").profile.get("checkins") == "off"
    assert_clean(bot.fake)


async def test_quick_ticks_on_a_checklist_are_all_kept(bot: Harness) -> None:
    """Two ticks tapped before the first edit arrives both carry the keyboard a tick behind: both count, on the
    same message, with no "from an earlier message" note."""
    person = Person(bot)
    await person.agree()
    await person.press(bot.app.content.flows["signs"].title)
    await person.press("Let's start")
    rec = person.keyboard_message()
    buttons = person.buttons()
    before = person._snapshot()
    bot.fake.press(USER, rec.message_id, buttons[0][1])
    bot.fake.press(USER, rec.message_id, buttons[2][1])
    await person._settle()
    assert bot.app.content.note("stale") not in person._shown_since(before)
    assert person.keyboard_message().message_id == rec.message_id
    labels = [t for t, _ in person.buttons()]
    assert "✓" in labels[0] and "✓" in labels[2] and "✓" not in labels[1]
    await person.press("Done")
    assert person.at() == "signs often"
    assert_clean(bot.fake)
    # a tick on a checklist that is no longer the one on screen is still stale
    before = person._snapshot()
    bot.fake.press(USER, rec.message_id, buttons[1][1], check=False)
    await person._settle()
    assert bot.app.content.note("stale") in person._shown_since(before)
    assert person.at() == "signs often"
