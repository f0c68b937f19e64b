"""End-to-end: PTB's real HTTP client against the fake Bot API on 127.0.0.1, a real SQLite file, and the
Application built by the same factory `fulcrum run` uses."""

from __future__ import annotations

import asyncio
import html
import io
import logging

import pytest
import pytest_asyncio
from telegram import Update

from bot.adapters.console import Console
from bot.adapters.telegram import Poller, WebhookServer, process_batch, set_commands
from bot.adapters.telegram.app import adapter_of
from flows.model import Reply
from tests.conftest import make_app
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import app_and_application

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

TOKEN = "987654321:AAtestTOKENsecretVALUE_abcdefghijklmn"
USER = 4242


class Harness:
    """One running bot (Application + Poller) on a database file; stop() and start() again to restart."""

    def __init__(self, fake: FakeTelegram, store_path, content, **settings):
        self.fake, self.store_path, self.content = fake, store_path, content
        self.settings = settings  # more app settings (e.g. default_country), as FULCRUM_* would give them
        self.app = None
        self.application = None
        self.poller: Poller | None = None

    def build(self):
        self.app, self.application = app_and_application(self.store_path, self.content, token=TOKEN,
                                                          settings=self.settings, base_url=self.fake.base_url,
                                                          timeout=3, backoff=0.05)
        return self.application

    def make_poller(self) -> Poller:
        return Poller(self.application, timeout=1, backoff=0.05)

    async def start(self, *, poll: bool = True) -> None:
        self.build()
        await self.application.initialize()
        await set_commands(self.application)
        await self.application.start()
        if poll:
            self.poller = self.make_poller()
            self.poller.start()

    async def stop(self, *, ack: bool = True) -> None:
        if self.poller is not None:
            await self.poller.stop(ack=ack)
            self.poller = None
        await self.application.stop()
        await self.application.shutdown()
        self.app.store.close()

    async def settle(self, timeout: float = 8) -> None:
        """Every queued update processed and acknowledged (the poller acks only after processing)."""
        await self.fake.wait_for(lambda: not self.fake.pending_updates(), timeout, what="updates acknowledged")

    @property
    def adapter(self):
        return adapter_of(self.application)

    def where(self, user: int = USER) -> tuple[str, str]:
        person = self.app.store.load(f"tg:{user}")
        assert person is not None
        return person.conversation.flow, person.conversation.step

    def count(self, sql: str, *params) -> int:
        return self.app.store.execute(sql, params).fetchone()[0]


@pytest_asyncio.fixture
async def fake():
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def bot(fake, store_path, content):
    harness = Harness(fake, store_path, content)
    await harness.start()
    yield harness
    if harness.application is not None and harness.application.running:
        await harness.stop()


# ---- helpers ------------------------------------------------------------------------------------------

def last_with_buttons(fake: FakeTelegram, chat: int = USER):
    for rec in reversed(fake.sent(chat)):
        if not rec.deleted and (rec.reply_markup or {}).get("inline_keyboard"):
            return rec
    raise LookupError("no message with buttons")


async def press(bot: Harness, label: str, chat: int = USER, *, startswith: bool = False):
    """Press the button with this label on the newest message that has buttons, and wait until handled."""
    rec = last_with_buttons(bot.fake, chat)
    buttons = bot.fake.buttons(chat, rec.message_id)
    match = [d for t, d in buttons if (t.startswith(label) if startswith else t == label)]
    assert match, f"no button {label!r} among {[t for t, _ in buttons]}"
    bot.fake.press(chat, rec.message_id, match[0])
    await bot.settle()
    return rec


async def say(bot: Harness, text: str, chat: int = USER) -> None:
    bot.fake.user_text(chat, text)
    await bot.settle()


async def agreed(bot: Harness, chat: int = USER) -> None:
    """/start, the onboarding notice, agree: at the main menu."""
    bot.fake.user_command(chat, "/start")
    await bot.settle()
    await press(bot, "I understand, let's begin", chat)
    assert bot.where(chat) == ("menu", "home")
    # As if they had already said who the topics are about (asked before the first topic picked in the menu:
    # content/flows/relationship.yaml), so a press on a topic opens it.
    bot.app.store.set_profile(f"tg:{chat}", relationship="partner")


def original(rec) -> tuple[str, list[str]]:
    """A bot message as first sent: its text (unescaped) and its button labels."""
    text = rec.edits[0].text if rec.edits else rec.text
    markup = rec.edits[0].reply_markup if rec.edits else rec.reply_markup
    rows = (markup or {}).get("inline_keyboard") or []
    return html.unescape(text or ""), [b["text"] for row in rows for b in row]


def menu_label(bot: Harness, flow_id: str) -> str:
    return bot.app.content.flows[flow_id].title


# ---- the conversation ------------------------------------------------------------------------------------

async def test_start_onboarding_agree_menu_and_signs_by_buttons(bot: Harness) -> None:
    fake = bot.fake
    assert [c["command"] for c in fake.commands] == list(bot.app.content.common.listed_commands)
    fake.user_command(USER, "/start")
    await bot.settle()
    assert "I'm Fulcrum" in fake.last(USER).plain
    assert bot.count("SELECT count(*) FROM people") == 0  # nothing stored before agreeing
    sent = len(fake.sent(USER))
    question = await press(bot, "I understand, let's begin")
    # the pressed message becomes the next step (one edit): the notice does not linger, no new message
    after = [r for r in fake.sent(USER) if r.message_id == question.message_id][0]
    assert len(fake.sent(USER)) == sent and after.plain.startswith("What would you like to look at?")
    assert menu_label(bot, "signs") in [t for t, _ in fake.buttons(USER, after.message_id)]
    assert bot.where() == ("menu", "home")
    await press(bot, menu_label(bot, "signs"))
    # the first topic picked in the menu asks, once, who the topics are about; the answer opens the topic
    assert bot.where() == ("relationship", "who")
    await press(bot, "Someone at work")
    assert bot.where() == ("signs", "intro")
    assert bot.app.store.load(f"tg:{USER}").profile["relationship"] == "work"
    await press(bot, "Let's start")
    checklist = last_with_buttons(fake)
    await press(bot, "My views don't seem to count")  # the items for someone at work
    await press(bot, "Shouted at or humiliated", startswith=True)
    # ticks edit the same message (text and keyboard), they do not send new ones
    assert last_with_buttons(fake).message_id == checklist.message_id
    labels = [t for t, _ in fake.buttons(USER, checklist.message_id)]
    assert "✓" in labels[0] and "✓" in labels[2]
    await press(bot, "Done")
    assert bot.where() == ("signs", "often")
    await press(bot, "3")
    await press(bot, "It's clear to me")
    assert bot.where() == ("signs", "moment")
    await say(bot, "The holiday was booked without me <b>unescaped?</b> & more")
    assert bot.where() == ("signs", "summary")
    summary = fake.last(USER)
    assert "ways someone at work can hold power over you" in summary.plain  # the pattern named, not the list
    assert fake.unanswered_callbacks() == []
    assert not [e for e in fake.errors if e[1] != 400 or "not modified" not in e[2]]
    journal = bot.app.store.journal(f"tg:{USER}")
    assert journal[0]["text"] == "The holiday was booked without me <b>unescaped?</b> & more"
    # every message sent and received in the private chat is tracked (for /exit), their /start and the notice
    # from before they agreed too (held in memory until they agreed)
    tracked = {m for _, m in bot.app.store.tracked_messages(f"tg:{USER}", bot.adapter.clock())}
    assert tracked == set(range(1, summary.message_id + 1))
    assert len(fake.sent(USER)) < len([c for c in fake.calls if c[0].startswith(("send", "edit"))])


# What anyone holding the phone sees on tapping "/" (even after /exit): neutral words, nothing that says what is kept.
REVEALING = ("journal", "data", "delete", "export", "abuse", "violen", "safe", "danger", "partner", "relationship",
             "support", "lock", "record", "plan", "secret", "hide", "crisis", "power")


async def test_the_command_menu_is_neutral_and_leaves_the_hidden_commands_out(bot: Harness) -> None:
    fake = bot.fake
    common = bot.app.content.common
    sent = [(c["command"], c["description"]) for c in fake.commands]  # what setMyCommands received
    assert sent == list(common.listed_commands.items())
    assert {"journal", "export", "delete"} <= set(common.unlisted)
    assert not {name for name, _ in sent} & {"journal", "export", "delete", "lock", "unlock", "record", "plan"}
    assert "exit" in dict(sent)  # the quick exit stays one tap away
    for name, description in sent:
        assert not [w for w in REVEALING if w in description.lower()], (name, description)
    # a hidden command still works, and /help still names it
    await agreed(bot)
    await say(bot, "/journal")
    assert bot.where() == ("journal", "page")
    await say(bot, "/help")
    assert "/journal" in fake.last(USER).plain and "/delete" in fake.last(USER).plain


async def test_stale_button_answers_with_a_notice_and_the_current_step(bot: Harness) -> None:
    await agreed(bot)
    menu = last_with_buttons(bot.fake)
    data = [d for t, d in bot.fake.buttons(USER, menu.message_id) if t == menu_label(bot, "causes")]
    await press(bot, menu_label(bot, "signs"))
    assert bot.where() == ("signs", "intro")
    bot.fake.press(USER, menu.message_id, data[0], check=False)  # the menu message was edited: no buttons now
    await bot.settle()
    assert bot.where() == ("signs", "intro")
    texts = [r.plain for r in bot.fake.sent(USER)[-2:]]
    assert texts[0] == bot.app.content.note("stale")
    assert texts[1].startswith("This is a quiet look")
    assert bot.fake.unanswered_callbacks() == []


async def test_content_change_makes_a_button_stale(bot: Harness) -> None:
    await agreed(bot)
    rec = last_with_buttons(bot.fake)
    data = rec.reply_markup["inline_keyboard"][0][0]["callback_data"]
    version, turn, option = data.split(":", 2)
    bot.fake.press(USER, rec.message_id, f"zzzzzz:{turn}:{option}", check=False)
    await bot.settle()
    assert bot.where() == ("menu", "home")
    assert bot.app.content.note("stale") in [r.plain for r in bot.fake.sent(USER)]


async def test_two_presses_in_one_batch_move_one_step(fake, store_path, content) -> None:
    harness = Harness(fake, store_path, content)
    await harness.start()
    try:
        await agreed(harness)
        await press(harness, menu_label(harness, "signs"))
        await harness.poller.stop()
        harness.poller = None
        rec = last_with_buttons(fake)
        data = fake.buttons(USER, rec.message_id)[0][1]
        fake.press(USER, rec.message_id, data)
        fake.press(USER, rec.message_id, data)
        updates = await harness.application.bot.get_updates(offset=fake.acked_offset, timeout=0)
        assert len(updates) == 2
        await process_batch(harness.application, updates)
        assert harness.where() == ("signs", "pick")
        assert fake.unanswered_callbacks() == []
        assert harness.application.update_processor.held == 0
    finally:
        await harness.stop()


async def test_presses_of_different_people_run_concurrently_and_in_order(bot: Harness) -> None:
    others = [USER + n for n in range(1, 4)]
    for user in others:
        bot.fake.user_command(user, "/start")
    await bot.settle()
    for user in others:
        rec = last_with_buttons(bot.fake, user)
        bot.fake.press(user, rec.message_id, bot.fake.buttons(user, rec.message_id)[0][1])
        bot.fake.user_command(user, "/flow signs")
    await bot.settle()
    for user in others:
        assert bot.where(user) == ("signs", "intro")


async def test_free_text_at_a_choice_step_and_a_label_typed_out(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await say(bot, "hmm, what?")
    assert bot.where() == ("signs", "intro")
    assert bot.app.content.note("text_read") in [r.plain for r in bot.fake.sent(USER)[-2:]]
    assert "Keep it in my journal" in [label for label, _ in bot.fake.buttons(USER)]
    await press(bot, "Keep it in my journal")
    assert bot.where() == ("signs", "intro")
    assert [e["text"] for e in bot.app.store.journal(f"tg:{USER}", offset=0, limit=1)] == ["hmm, what?"]
    await say(bot, "let's start")
    assert bot.where() == ("signs", "pick")
    await say(bot, "another thought")
    await press(bot, "Menu")  # a way-out after the extra option still means what it says
    assert bot.where() == ("menu", "home")


# ---- what stays in the chat: a saved note leaves it -----------------------------------------------------------

def their_message(fake: FakeTelegram, text: str, chat: int = USER):
    [rec] = [r for r in fake._messages[chat].values() if not r.from_bot and r.text == text]
    return rec


async def test_a_journal_note_is_deleted_from_the_chat_once_saved(bot: Harness) -> None:
    await agreed(bot)
    # A note that is not danger (keys taken is confinement, a phone checked again is monitoring: the triage net asks
    # whether they are safe about both).
    await say(bot, "/journal he cooked dinner and we watched a film tonight")
    assert [e["text"] for e in bot.app.store.journal(f"tg:{USER}")] == ["he cooked dinner and we watched a film tonight"]
    assert their_message(bot.fake, "/journal he cooked dinner and we watched a film tonight").deleted
    assert bot.app.content.note("journal_saved") in [r.plain for r in bot.fake.sent(USER) if not r.deleted]
    assert bot.where() == ("journal", "page")


async def test_text_kept_in_the_journal_by_the_button_is_deleted_from_the_chat(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await say(bot, "i am scared of how this ends")
    assert not their_message(bot.fake, "i am scared of how this ends").deleted  # not saved: theirs to keep
    await press(bot, "Keep it in my journal")
    assert [e["text"] for e in bot.app.store.journal(f"tg:{USER}")] == ["i am scared of how this ends"]
    assert their_message(bot.fake, "i am scared of how this ends").deleted
    assert bot.where() == ("signs", "intro")


async def test_a_note_that_cannot_be_deleted_is_still_saved_and_the_log_holds_no_text(bot: Harness, caplog) -> None:
    await agreed(bot)
    bot.fake.fail_next("deleteMessages", error=500, count=20)
    with caplog.at_level(logging.DEBUG, logger="fulcrum"):
        await say(bot, "/journal SECRET-NOTE-WORDS")
    assert [e["text"] for e in bot.app.store.journal(f"tg:{USER}")] == ["SECRET-NOTE-WORDS"]
    assert not their_message(bot.fake, "/journal SECRET-NOTE-WORDS").deleted
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("fulcrum"))  # libraries: WARNING
    assert "not deleted" in ours
    assert "SECRET-NOTE-WORDS" not in ours and TOKEN not in ours
    assert bot.fake.last(USER).plain.startswith(bot.app.content.flows["journal"].text.steps["page"].text[:20])


async def test_sticker_photo_voice_get_only_text_and_the_current_step(bot: Harness) -> None:
    await agreed(bot)
    for send in (bot.fake.user_sticker, bot.fake.user_voice, lambda u: bot.fake.user_photo(u, caption="hello")):
        before = len(bot.fake.sent(USER))
        send(USER)
        await bot.settle()
        new = bot.fake.sent(USER)[before:]
        assert [r.plain for r in new][0] == bot.app.content.note("only_text")
        assert new[-1].reply_markup and bot.where() == ("menu", "home")


async def test_service_messages_are_not_answered_and_a_crisis_caption_is(bot: Harness) -> None:
    """The chat's auto-delete timer being set is Telegram talking, not the person: nothing is sent back.
    A photo whose caption signals danger goes through the same triage as typed text."""
    await agreed(bot)
    before = len(bot.fake.sent(USER))
    bot.fake._user_message(USER, "service", {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}})
    await bot.settle()
    assert len(bot.fake.sent(USER)) == before and bot.where() == ("menu", "home")
    bot.fake.user_photo(USER, caption="he is strangling me")
    await bot.settle()
    assert bot.where()[0] == "crisis"


async def test_edited_message_never_moves_but_an_edited_crisis_is_answered(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await press(bot, "Let's start")
    mine = bot.fake.user_text(USER, "just a note")["message"]["message_id"]
    await bot.settle()
    before = len(bot.fake.sent(USER))
    bot.fake.edited_text(USER, mine, "Done")
    await bot.settle()
    assert bot.where() == ("signs", "pick") and len(bot.fake.sent(USER)) == before
    bot.fake.edited_text(USER, mine, "I want to die")
    await bot.settle()
    assert bot.where()[0] == "crisis"
    assert len(bot.fake.sent(USER)) > before


async def test_group_is_told_once_and_nothing_is_stored(bot: Harness) -> None:
    group = -100777
    bot.fake.group_text(group, 11, "hello bot")
    bot.fake.group_text(group, 12, "/start")
    await bot.settle()
    bot.fake.group_text(group, 13, "again")
    await bot.settle()
    sent = bot.fake.sent(group)
    assert [r.plain for r in sent] == [bot.app.content.note("private_only")]
    assert bot.count("SELECT count(*) FROM people") == 0
    assert bot.count("SELECT count(*) FROM messages") == 0
    # a restart does not make it speak again
    await bot.stop()
    await bot.start()
    bot.fake.group_text(group, 14, "and again")
    await bot.settle()
    assert len(bot.fake.sent(group)) == 1


@pytest.mark.parametrize("method", ["editMessageText", "sendMessage"])
async def test_a_429_during_a_reply_is_waited_out(bot: Harness, method: str) -> None:
    await agreed(bot)
    bot.fake.fail_next(method, error=429, retry_after=1)
    if method == "editMessageText":  # a press: the pressed message becomes the next step
        await press(bot, menu_label(bot, "signs"))
    else:
        await say(bot, "/menu")
        await press(bot, menu_label(bot, "signs"))
    await bot.fake.wait_for(lambda: bot.fake.last(USER).plain.startswith("This is a quiet look"), 6)
    assert bot.fake.http_429 == 1


async def test_network_error_on_send_is_retried(bot: Harness) -> None:
    await agreed(bot)
    bot.fake.fail_next("editMessageText", error=500)
    await press(bot, menu_label(bot, "signs"))
    assert bot.fake.last(USER).plain.startswith("This is a quiet look")
    bot.fake.fail_next("sendMessage", error=500)
    await say(bot, "/menu")
    assert bot.fake.last(USER).plain.startswith("What would you like to look at?")
    assert not bot.fake._faults  # noqa: SLF001 - both injected failures were met


async def test_restart_mid_flow_continues_where_they_were(fake, store_path, content) -> None:
    first = Harness(fake, store_path, content)
    await first.start()
    await agreed(first)
    await press(first, menu_label(first, "signs"))
    await press(first, "Let's start")
    await first.stop()
    second = Harness(fake, store_path, content)
    await second.start()
    try:
        await press(second, "Decisions get made for me")
        await press(second, "Done")
        assert second.where() == ("signs", "often")
    finally:
        await second.stop()


async def test_crash_after_commit_before_ack_applies_the_update_once(fake, store_path, content) -> None:
    first = Harness(fake, store_path, content)
    await first.start()
    await agreed(first)
    await press(first, menu_label(first, "signs"))
    await press(first, "Let's start")
    await press(first, "Done")
    await press(first, "3")
    await press(first, "It's clear to me")
    await first.poller.stop()  # acknowledges what was processed so far
    first.poller = None
    fake.user_text(USER, "A moment I remember")
    updates = await first.application.bot.get_updates(offset=fake.acked_offset, timeout=0)
    await process_batch(first.application, updates)  # committed and answered ...
    assert first.where() == ("signs", "summary")
    sent_before = len(fake.sent(USER))
    await first.stop(ack=False)  # ... and the process dies before the offset is advanced
    assert fake.pending_updates()
    second = Harness(fake, store_path, content)
    await second.start()
    try:
        await second.settle()
        assert second.where() == ("signs", "summary")
        assert second.count("SELECT count(*) FROM journal") == 1
        assert len(fake.sent(USER)) == sent_before  # the duplicate did nothing
    finally:
        await second.stop()


async def test_forbidden_on_send_marks_the_person_inactive_and_member_again_active(bot: Harness) -> None:
    await agreed(bot)
    bot.fake.fail_next("editMessageText", error=403)  # a press edits the pressed message into the next step
    await press(bot, menu_label(bot, "signs"))
    assert bot.count("SELECT active FROM people WHERE id = ?", f"tg:{USER}") == 0
    bot.fake.unblock(USER)
    await bot.settle()
    bot.fake.fail_next("sendMessage", error=403)
    await say(bot, "/menu")
    assert bot.count("SELECT active FROM people WHERE id = ?", f"tg:{USER}") == 0
    bot.fake.unblock(USER)
    await bot.settle()
    assert bot.count("SELECT active FROM people WHERE id = ?", f"tg:{USER}") == 1
    bot.fake.block(USER)
    await bot.settle()
    assert bot.count("SELECT active FROM people WHERE id = ?", f"tg:{USER}") == 0


async def test_long_text_is_split_under_the_limit_and_escaped(bot: Harness) -> None:
    await agreed(bot)
    text = ("A <reflection> & more. " * 400).strip()
    before = len(bot.fake.sent(USER))
    await bot.adapter.send_reply(USER, Reply(text))
    pieces = bot.fake.sent(USER)[before:]
    assert len(pieces) >= 3 and all(len(r.plain) <= 4096 for r in pieces)
    assert " ".join(r.plain for r in pieces).replace("  ", " ") == text


async def test_sending_to_someone_who_blocked_the_bot_raises_blocked(bot: Harness) -> None:
    from bot.adapters.telegram.adapter import Blocked

    await agreed(bot)
    bot.fake.block(USER)
    await bot.settle()
    with pytest.raises(Blocked):
        await bot.adapter.send_reply(USER, Reply("hello"))


async def test_clearing_the_chat_deletes_in_batches_and_survives_refusals(bot: Harness) -> None:
    await agreed(bot)
    ids = [(USER, r.message_id) for r in bot.fake.sent(USER)] + [(USER, n) for n in range(1000, 1150)]
    await bot.adapter.delete_messages(ids)
    calls = [p for m, p in bot.fake.calls if m == "deleteMessages"]
    assert len(calls) == 2 and all(len(p["message_ids"]) <= 100 for p in calls)
    assert all(r.deleted for r in bot.fake.sent(USER))


# ---- webhook ------------------------------------------------------------------------------------------

async def test_webhook_refuses_a_wrong_secret_and_answers_200_after_the_commit(fake, store_path, content) -> None:
    harness = Harness(fake, store_path, content)
    await harness.start(poll=False)
    server = WebhookServer(harness.application, path="/hook", secret="right-secret_1", listen="127.0.0.1", port=0)
    port = await server.start()
    try:
        await harness.application.bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="right-secret_1")
        update = fake.user_command(USER, "/start")
        assert await fake.deliver_webhook(update, secret="wrong") == 403
        assert await fake.deliver_webhook(update, secret=None) == 403
        assert fake.sent(USER) == []
        assert await fake.deliver_webhook(update) == 200
        # by the time 200 came back the reply had gone out
        assert "I'm Fulcrum" in fake.last(USER).plain
        rec = last_with_buttons(fake)
        agree = [d for t, d in fake.buttons(USER, rec.message_id) if t.startswith("I understand")][0]
        update = fake.press(USER, rec.message_id, agree)
        assert await fake.deliver_webhook(update) == 200
        assert harness.where() == ("menu", "home")  # committed before the answer
        assert await fake.deliver_webhook(update) == 200  # a redelivery does nothing
        assert harness.where() == ("menu", "home")
    finally:
        await server.stop()
        await harness.stop()


# ---- logs -----------------------------------------------------------------------------------------------

async def test_debug_logs_hold_no_text_no_answers_and_no_token(fake, store_path, content, caplog) -> None:
    from bot.adapters.telegram.logs import configure, quiet_libraries, redact

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    root = logging.getLogger()
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root.addHandler(handler)
    old_level = root.level
    caplog.set_level(logging.DEBUG)
    harness = Harness(fake, store_path, content)
    try:
        redact(TOKEN)
        root.setLevel(logging.DEBUG)
        quiet_libraries()
        await harness.start()
        marker = "PLANTED-MARKER-7f3a"
        await agreed(harness)
        await press(harness, menu_label(harness, "signs"))
        await press(harness, "Let's start")
        await press(harness, "Done")
        await press(harness, "3")
        await press(harness, "It's clear to me")
        fake.fail_next("sendMessage", error=500, count=10)  # errors are logged: still no text, no token
        await say(harness, f"my reflection {marker}")
        fake.user_text(USER, f"/flow {marker}")
        await harness.settle()
        logging.getLogger("fulcrum.test").error("url %s", f"{fake.base_url}{TOKEN}/getMe")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        if harness.application is not None:
            await harness.stop()
    everything = "\n".join(records) + caplog.text
    assert any("failed" in r for r in records)  # the failures were logged ...
    assert marker not in everything  # ... without the reflection
    assert TOKEN not in everything and TOKEN.split(":")[1] not in everything
    assert "I understand" not in everything and "Decisions get made" not in everything
    assert configure  # the entry point `fulcrum run` uses


# ---- the console's twin -------------------------------------------------------------------------------

async def test_telegram_and_console_walks_of_signs_show_the_same_texts_and_options(bot: Harness, tmp_path,
                                                                                   content) -> None:
    fake = bot.fake
    fake.user_command(USER, "/flow signs")
    await bot.settle()
    await press(bot, "I understand, let's begin")
    await press(bot, "Let's start")
    await press(bot, "Decisions get made for me")
    await press(bot, "Done")
    await press(bot, "2")
    await press(bot, "Subtle, hard to put into words")
    await say(bot, "It was a small thing.")
    tg: list[tuple[str, list[str]]] = []
    for rec in fake.sent(USER):
        versions = [(v.text, v.reply_markup) for v in rec.edits] + [(rec.text, rec.reply_markup)]
        for text, markup in versions:
            if markup is None and tg and rec.edits and text.endswith("</i>"):
                continue  # the "→ chosen" edit
            rows = (markup or {}).get("inline_keyboard") or []
            tg.append((html.unescape(text), [b["text"] for row in rows for b in row]))

    shown: list[tuple[str, list[str]]] = []
    app = make_app(tmp_path / "console.db", content)
    console = Console(app, "twin", out=io.StringIO())
    original_print = console._print
    console._print = lambda reply: (shown.append((reply.text, [o.label for o in reply.options])),
                                    original_print(reply))[1]
    console.feed("/flow signs")
    for line in ["1", "1", "1", "9", "2", "1", "It was a small thing."]:
        console.feed(line)
    app.store.close()
    assert tg == shown


async def test_callback_data_stays_within_64_bytes_and_long_ids_still_work(bot: Harness) -> None:
    from bot.adapters.telegram import render

    await agreed(bot)
    for rec in bot.fake.sent(USER):
        for _, data in bot.fake.buttons(USER, rec.message_id):
            assert data is None or len(data.encode()) <= 64
    data = render.encode("abcdef123", 12345, "x" * 80, 3)
    assert len(data.encode()) <= 64 and render.decode(data).index == 3


async def test_an_indexed_button_is_resolved_inside_its_one_turn(bot: Harness, monkeypatch) -> None:
    """A "#N" button (an option id too long for callback data) means the N-th option on screen: the service
    looks it up inside the turn, with no read-only turn before it."""
    await agreed(bot)
    menu = last_with_buttons(bot.fake)
    buttons = bot.fake.buttons(USER, menu.message_id)
    index = [t for t, _ in buttons].index(menu_label(bot, "signs"))
    version, turn, _ = buttons[index][1].split(":", 2)
    monkeypatch.setattr(bot.app, "view", lambda *a, **k: pytest.fail("a second, read-only turn"))
    bot.fake.press(USER, menu.message_id, f"{version}:{turn}:#{index}", check=False)
    await bot.settle()
    assert bot.where() == ("signs", "intro")
    bot.fake.press(USER, menu.message_id, f"{version}:{turn}:#{index}", check=False)  # that turn is gone
    await bot.settle()
    assert bot.where() == ("signs", "intro") and bot.fake.last(USER).plain.startswith("This is a quiet look")


async def test_a_press_spends_one_message_call(bot: Harness) -> None:
    """Answering the press is free; the pressed message becomes the next step: one edit, nothing sent."""
    await agreed(bot)
    calls = len(bot.fake.calls)
    await press(bot, menu_label(bot, "signs"))
    made = [m for m, _ in bot.fake.calls[calls:] if m != "getUpdates"]
    assert sorted(made) == ["answerCallbackQuery", "editMessageText"]


async def test_a_message_too_old_to_delete_is_marked_and_the_step_sent_anew(bot: Harness) -> None:
    """/exit could no longer delete a message sent 47+ hours ago: the next step is not drawn into it."""
    from datetime import timedelta

    from bot.core.clock import utcnow

    await agreed(bot)
    menu = last_with_buttons(bot.fake)
    bot.adapter.clock = lambda: utcnow() + timedelta(hours=47)
    await press(bot, menu_label(bot, "signs"))
    marked = [r for r in bot.fake.sent(USER) if r.message_id == menu.message_id][0]
    assert marked.plain.endswith("→ " + menu_label(bot, "signs")) and not marked.reply_markup
    assert bot.fake.last(USER).plain.startswith("This is a quiet look")


async def test_an_answer_to_a_danger_question_is_never_marked_on_its_message(bot: Harness) -> None:
    """Where a pressed message cannot become the next step (here: too old), an ordinary question shows
    "→ answer"; the check and crisis questions only lose their buttons: nothing says what was answered."""
    from datetime import timedelta

    from bot.core.clock import utcnow

    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await say(bot, "how many paracetamol is too many")
    assert bot.where() == ("check", "ask")
    question = last_with_buttons(bot.fake)
    asked = original(question)[0]
    bot.adapter.clock = lambda: utcnow() + timedelta(hours=47)
    await press(bot, "I'm not safe, show me help")
    assert bot.where()[0] == "crisis"
    after = [r for r in bot.fake.sent(USER) if r.message_id == question.message_id][0]
    assert html.unescape(after.plain) == asked and not after.reply_markup  # the question, unmarked, no buttons
    assert "→" not in after.plain and "not safe" not in after.plain.lower()
    screen = last_with_buttons(bot.fake)
    await press(bot, "Choose my country")
    assert bot.where() == ("crisis", "pick_country")
    after = [r for r in bot.fake.sent(USER) if r.message_id == screen.message_id][0]
    assert "→" not in after.plain and "Choose my country" not in after.plain and not after.reply_markup
    assert bot.fake.last(USER).message_id > screen.message_id  # the next step came as a new message


async def test_an_answer_to_a_danger_question_edits_it_into_the_next_step(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await say(bot, "how many paracetamol is too many")
    question = last_with_buttons(bot.fake)
    await press(bot, "I'm safe, carry on")
    after = [r for r in bot.fake.sent(USER) if r.message_id == question.message_id][0]
    assert after.plain.startswith("This is a quiet look") and "→" not in after.plain
    assert not [r for r in bot.fake.sent(USER) if "Are you safe right now?" in (r.plain or "")]


async def test_update_processor_keeps_one_persons_order(bot: Harness) -> None:
    order: list[int] = []
    processor = bot.application.update_processor
    user = {"id": 7, "is_bot": False, "first_name": "x"}

    def upd(n: int) -> Update:
        return Update.de_json({"update_id": n, "message": {"message_id": n, "date": 0, "text": "x", "from": user,
                                                             "chat": {"id": 7, "type": "private"}}},
                              bot.application.bot)

    async def work(n: int, pause: float) -> None:
        await asyncio.sleep(pause)
        order.append(n)

    await asyncio.gather(*(processor.process_update(upd(n), work(n, 0.05 - n * 0.01)) for n in range(5)))
    assert order == [0, 1, 2, 3, 4] and processor.held == 0


# ---- privacy commands: the chat is cleared after the commit ----------------------------------------------

def left_in_chat(fake: FakeTelegram, chat: int = USER) -> list:
    """Every message of the chat, the bot's and the person's, that the fake server has not deleted."""
    return [r for r in fake._messages[chat].values() if not r.deleted]


async def test_exit_deletes_the_tracked_messages_then_sends_one_neutral_message(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    await say(bot, "just thinking out loud")  # text where a button was expected: their own message
    bot.fake.user_command(USER, "/exit")
    await bot.settle()
    notes = bot.app.content.common.notes
    # everything before it is gone, from their /start on, theirs and the bot's: only the neutral line is left
    [left] = left_in_chat(bot.fake)
    assert left.from_bot and left.plain.startswith(notes["chat_cleared"])
    assert bot.where() == ("signs", "intro")  # their place is kept


async def test_exit_before_agreeing_clears_the_whole_chat_and_stores_nothing(bot: Harness) -> None:
    """Someone opens the bot, writes, looks at the privacy note, never agrees, and types /exit: every message of
    the chat goes, the first ones included, though nothing about them was ever written to the database."""
    fake = bot.fake
    fake.user_command(USER, "/start")
    await bot.settle()
    await say(bot, "hello? who is this")
    await say(bot, "is anyone reading this")
    await press(bot, "How is my privacy kept?")
    before = [r.message_id for r in left_in_chat(fake)]
    assert len(before) >= 5 and [r for r in left_in_chat(fake) if not r.from_bot]
    assert bot.count("SELECT count(*) FROM people") == 0 and bot.count("SELECT count(*) FROM messages") == 0
    fake.user_command(USER, "/exit")
    await bot.settle()
    [left] = left_in_chat(fake)
    assert left.from_bot and left.plain.startswith(bot.app.content.common.notes["chat_cleared"])
    assert left.message_id > max(before)
    assert bot.count("SELECT count(*) FROM people") == 0 and bot.count("SELECT count(*) FROM messages") == 0
    assert not [e for e in fake.errors if "delete" in e[0].lower()]


async def test_exit_after_agreeing_clears_what_came_before_agreeing_too(bot: Harness) -> None:
    fake = bot.fake
    fake.user_command(USER, "/start")
    await bot.settle()
    await say(bot, "not sure about this")
    await press(bot, "I understand, let's begin")
    assert bot.where() == ("menu", "home")
    # what they sent before agreeing is in the table now, with the rest of the chat
    tracked = {m for _, m in bot.app.store.tracked_messages(f"tg:{USER}", bot.adapter.clock())}
    assert tracked == {r.message_id for r in left_in_chat(fake)}
    await press(bot, menu_label(bot, "signs"))
    await press(bot, "A partner")  # who the topics are about, asked before the first topic
    await press(bot, "Let's start")
    fake.user_command(USER, "/exit")
    await bot.settle()
    [left] = left_in_chat(fake)
    assert left.from_bot and left.plain.startswith(bot.app.content.common.notes["chat_cleared"])
    assert bot.count("SELECT count(*) FROM messages") == 0


async def test_delete_erases_the_person_and_clears_the_chat(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    bot.fake.user_command(USER, "/delete")
    await bot.settle()
    await press(bot, "Delete everything")
    assert bot.count("SELECT count(*) FROM people") == 0
    assert bot.count("SELECT count(*) FROM messages") == 0
    assert bot.fake.last(USER).plain == bot.app.content.note("deleted")
    assert [r for r in bot.fake.sent(USER) if r.deleted]


async def test_export_arrives_as_a_document_and_is_tracked(bot: Harness) -> None:
    await agreed(bot)
    bot.fake.user_command(USER, "/export")
    await bot.settle()
    await press(bot, "Send it")
    docs = [r for r in bot.fake.sent(USER) if r.kind == "document"]
    assert len(docs) == 1 and docs[0].file_name == "fulcrum-export.json"
    tracked = {m for _, m in bot.app.store.tracked_messages(f"tg:{USER}", bot.adapter.clock())}
    assert docs[0].message_id in tracked


# ---- serve(): what `fulcrum run` runs ----------------------------------------------------------------------

async def test_serve_polls_sets_commands_and_stops_cleanly_acknowledging(fake, store_path, content) -> None:
    from bot.adapters.telegram import serve

    harness = Harness(fake, store_path, content)
    application = harness.build()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, stop=stop, poll_timeout=1))
    update = fake.user_command(USER, "/start")
    await fake.wait_for(lambda: fake.sent(USER), 8)
    stop.set()
    await asyncio.wait_for(task, 8)
    harness.app.store.close()
    assert fake.acked_offset > update["update_id"] and not fake.pending_updates()
    assert [c["command"] for c in fake.commands] == list(harness.app.content.common.listed_commands)
    assert not application.running


async def test_serve_webhook_sets_the_secret_and_refuses_forgeries(fake, store_path, content) -> None:
    from bot.adapters.telegram import serve

    harness = Harness(fake, store_path, content)
    application = harness.build()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(application, webhook_url="http://127.0.0.1:0/hook", listen="127.0.0.1",
                                     port=0, secret="s3cret-for-this-run", stop=stop))
    await fake.wait_for(lambda: fake.webhook.url, 8)
    assert fake.webhook.secret == "s3cret-for-this-run"
    stop.set()
    await asyncio.wait_for(task, 8)
    harness.app.store.close()


async def test_the_checkin_sweep_job_sends_a_due_reminder_through_the_adapter(bot: Harness) -> None:
    """The sweep is a feature's Job: build_application schedules it by name, and its callback sends through
    the adapter (the features' Sender) with the reminder's neutral words and its command buttons."""
    from datetime import timedelta

    from bot.core.clock import iso
    from bot.features.checkins import apply_plan

    await agreed(bot)
    pid, now = f"tg:{USER}", bot.adapter.clock()
    with bot.app.store.transaction():
        apply_plan(bot.app.env, pid, {"checkins": "daily", "checkins_time": "09:00", "checkins_tz": "UTC"}, [],
                   now - timedelta(days=2))
        bot.app.store.execute("UPDATE schedules SET next_due = ?, last_slot = NULL WHERE person = ?",
                              (iso(now - timedelta(minutes=1)), pid))
        bot.app.store.execute("UPDATE people SET last_seen = ? WHERE id = ?", (iso(now - timedelta(hours=2)), pid))
    before = len(bot.fake.sent(USER))
    [job] = bot.application.job_queue.get_jobs_by_name("checkin-sweep")
    await job.callback(None)
    new = bot.fake.sent(USER)[before:]
    assert [r.plain for r in new] == [bot.app.content.note("checkin_prompt")]
    assert [label for label, _ in bot.fake.buttons(USER, new[-1].message_id)][0] == "Start check-in"
    due = bot.app.store.execute("SELECT next_due FROM schedules WHERE person = ?", (pid,)).fetchone()[0]
    assert due > iso(now)  # the schedule moved past now with the record of the send


async def test_the_crisis_screen_carries_a_button_that_copies_the_emergency_number(bot: Harness) -> None:
    await agreed(bot)
    with bot.app.store.transaction():
        bot.app.store.set_profile(f"tg:{USER}", country="GB")
    await say(bot, "he is hitting me right now")
    assert bot.where()[0] == "crisis"
    rec = last_with_buttons(bot.fake, USER)
    assert rec.reply_markup["inline_keyboard"][0] == [{"text": "Copy 999", "copy_text": {"text": "999"}}]
    await press(bot, "Choose my country")  # the option buttons below it still mean what they say
    assert bot.where() == ("crisis", "pick_country")


async def test_the_check_question_over_telegram_shows_a_number_and_returns_on_im_safe(bot: Harness) -> None:
    await agreed(bot)
    await press(bot, menu_label(bot, "signs"))
    where = bot.where()
    await say(bot, "how many paracetamol is too many")
    assert bot.where() == ("check", "ask")
    shown = bot.fake.last(USER).plain
    assert "112" in shown.split("\n")[1] and "Are you safe right now?" in shown
    await press(bot, "I'm safe, carry on")
    assert bot.where() == where
