"""Fuzzing the update handler with malformed and unusual updates: each is answered gracefully or ignored, never
a crash (nothing reaches the Application's error handler), never output Telegram would refuse (bad HTML, too
long, callback data over 64 bytes: tests/support/bot_api_rules.py), and never a stuck person (afterwards the
same person can /menu and gets the menu).

Updates go through `Update.de_json` (what PTB does with Telegram's JSON; dicts it rejects are not updates at
all) and the Application's update processor; Bot API calls are answered offline (tests/support/offline.py).
Longer: FULCRUM_HYPOTHESIS_PROFILE=long pytest tests/adapters/test_update_fuzz.py
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import HYPOTHESIS_PROFILE
from tests.support.harness import OfflineBot
from tests.support.offline import buttons, chat_dict, user_dict

TOKEN = "123456:FUZZ"
PERSON = 8080
LONG = HYPOTHESIS_PROFILE == "long"

ODD = ["\u202eevil RTL override\u202c", "a\u200bb\u200d\u200c\ufeff", "👩🏽‍💻🏳️‍🌈🇩🇪", "\u0000nul", "x" * 100_000,
       "/start " + "y" * 5000, "/flow " + "\u202e" * 10, "<b>not html</b> & &amp; <", "\ud800 lone surrogate",
       "\U0010ffff", "/", "//", "/menu@other_bot", "/start@fulcrum_bot", "   ", "\n\n\n", "ﷺ" * 300]
text = st.one_of(st.sampled_from(ODD), st.text(max_size=300), st.text(alphabet=st.characters(codec="utf-8"),
                                                                        max_size=50).map(lambda t: "/" + t))
maybe_text = st.none() | text
ids = st.integers(min_value=-(2**40), max_value=2**40)


def message(user: int | None = PERSON, chat: dict | None = None, **extra) -> dict:
    msg = {"message_id": 5, "date": 1_700_000_000, "chat": chat or chat_dict(PERSON)}
    if user is not None:
        msg["from"] = user_dict(user)
    msg.update({k: v for k, v in extra.items() if v is not None})
    return msg


@st.composite
def updates(draw) -> dict:
    kind = draw(st.sampled_from([
        "text", "no_from", "no_text", "edited", "channel_post", "edited_channel_post", "group", "callback",
        "callback_no_message", "callback_no_data", "inline_query", "poll", "poll_answer", "my_chat_member",
        "unknown", "empty", "photo", "sticker", "reply_to", "forward", "entities", "chosen_inline"]))
    t = draw(text)
    if kind == "text":
        return {"message": message(text=t)}
    if kind == "no_from":
        return {"message": message(user=None, text=t)}
    if kind == "no_text":
        return {"message": message()}
    if kind == "edited":
        return {"edited_message": message(text=t, edit_date=1_700_000_100)}
    if kind == "channel_post":
        return {"channel_post": message(user=None, chat={"id": -100123, "type": "channel", "title": "c"}, text=t)}
    if kind == "edited_channel_post":
        return {"edited_channel_post": message(user=None, chat={"id": -100123, "type": "channel", "title": "c"},
                                               text=t, edit_date=1)}
    if kind == "group":
        return {"message": message(chat=chat_dict(draw(ids), draw(st.sampled_from(["group", "supergroup"]))), text=t)}
    if kind in ("callback", "callback_no_message", "callback_no_data"):
        data = draw(st.one_of(st.sampled_from(["", ":", "abc:def:ghi", "zzzzzz:1:menu", "zzzzzz:x:#3",
                                               "000000:-5:#99999", "a" * 64, ":::::", "#", "\u202e:1:2"]),
                              st.text(max_size=64)))
        query = {"id": "q1", "from": user_dict(PERSON), "chat_instance": "ci"}
        if kind != "callback_no_data":
            query["data"] = data
        if kind != "callback_no_message":
            query["message"] = message(user=None, text=draw(maybe_text), reply_markup=draw(st.sampled_from([
                None, {"inline_keyboard": []},
                {"inline_keyboard": [[{"text": "x", "callback_data": data or "x"}]]}])))
        return {"callback_query": query}
    if kind == "inline_query":
        return {"inline_query": {"id": "iq", "from": user_dict(PERSON), "query": t, "offset": ""}}
    if kind == "chosen_inline":
        return {"chosen_inline_result": {"result_id": "r", "from": user_dict(PERSON), "query": t}}
    if kind == "poll":
        return {"poll": {"id": "p", "question": "q?", "options": [{"text": "a", "voter_count": 1}],
                         "total_voter_count": 1, "is_closed": False, "is_anonymous": True, "type": "regular",
                         "allows_multiple_answers": False}}
    if kind == "poll_answer":
        return {"poll_answer": {"poll_id": "p", "user": user_dict(PERSON), "option_ids": [0]}}
    if kind == "my_chat_member":
        status = draw(st.sampled_from(["kicked", "member", "left", "administrator"]))
        member = {"user": user_dict(777000111), "status": status}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                          can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False)
        return {"my_chat_member": {"chat": draw(st.sampled_from([chat_dict(PERSON), chat_dict(-5, "group")])),
                                   "from": user_dict(PERSON), "date": 1,
                                   "old_chat_member": {"user": user_dict(777000111), "status": "member"},
                                   "new_chat_member": member}}
    if kind == "unknown":
        return {draw(st.sampled_from(["business_message", "purchased_paid_media", "something_new"])): {"x": t}}
    if kind == "empty":
        return {}
    if kind == "photo":
        return {"message": message(caption=draw(maybe_text),
                                   photo=[{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}])}
    if kind == "sticker":
        return {"message": message(sticker={"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                            "is_animated": False, "is_video": False, "type": "regular"})}
    if kind == "reply_to":
        return {"message": message(text=t, reply_to_message=message(user=None, text="earlier"))}
    if kind == "forward":
        return {"message": message(text=t, forward_origin={"type": "hidden_user", "date": 1,
                                                            "sender_user_name": "someone"})}
    length = draw(st.integers(-5, 10**6))
    return {"message": message(text=t, entities=[{"type": "bot_command", "offset": draw(st.integers(-5, 50)),
                                                  "length": length}])}


class Bot(OfflineBot):
    """One app and Application on a fresh database (tests/support/harness.py), fed one raw update dict at a time."""

    def feed(self, data: dict) -> None:
        super().feed(self.updates.raw(data))


@pytest.fixture
def bot(tmp_path, content):
    bot = Bot(tmp_path / "fuzz.db", content, token=TOKEN)
    try:
        bot.feed({"message": message(text="/start")})  # agreed, so updates can move something
        data = [d for _, d in buttons(bot.request.last[PERSON])]
        bot.feed({"callback_query": {"id": "q0", "from": user_dict(PERSON), "chat_instance": "ci", "data": data[0],
                                     "message": bot.request.last[PERSON]}})
        yield bot
    finally:
        bot.close()


@pytest.fixture
def errors():
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.ERROR)
    logger = logging.getLogger("fulcrum.telegram")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def menu_works(bot: Bot) -> None:
    bot.feed({"message": message(text="/menu")})
    last = bot.request.last[PERSON]
    menu = bot.app.content.flows["menu"]
    assert bot.app.store.load(f"tg:{PERSON}").conversation.flow == "menu", last.get("text")
    labels = [t for t, _ in buttons(last)]
    assert bot.app.content.flows["signs"].title in labels and menu.id == "menu"


@settings(max_examples=400 if LONG else 60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(batch=st.lists(updates(), min_size=1, max_size=4))
def test_odd_updates_never_crash_nor_leave_a_person_stuck(bot: Bot, errors: list, batch: list[dict]) -> None:
    for data in batch:
        try:
            bot.updates.build(dict(data, update_id=1))
        except (KeyError, TypeError, ValueError):
            continue  # PTB itself refuses it: it never becomes an update, in production either
        bot.feed(data)
    assert not errors, [r.getMessage()[:300] for r in errors]
    assert not bot.request.refused, bot.request.refused  # nothing Telegram would answer with 400
    menu_works(bot)
    assert bot.application.update_processor.held == 0


@pytest.mark.parametrize("odd", ODD)
def test_each_odd_text_at_a_text_step_is_kept_or_answered(bot: Bot, errors: list, odd: str) -> None:
    bot.feed({"message": message(text="/flow signs")})
    bot.feed({"message": message(text=odd)})
    bot.feed({"callback_query": {"id": "q", "from": user_dict(PERSON), "chat_instance": "ci",
                                 "data": "not ours at all", "message": message(user=None, text=odd[:100])}})
    assert not errors, [r.getMessage()[:300] for r in errors]
    assert not bot.request.refused, bot.request.refused  # nothing Telegram would answer with 400
    menu_works(bot)
