"""A Bot API without a network, for benchmarks and property tests (PTB's OfflineRequest idea).

`OfflineRequest` is a `telegram.request.BaseRequest` whose `do_request` answers every call with canned JSON
(a Message for sends and edits, True for the rest) and never opens a socket, so a run measures our
processing and PTB's, not HTTP. It remembers the last message sent to each chat, so a driver can press the
buttons that are really on screen (current callback data).

It is as strict as Telegram about what the bot sends (tests/support/bot_api_rules.py, the same rules as
tests/support/fake_telegram.py): HTML Telegram cannot parse, text over 4,096 characters, a caption over
1,024, callback data over 64 bytes, ... are answered with Telegram's 400 (PTB raises BadRequest) and kept
in `refused` as (method, description), so a fuzz or state-machine test can assert that nothing was refused.

`offline(application)` swaps the request objects of an already built Application (built by
`bot.adapters.telegram.build_application`, which sets timeouts and so cannot take `.request(...)`) and, by default,
drops the rate limiter (its job is to hold sending to 30/s; we measure the headroom under it).

`Updates` builds real `telegram.Update` objects (Update.de_json with the bot bound), shaped like
tests/support/fake_telegram.py's: text, command, press.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from tests.support import bot_api_rules as rules

BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Fulcrum", "username": "fulcrum_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
SENDS = {"sendMessage": "text", "sendPhoto": "photo", "sendDocument": "document"}
EDITS = {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}


def user_dict(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "P"}


def chat_dict(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    chat = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "P"
    else:
        chat["title"] = "Group"
    return chat


class OfflineRequest(BaseRequest):
    """Canned answers for every Bot API method; `last[chat_id]` is the newest message the bot sent there."""

    def __init__(self, *, ids: itertools.count | None = None, remember: bool = True):
        self.ids = ids or itertools.count(1)
        self.remember = remember
        self.last: dict[int, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.refused: list[tuple[str, str]] = []  # (method, Telegram's description) of every 400 answered

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        self.calls[endpoint] += 1
        try:
            result = self.answer(endpoint, params)
        except rules.ApiError as exc:
            self.refused.append((endpoint, exc.description))
            return exc.code, json.dumps({"ok": False, "error_code": exc.code, "description": exc.description}).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def answer(self, endpoint: str, p: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint == "getUpdates":
            return []
        if endpoint in SENDS or endpoint in EDITS:
            content = self.check(endpoint, p)
        if endpoint in SENDS:
            chat_id = int(p["chat_id"])
            msg = self.message(chat_id, next(self.ids), p, content)
            if SENDS[endpoint] == "photo":
                msg["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            elif SENDS[endpoint] == "document":
                msg["document"] = {"file_id": "d", "file_unique_id": "d"}
            if self.remember:
                self.last[chat_id] = msg
            return msg
        if endpoint in EDITS:
            chat_id = int(p.get("chat_id", 0))
            msg = self.message(chat_id, int(p.get("message_id", 0)), p, content)
            if self.remember and self.last.get(chat_id, {}).get("message_id") == msg["message_id"]:
                self.last[chat_id] = msg
            return msg
        if endpoint == "answerCallbackQuery":
            rules.callback_answer(p.get("text"))
        elif endpoint == "setMyCommands":
            rules.commands(_decoded(p.get("commands")))
        elif endpoint == "sendChatAction":
            rules.chat_action(p.get("action"))
        return True  # answerCallbackQuery, deleteMessages, setMyCommands, sendChatAction, ...

    @staticmethod
    def check(endpoint: str, p: dict[str, Any]) -> dict[str, Any]:
        """What Telegram would store for a send or edit (text or caption parsed, entities out); ApiError if refused."""
        mode = p.get("parse_mode")
        if endpoint in ("sendMessage", "editMessageText"):
            content = rules.message_text(p.get("text"), mode)
        elif endpoint in ("sendPhoto", "sendDocument", "editMessageCaption"):
            content = rules.caption(p.get("caption"), mode)
        else:  # editMessageReplyMarkup: the content stays as it was
            content = {}
        rules.check_markup(_decoded(p.get("reply_markup")))
        return content

    @staticmethod
    def message(chat_id: int, message_id: int, p: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat_dict(chat_id),
                               "from": BOT_USER, **content}
        markup = _decoded(p.get("reply_markup"))
        if markup:
            msg["reply_markup"] = markup
        return msg


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def offline(application: Any, request: OfflineRequest | None = None, *, rate_limiter: bool = False) -> OfflineRequest:
    """Make `application.bot` talk to `request` (made here when None) instead of the network."""
    request = request or OfflineRequest()
    bot = application.bot
    bot._request = (request, request)  # noqa: SLF001 - PTB keeps (getUpdates request, other request) here
    if not rate_limiter and hasattr(bot, "_rate_limiter"):
        bot._rate_limiter = None  # noqa: SLF001
    return request


class Updates:
    """Real Update objects for private chats (user id == chat id), bound to `bot`."""

    def __init__(self, bot: Any, *, ids: itertools.count | None = None, first_update: int = 1):
        self.bot = bot
        self.message_ids = ids or itertools.count(1)
        self.update_ids = itertools.count(first_update)
        self.query_ids = itertools.count(1)

    def build(self, data: dict[str, Any]) -> Update:
        return Update.de_json(data, self.bot)

    def message_dict(self, user_id: int, text: str | None, *, chat_type: str = "private",
                     chat_id: int | None = None) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": next(self.message_ids), "date": int(time.time()),
                               "chat": chat_dict(chat_id if chat_id is not None else user_id, chat_type),
                               "from": user_dict(user_id)}
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        return msg

    def text_data(self, user_id: int, text: str) -> dict[str, Any]:
        return {"update_id": next(self.update_ids), "message": self.message_dict(user_id, text)}

    def press_data(self, user_id: int, message: dict[str, Any] | None, data: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"id": f"q{next(self.query_ids)}", "from": user_dict(user_id),
                                 "chat_instance": f"ci{user_id}"}
        if data is not None:
            query["data"] = data
        if message is not None:
            query["message"] = message
        return {"update_id": next(self.update_ids), "callback_query": query}

    def text(self, user_id: int, text: str) -> Update:
        return self.build(self.text_data(user_id, text))

    def press(self, user_id: int, message: dict[str, Any] | None, data: str | None) -> Update:
        return self.build(self.press_data(user_id, message, data))

    def raw(self, data: dict[str, Any]) -> Update:
        data = dict(data)
        data.setdefault("update_id", next(self.update_ids))
        return self.build(data)


def buttons(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, callback data) of a message's inline keyboard, row by row."""
    rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b["callback_data"]) for row in rows for b in row if b.get("callback_data")]
