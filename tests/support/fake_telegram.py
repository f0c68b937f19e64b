"""A strict in-process stand-in for Telegram's HTTP Bot API, for end-to-end tests and benchmarks.

Usage (all inside a running event loop)::

    fake = FakeTelegram(token="123456:TEST", clock=None)  # clock() -> epoch seconds
    await fake.start()            # binds 127.0.0.1 on a free port
    bot = telegram.Bot(fake.token, base_url=fake.base_url)   # "http://127.0.0.1:PORT/bot"
    ...
    await fake.stop()

Producing updates (sync; each returns the Update dict and queues it for getUpdates):
    user_text(user_id, text, *, chat_id=None, chat_type="private")
    user_command(user_id, command, arg=None)
    press(user_id, message_id, data, *, chat_id=None, check=True)   # callback_query
    user_sticker(user_id) / user_photo(user_id, caption=None) / user_voice(user_id)
    user_document(user_id, file_name="file.pdf", caption=None)
    edited_text(user_id, message_id, text) / group_text(chat_id, user_id, text)
    my_chat_member(user_id, status="kicked"|"member")  (also block(user_id) / unblock(user_id))
    raw_update(dict)
    await deliver_webhook(update, *, secret=<webhook secret>) -> HTTP status

Inspection:
    sent(chat_id) -> [Record]; last(chat_id) -> Record; buttons(chat_id, message_id=None)
    Record: message_id, text (raw, as the bot sent it; caption for media), plain (after entity
    parsing), caption, reply_markup, parse_mode, kind, deleted, edits ([Version]), file_bytes,
    file_name, date
    calls [(method, params)], errors [(method, code, description)] (answers a client that
    already hung up are not errors), answered_callbacks [dict], unanswered_callbacks()
    [callback_query dicts], acked_offset, pending_updates() (not yet confirmed by an offset),
    commands (default scope), commands_for(scope, language_code), user_languages {user id: code}, webhook (Webhook namedtuple; url == "" when unset), http_429
    (http_429_chat: those the per-chat cap refused).
    last() raises LookupError when the bot sent nothing; press() raises ValueError for a
    button that is not on the message (check=False to skip).
    await wait_for(predicate, timeout=5); await wait_for_messages(chat_id, n, timeout=5)

Faults:
    fail_next(method, *, error=429|403|400|500|"timeout", count=1, chat_id=None, retry_after=1,
              description=None, delay=None)   # method "*" matches any; "timeout" holds the request
              for `delay` (default fake.timeout_delay) seconds, then processes it normally
    rate_limit(per_second=30 | None, *, per_chat=None, chat_burst=3)
                                              # sliding 1 s window over send*/edit* (not
                                              # sendChatAction) -> 429 with retry_after; per_chat:
                                              # also per chat, `per_chat` a second with bursts of
                                              # up to `chat_burst` (Telegram: "avoid more than one
                                              # message per second in a chat"; short bursts allowed)

Timing (benchmarks): observe(fn) calls fn(method, params, ok) as each call is answered.

What the Bot API refuses in what the bot sends (HTML, lengths, buttons, commands) lives in
tests/support/bot_api_rules.py, shared with tests/support/offline.py.
Deliberate leniencies: setWebhook accepts http:// URLs; MarkdownV2 is only checked for
unescaped reserved characters; text lengths are counted in code points.
Nothing logged here contains message text or the token.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import aiohttp
from aiohttp import web

from tests.support import bot_api_rules as rules
from tests.support.bot_api_rules import ApiError, check_markdown_v2, parse_html, utf16  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

HOURS_48 = 48 * 3600
_CANT_EDIT = "Bad Request: message to edit not found"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_OLD_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_TEXT_FIELDS = {
    "text", "caption", "parse_mode", "url", "secret_token", "callback_query_id", "data",
    "description", "short_description", "name", "title", "emoji", "language_code", "photo",
    "document", "action", "ip_address", "inline_message_id", "file_id", "message_effect_id",
}
_DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}


class Upload(NamedTuple):
    filename: str
    data: bytes
    content_type: str | None


class Webhook(NamedTuple):
    url: str = ""
    secret: str | None = None
    allowed_updates: list | None = None


@dataclass(frozen=True)
class Version:
    text: str | None
    parse_mode: str | None
    reply_markup: dict | None
    date: int


@dataclass
class Record:
    """One message in a chat (the bot's or a fake user's)."""

    message_id: int
    chat_id: int
    kind: str
    date: int
    from_bot: bool
    user_id: int | None = None
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict | None = None
    content: dict = field(default_factory=dict)
    deleted: bool = False
    edits: list[Version] = field(default_factory=list)
    edit_date: int | None = None
    file_bytes: bytes | None = None
    file_name: str | None = None

    @property
    def caption(self) -> str | None:
        return self.text if self.kind != "text" else None

    @property
    def plain(self) -> str | None:
        return self.content.get("text", self.content.get("caption"))


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {name} is empty" if value in (None, "") else
                       f"Bad Request: invalid {name} specified") from None


class FakeTelegram:
    """aiohttp server speaking the Bot API; see the module docstring."""

    def __init__(self, token: str = "123456:TEST", *, clock: Callable[[], float] | None = None):
        self.token = token
        self.clock = clock or time.time
        self.bot_user = {
            "id": int(token.split(":")[0]), "is_bot": True, "first_name": "Fulcrum Test",
            "username": "fulcrum_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        self.calls: list[tuple[str, dict]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.answered_callbacks: list[dict] = []
        self.acked_offset = 0
        self.http_429 = 0
        self.http_429_chat = 0  # of those, refused by the per-chat cap
        self.timeout_delay = 6.0
        self.webhook = Webhook()
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self.user_languages: dict[int, str | None] = {}  # user id → language_code sent (default "en"; None: none)
        self._chats: dict[int, dict] = {}
        self._messages: dict[int, dict[int, Record]] = collections.defaultdict(dict)
        self._next_mid: dict[int, itertools.count] = collections.defaultdict(lambda: itertools.count(1))
        self._updates: list[dict] = []
        self._next_update = 1
        self._update_event = asyncio.Event()
        self._closing = asyncio.Event()
        self._poll_gen = 0
        self._allowed: set[str] | None = None
        self._callbacks: dict[str, dict] = {}
        self._answered_ids: set[str] = set()
        self._blocked: set[int] = set()
        self._faults: list[dict] = []
        self._rate: int | None = None
        self._window: collections.deque[float] = collections.deque()
        self._chat_rate: float | None = None
        self._chat_burst = 3.0
        self._chat_tokens: dict[Any, tuple[float, float]] = {}  # chat id -> (tokens, when)
        self._observers: list[Callable[[str, dict, bool], None]] = []
        self._files: dict[str, Upload | None] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._handlers = {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendDocument": self._send_document, "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption, "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer_callback, "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages, "sendChatAction": self._chat_action,
            "setMyCommands": self._set_commands, "getMyCommands": self._get_commands,
            "deleteMyCommands": self._delete_commands, "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook, "getWebhookInfo": self._webhook_info,
        }
        self._by_lower = {k.lower(): k for k in self._handlers}

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._closing.set()
        self._update_event.set()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ HTTP plumbing
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(method, ApiError(401, "Unauthorized"))
        canonical = self._by_lower.get(method.lower(), method)
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._error(canonical, exc)
        self.calls.append((canonical, params))
        try:
            if canonical not in self._handlers:
                raise ApiError(404, "Not Found")
            await self._apply_faults(canonical, params)
            self._apply_rate_limit(canonical, params)
            result = await self._handlers[canonical](params)
        except ApiError as exc:
            self._notify(canonical, params, False)
            if request.transport is None or request.transport.is_closing():
                log.debug("fake telegram %s -> %s after the client left", canonical, exc.code)
                return web.json_response({}, status=exc.code)  # nobody reads it; not an error
            return self._error(canonical, exc)
        log.debug("fake telegram %s -> 200", canonical)
        self._notify(canonical, params, True)
        return web.json_response({"ok": True, "result": result})

    def _notify(self, method: str, params: dict, ok: bool) -> None:
        for fn in self._observers:
            fn(method, params, ok)

    def _error(self, method: str, exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        if exc.code == 429:
            self.http_429 += 1
        self.errors.append((method, exc.code, exc.description))
        log.debug("fake telegram %s -> %s", method, exc.code)
        return web.json_response(body, status=exc.code)

    async def _read_params(self, request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if request.can_read_body:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: JSON object expected")
                return {**params, **body}
            if ctype == "multipart/form-data":
                async for part in await request.multipart():
                    data = bytes(await part.read())
                    if part.filename is not None:
                        params[part.name] = Upload(part.filename, data, part.headers.get("Content-Type"))
                    else:
                        params[part.name] = data.decode()
            else:
                params.update(await request.post())
        return {k: _decode(k, v) for k, v in params.items()}

    async def _apply_faults(self, method: str, params: dict) -> None:
        for fault in self._faults:
            if fault["method"] not in ("*", method):
                continue
            if fault["chat_id"] is not None and str(params.get("chat_id")) != str(fault["chat_id"]):
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                self._faults.remove(fault)
            error = fault["error"]
            if error == "timeout":
                try:
                    await asyncio.wait_for(self._closing.wait(), fault["delay"] or self.timeout_delay)
                except TimeoutError:
                    pass
                return
            defaults = {429: f"Too Many Requests: retry after {fault['retry_after']}",
                        403: "Forbidden: bot was blocked by the user",
                        400: "Bad Request: injected failure", 500: "Internal Server Error"}
            raise ApiError(int(error), fault["description"] or defaults.get(int(error), "Error"),
                           fault["retry_after"] if int(error) == 429 else None)

    def _apply_rate_limit(self, method: str, params: dict | None = None) -> None:
        if (self._rate is None and self._chat_rate is None) or not (
                method.startswith(("send", "edit")) and method != "sendChatAction"):
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if self._rate is not None and len(self._window) >= self._rate:
            wait = max(1, math.ceil(1.0 - (now - self._window[0])))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        chat = (params or {}).get("chat_id")
        if self._chat_rate is not None and chat is not None:
            tokens, then = self._chat_tokens.get(str(chat), (self._chat_burst, now))
            tokens = min(self._chat_burst, tokens + (now - then) * self._chat_rate)
            if tokens < 1:
                self.http_429_chat += 1
                wait = max(1, math.ceil((1 - tokens) / self._chat_rate))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
            self._chat_tokens[str(chat)] = (tokens - 1, now)
        self._window.append(now)

    # ------------------------------------------------------------------ faults API
    def fail_next(self, method: str, *, error: int | str = 429, count: int = 1,
                  chat_id: int | None = None, retry_after: int = 1,
                  description: str | None = None, delay: float | None = None) -> None:
        self._faults.append({"method": method, "error": error, "count": count, "chat_id": chat_id,
                             "retry_after": retry_after, "description": description, "delay": delay})

    def rate_limit(self, per_second: int | None = 30, *, per_chat: float | None = None,
                   chat_burst: float = 3) -> None:
        self._rate = per_second
        self._window.clear()
        self._chat_rate, self._chat_burst = per_chat, float(chat_burst)
        self._chat_tokens.clear()

    def observe(self, fn: Callable[[str, dict, bool], None]) -> None:
        self._observers.append(fn)

    # ------------------------------------------------------------------ helpers
    def _now(self) -> int:
        return int(self.clock())

    def _user(self, user_id: int) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        # Telegram sends the user's app language when it knows it (an IETF tag, e.g. "es" or "pt-br").
        code = self.user_languages.get(user_id, "en")
        return {**user, "language_code": code} if code else user

    def _chat(self, chat_id: int, chat_type: str = "private") -> dict:
        if chat_id not in self._chats:
            if chat_type == "private":
                self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
            else:
                self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}
        return self._chats[chat_id]

    def _file_ids(self, prefix: str) -> tuple[str, str]:
        n = next(self._ids)
        return f"{prefix}AAxkBAAI{n:06d}fake", f"AQAD{n:06d}"

    def message_dict(self, rec: Record) -> dict:
        d = {"message_id": rec.message_id, "date": rec.date, "chat": self._chats[rec.chat_id],
             "from": self.bot_user if rec.from_bot else self._user(rec.user_id or rec.chat_id)}
        if rec.edit_date:
            d["edit_date"] = rec.edit_date
        d.update(rec.content)
        if rec.reply_markup and "inline_keyboard" in rec.reply_markup:
            d["reply_markup"] = rec.reply_markup
        return d

    def _store(self, chat_id: int, **kw: Any) -> Record:
        rec = Record(message_id=next(self._next_mid[chat_id]), chat_id=chat_id, date=self._now(), **kw)
        self._messages[chat_id][rec.message_id] = rec
        return rec

    def _push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self._next_update, kind: payload}
        self._next_update += 1
        self._updates.append(update)
        self._update_event.set()
        return update

    def _target(self, params: dict) -> int:
        chat_id = self._chat_id(params)
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _check_reply(self, chat_id: int, params: dict) -> None:
        rp = params.get("reply_parameters") or {}
        mid = rp.get("message_id") if isinstance(rp, dict) else None
        mid = mid if mid is not None else params.get("reply_to_message_id")
        allow = rp.get("allow_sending_without_reply") if isinstance(rp, dict) else False
        if mid is not None and not allow:
            rec = self._messages[chat_id].get(_int(mid, "message_id"))
            if rec is None or rec.deleted:
                raise ApiError(400, "Bad Request: message to be replied not found")

    # ------------------------------------------------------------------ methods
    async def _get_me(self, p: dict) -> dict:
        return self.bot_user

    async def _get_updates(self, p: dict) -> list[dict]:
        if self.webhook.url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = _int(p.get("offset") or 0, "offset")
        limit = min(max(_int(p.get("limit") or 100, "limit"), 1), 100)
        timeout = max(0.0, float(p.get("timeout") or 0))
        if "allowed_updates" in p:
            self._allowed = set(p["allowed_updates"]) if p["allowed_updates"] else None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.acked_offset = max(self.acked_offset, offset)
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_gen += 1
        gen = self._poll_gen
        self._update_event.set()  # wake (and thereby terminate) an older long poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await asyncio.sleep(0)
            if gen != self._poll_gen:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
            allowed = self._allowed
            self._updates = [u for u in self._updates if self._is_allowed(u, allowed)]
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing.is_set():
                return batch
            self._update_event.clear()
            try:
                await asyncio.wait_for(self._update_event.wait(), remaining)
            except TimeoutError:
                pass

    @staticmethod
    def _is_allowed(update: dict, allowed: set[str] | None) -> bool:
        kinds = [k for k in update if k != "update_id"]
        if not kinds:
            return True
        return kinds[0] not in _DEFAULT_EXCLUDED if allowed is None else kinds[0] in allowed

    async def _send_message(self, p: dict) -> dict:
        chat_id = self._target(p)
        text = p.get("text")
        content = rules.message_text(text, p.get("parse_mode"))
        markup = rules.check_markup(p.get("reply_markup"))
        self._check_reply(chat_id, p)
        rec = self._store(chat_id, kind="text", from_bot=True, text=text,
                          parse_mode=p.get("parse_mode"), reply_markup=markup, content=content)
        return self.message_dict(rec)

    async def _send_media(self, p: dict, kind: str) -> dict:
        chat_id = self._target(p)
        media = p.get(kind)
        if media in (None, ""):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        upload: Upload | None = None
        if isinstance(media, Upload):
            if not media.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            upload = media
        elif media in self._files:
            upload = self._files[media]
        elif not re.match(r"^https?://", str(media)):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption = p.get("caption")
        content = rules.caption(caption, p.get("parse_mode"))
        markup = rules.check_markup(p.get("reply_markup"))
        self._check_reply(chat_id, p)
        size = len(upload.data) if upload else 1024
        if kind == "photo":
            sizes = []
            for suffix, (w, h) in (("s", (90, 67)), ("x", (800, 600))):
                fid, uid = self._file_ids("AgACAgIAA")
                sizes.append({"file_id": fid + suffix, "file_unique_id": uid + suffix,
                              "width": w, "height": h, "file_size": size})
                self._files[fid + suffix] = upload
            content["photo"] = sizes
        else:
            fid, uid = self._file_ids("BQACAgIAA")
            name = upload.filename if upload else str(media).rsplit("/", 1)[-1] or "file"
            content["document"] = {"file_id": fid, "file_unique_id": uid, "file_name": name,
                                   "mime_type": (upload and upload.content_type) or
                                   "application/octet-stream", "file_size": size}
            self._files[fid] = upload
        rec = self._store(chat_id, kind=kind, from_bot=True, text=caption,
                          parse_mode=p.get("parse_mode"), reply_markup=markup, content=content,
                          file_bytes=upload.data if upload else None,
                          file_name=upload.filename if upload else None)
        return self.message_dict(rec)

    async def _send_photo(self, p: dict) -> dict:
        return await self._send_media(p, "photo")

    async def _send_document(self, p: dict) -> dict:
        return await self._send_media(p, "document")

    def _editable(self, p: dict) -> Record:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._target(p)
        rec = self._messages[chat_id].get(_int(p.get("message_id"), "message_id"))
        if rec is None or rec.deleted or not rec.from_bot:
            raise ApiError(400, _CANT_EDIT)
        return rec

    def _apply_edit(self, rec: Record, content: dict, markup: dict | None, text: Any, mode: Any) -> dict:
        old_inline = rec.reply_markup if rec.reply_markup and "inline_keyboard" in rec.reply_markup else None
        new_inline = markup if markup and "inline_keyboard" in markup else None
        same_content = all(rec.content.get(k) == content.get(k) for k in
                           ("text", "entities", "caption", "caption_entities"))
        if same_content and json.dumps(old_inline, sort_keys=True) == json.dumps(new_inline, sort_keys=True):
            raise ApiError(400, _NOT_MODIFIED)
        rec.edits.append(Version(rec.text, rec.parse_mode, rec.reply_markup, rec.edit_date or rec.date))
        for k in ("text", "entities", "caption", "caption_entities"):
            rec.content.pop(k, None)
        rec.content.update(content)
        rec.text, rec.parse_mode, rec.reply_markup = text, mode, markup
        rec.edit_date = self._now()
        return self.message_dict(rec)

    async def _edit_text(self, p: dict) -> dict:
        rec = self._editable(p)
        if rec.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = p.get("text")
        content = rules.message_text(text, p.get("parse_mode"))
        return self._apply_edit(rec, content, rules.check_markup(p.get("reply_markup")), text, p.get("parse_mode"))

    async def _edit_caption(self, p: dict) -> dict:
        rec = self._editable(p)
        if rec.kind == "text":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = p.get("caption") or None
        content = rules.caption(caption, p.get("parse_mode"))
        return self._apply_edit(rec, content, rules.check_markup(p.get("reply_markup")), caption, p.get("parse_mode"))

    async def _edit_markup(self, p: dict) -> dict:
        rec = self._editable(p)
        content = {k: rec.content[k] for k in ("text", "entities", "caption", "caption_entities")
                   if k in rec.content}
        return self._apply_edit(rec, content, rules.check_markup(p.get("reply_markup")), rec.text, rec.parse_mode)

    async def _answer_callback(self, p: dict) -> bool:
        qid = str(p.get("callback_query_id") or "")
        query = self._callbacks.get(qid)
        if query is None or qid in self._answered_ids:
            raise ApiError(400, _OLD_QUERY)
        rules.callback_answer(p.get("text"))
        self._answered_ids.add(qid)
        self.answered_callbacks.append({
            "id": qid, "data": query.get("data"), "user_id": query["from"]["id"],
            "message_id": query["message"]["message_id"], "text": p.get("text"),
            "show_alert": bool(p.get("show_alert")), "url": p.get("url")})
        return True

    def _try_delete(self, chat_id: int, message_id: Any) -> None:
        rec = self._messages.get(chat_id, {}).get(_int(message_id, "message_id"))
        if rec is None or rec.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        private = self._chats[chat_id]["type"] == "private"
        if self._now() - rec.date >= HOURS_48 or not (rec.from_bot or private):
            raise ApiError(400, "Bad Request: message can't be deleted")
        rec.deleted = True

    def _chat_id(self, p: dict) -> int:
        chat_id = p.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            chat_id = int(chat_id)
        if isinstance(chat_id, bool) or not isinstance(chat_id, int) or chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    async def _delete_message(self, p: dict) -> bool:
        self._try_delete(self._chat_id(p), p.get("message_id"))
        return True

    async def _delete_messages(self, p: dict) -> bool:
        chat_id = self._chat_id(p)
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        if len(ids) > 100:
            raise ApiError(400, "Bad Request: too many message identifiers specified")
        deleted = 0
        for mid in ids:
            try:
                self._try_delete(chat_id, mid)
                deleted += 1
            except ApiError:
                pass
        if not deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _chat_action(self, p: dict) -> bool:
        self._target(p)
        rules.chat_action(p.get("action"))
        return True

    @staticmethod
    def _scope_key(p: dict) -> tuple[str, str]:
        scope = p.get("scope")
        if isinstance(scope, str):  # form-encoded: a JSON string
            scope = json.loads(scope)
        scope = rules.command_scope(scope)
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            scope = {**scope, "chat_id": int(scope["chat_id"])}
        return json.dumps(scope, sort_keys=True), rules.command_language(p.get("language_code"))

    async def _set_commands(self, p: dict) -> bool:
        self._commands[self._scope_key(p)] = rules.commands(p.get("commands"))
        return True

    async def _get_commands(self, p: dict) -> list[dict]:
        return self._commands.get(self._scope_key(p), [])

    async def _delete_commands(self, p: dict) -> bool:
        self._commands.pop(self._scope_key(p), None)
        return True

    async def _set_webhook(self, p: dict) -> bool:
        url = str(p.get("url") or "")
        secret = p.get("secret_token")
        if url and not re.match(r"^https?://\S+$", url):
            raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        allowed = p.get("allowed_updates")
        if "allowed_updates" in p:
            self._allowed = set(allowed) if allowed else None
        self.webhook = Webhook(url, str(secret) if secret else None, allowed) if url else Webhook()
        self._update_event.set()
        return True

    async def _delete_webhook(self, p: dict) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = Webhook()
        return True

    async def _webhook_info(self, p: dict) -> dict:
        info = {"url": self.webhook.url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self.webhook.url:
            info["max_connections"] = 40
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    # ------------------------------------------------------------------ producing updates
    def _user_message(self, user_id: int, kind: str, content: dict, *, chat_id: int | None = None,
                      chat_type: str = "private", text: str | None = None) -> dict:
        chat_id = user_id if chat_id is None else chat_id
        self._chat(chat_id, chat_type)
        rec = self._store(chat_id, kind=kind, from_bot=False, user_id=user_id, text=text, content=content)
        return self._push("message", self.message_dict(rec))

    @staticmethod
    def _text_content(text: str) -> dict:
        content: dict[str, Any] = {"text": text}
        m = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if m:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16(m.group(0))}]
        return content

    def user_text(self, user_id: int, text: str, *, chat_id: int | None = None,
                  chat_type: str = "private") -> dict:
        return self._user_message(user_id, "text", self._text_content(text), chat_id=chat_id,
                                  chat_type=chat_type, text=text)

    def user_command(self, user_id: int, command: str, arg: str | None = None) -> dict:
        command = command if command.startswith("/") else "/" + command
        return self.user_text(user_id, f"{command} {arg}" if arg else command)

    def group_text(self, chat_id: int, user_id: int, text: str) -> dict:
        return self.user_text(user_id, text, chat_id=chat_id, chat_type="group")

    def user_sticker(self, user_id: int) -> dict:
        fid, uid = self._file_ids("CAACAgIAA")
        return self._user_message(user_id, "sticker", {"sticker": {
            "file_id": fid, "file_unique_id": uid, "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "emoji": "\U0001F600"}})

    def user_photo(self, user_id: int, caption: str | None = None) -> dict:
        fid, uid = self._file_ids("AgACAgIAA")
        content: dict[str, Any] = {"photo": [{"file_id": fid, "file_unique_id": uid, "width": 640,
                                              "height": 480, "file_size": 20480}]}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, "photo", content, text=caption)

    def user_voice(self, user_id: int, duration: int = 3) -> dict:
        fid, uid = self._file_ids("AwACAgIAA")
        return self._user_message(user_id, "voice", {"voice": {
            "file_id": fid, "file_unique_id": uid, "duration": duration, "mime_type": "audio/ogg",
            "file_size": 4096}})

    def user_document(self, user_id: int, file_name: str = "file.pdf", caption: str | None = None) -> dict:
        fid, uid = self._file_ids("BQACAgIAA")
        content: dict[str, Any] = {"document": {"file_id": fid, "file_unique_id": uid, "file_name": file_name,
                                                "mime_type": "application/pdf", "file_size": 1024}}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, "document", content, text=caption)

    def edited_text(self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None) -> dict:
        chat_id = user_id if chat_id is None else chat_id
        rec = self._messages[chat_id].get(message_id)
        if rec is None or rec.from_bot or rec.kind != "text":
            raise ValueError("edited_text: no text message by that user with this id in the chat")
        rec.edits.append(Version(rec.text, None, None, rec.edit_date or rec.date))
        rec.text, rec.content, rec.edit_date = text, self._text_content(text), self._now()
        return self._push("edited_message", self.message_dict(rec))

    def press(self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None,
              check: bool = True) -> dict:
        chat_id = user_id if chat_id is None else chat_id
        rec = self._messages.get(chat_id, {}).get(message_id)
        if rec is None or rec.deleted or not rec.from_bot:
            raise ValueError(f"press: no live bot message {message_id} in chat {chat_id}")
        if check and data not in [d for _, d in self.buttons(chat_id, message_id)]:
            raise ValueError(f"press: message {message_id} has no button with that callback_data")
        qid = str(next(self._ids) * 7919 + 4_000_000_000_000)
        query = {"id": qid, "from": self._user(user_id), "message": self.message_dict(rec),
                 "chat_instance": str(-abs(chat_id) * 31), "data": data}
        self._callbacks[qid] = query
        return self._push("callback_query", query)

    def my_chat_member(self, user_id: int, status: str = "kicked") -> dict:
        if status not in ("kicked", "member"):
            raise ValueError("status must be 'kicked' or 'member'")
        chat = self._chat(user_id)
        old = "member" if status == "kicked" else "kicked"
        (self._blocked.add if status == "kicked" else self._blocked.discard)(user_id)

        def member(s: str) -> dict:
            return {"user": self.bot_user, "status": s, **({"until_date": 0} if s == "kicked" else {})}

        return self._push("my_chat_member", {"chat": chat, "from": self._user(user_id), "date": self._now(),
                                             "old_chat_member": member(old), "new_chat_member": member(status)})

    def block(self, user_id: int) -> dict:
        return self.my_chat_member(user_id, "kicked")

    def unblock(self, user_id: int) -> dict:
        return self.my_chat_member(user_id, "member")

    def raw_update(self, update: dict) -> dict:
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update
        self._next_update = max(self._next_update, int(update["update_id"]) + 1)
        self._updates.append(update)
        self._update_event.set()
        return update

    async def deliver_webhook(self, update: dict, *, secret: Any = ..., timeout: float = 10) -> int:
        if not self.webhook.url:
            raise RuntimeError("deliver_webhook: no webhook is set")
        secret = self.webhook.secret if secret is ... else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.post(self.webhook.url, json=update, headers=headers) as resp:
                status = resp.status
        if status == 200 and update in self._updates:
            self._updates.remove(update)
        return status

    # ------------------------------------------------------------------ inspection
    def sent(self, chat_id: int) -> list[Record]:
        return [r for r in self._messages.get(chat_id, {}).values() if r.from_bot]

    def last(self, chat_id: int) -> Record:
        sent = self.sent(chat_id)
        if not sent:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return sent[-1]

    def buttons(self, chat_id: int, message_id: int | None = None) -> list[tuple[str, str | None]]:
        rec = self.last(chat_id) if message_id is None else self._messages.get(chat_id, {}).get(message_id)
        if rec is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        rows = (rec.reply_markup or {}).get("inline_keyboard") or []
        return [(b.get("text"), b.get("callback_data")) for row in rows for b in row]

    def unanswered_callbacks(self) -> list[dict]:
        return [q for qid, q in self._callbacks.items() if qid not in self._answered_ids]

    def pending_updates(self) -> list[dict]:
        return list(self._updates)

    @property
    def commands(self) -> list[dict]:
        return self._commands.get(self._scope_key({}), [])

    def commands_for(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """What setMyCommands set for one scope and language (exactly that pair; no fallback)."""
        return self._commands.get(self._scope_key({"scope": scope, "language_code": language_code}), [])

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5, what: str | None = None) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            if loop.time() >= deadline:
                recent = ", ".join(m for m, _ in self.calls[-8:]) or "none"
                errors = "; ".join(f"{m}->{c}" for m, c, _ in self.errors[-5:]) or "none"
                raise TimeoutError(
                    f"{what or getattr(predicate, '__name__', 'predicate')} not true after {timeout}s "
                    f"({len(self.calls)} API calls; recent: {recent}; recent errors: {errors}; "
                    f"{len(self._updates)} updates pending)")
            await asyncio.sleep(0.01)

    async def wait_for_messages(self, chat_id: int, n: int, timeout: float = 5) -> list[Record]:
        await self.wait_for(lambda: len(self.sent(chat_id)) >= n, timeout,
                            what=f"{n} bot message(s) in chat {chat_id}")
        return self.sent(chat_id)
