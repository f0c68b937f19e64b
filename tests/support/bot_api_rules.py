"""The Bot API's rules for what the bot sends, in one place: what Telegram itself would refuse with 400.

Used by the HTTP fake (tests/support/fake_telegram.py) and by the offline Bot API (tests/support/offline.py),
so end-to-end, fuzz and state-machine tests all refuse the same output: HTML that Telegram cannot parse (only
its tags, properly nested, known character entities), text over 4,096 characters, captions over 1,024,
inline buttons without text or with callback data outside 1-64 bytes, callback answers over 200 characters,
invalid commands and chat actions. Lengths are counted in code points (a deliberate leniency: Telegram
counts after entity parsing, in UTF-16 units for entities).
"""

from __future__ import annotations

import re
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
CALLBACK_ANSWER_LIMIT = 200
COMMANDS_LIMIT = 100
COMMAND_DESCRIPTION_LIMIT = 256

CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "a": "text_link", "code": "code", "pre": "pre", "span": "spoiler", "tg-spoiler": "spoiler",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_PLAIN_RE = re.compile(r"[^&<]+")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z][\w-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


class ApiError(Exception):
    """An error answer: HTTP status == error_code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Telegram-style HTML → (plain text, entities); raises ApiError 400 on bad markup."""
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict]] = []  # (tag, utf16 start, entity skeleton)
    entities: list[dict] = []
    i, n = 0, len(text)

    def bad(msg: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {msg}")

    def off(j: int) -> int:
        return len(text[:j].encode())

    while i < n:
        c = text[i]
        if c == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise bad(f"Unsupported character entity at byte offset {off(i)}")
            name = m.group(1)
            if name in _NAMED:
                ch = _NAMED[name]
            else:
                cp = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
                if not 0 < cp <= 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                    raise bad(f"Invalid character entity at byte offset {off(i)}")
                ch = chr(cp)
            out.append(ch)
            pos16 += utf16(ch)
            i = m.end()
        elif c == "<" and text.startswith("</", i):
            m = re.compile(r"</([a-zA-Z][\w-]*)\s*>").match(text, i)
            if not m:
                raise bad(f"Unexpected end tag at byte offset {off(i)}")
            name = m.group(1).lower()
            if not stack:
                raise bad(f"Unexpected end tag at byte offset {off(i)}")
            top, start, ent = stack.pop()
            if name != top:
                raise bad(
                    f'Unmatched end tag at byte offset {off(i)}, expected "</{top}>", '
                    f'found "</{name}>"'
                )
            if pos16 > start and ent:
                entities.append({**ent, "offset": start, "length": pos16 - start})
            i = m.end()
        elif c == "<":
            m = re.compile(r"<([a-zA-Z][\w-]*)").match(text, i)
            if not m:
                raise bad(f'Unsupported start tag "" at byte offset {off(i)}')
            name = m.group(1).lower()
            if name not in _HTML_TAGS:
                raise bad(f'Unsupported start tag "{name}" at byte offset {off(i)}')
            j, attrs = m.end(), {}
            while True:
                am = _ATTR_RE.match(text, j)
                if not am or am.end() == j:
                    break
                val = am.group(2) or ""
                if val[:1] in "\"'":
                    val = val[1:-1]
                attrs[am.group(1).lower()] = _ENTITY_RE.sub(lambda x: _NAMED.get(x.group(1), x.group(0)), val)
                j = am.end()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise bad(f"Unclosed start tag at byte offset {off(i)}")
            ent: dict = {"type": _HTML_TAGS[name]}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise bad(f'Unsupported start tag "span" at byte offset {off(i)}')
            if name == "a":
                ent["url"] = attrs.get("href", "")
            if name == "tg-emoji":
                if "emoji-id" not in attrs:
                    raise bad(f'Custom emoji identifier expected at byte offset {off(i)}')
                ent["custom_emoji_id"] = attrs["emoji-id"]
            if name == "blockquote" and "expandable" in attrs:
                ent["type"] = "expandable_blockquote"
            if name == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] == pos16:
                lang = attrs.get("class", "")
                if lang.startswith("language-"):
                    stack[-1][2]["language"] = lang[9:]
                    ent = {}
            stack.append((name, pos16, ent))
            i = j + 1
        else:  # a run of plain characters, up to the next entity or tag
            m = _PLAIN_RE.match(text, i)
            assert m is not None
            out.append(m.group())
            pos16 += utf16(m.group())
            i = m.end()
    if stack:
        raise bad(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return _strip("".join(out), entities)


def _strip(raw: str, entities: list[dict]) -> tuple[str, list[dict]]:
    plain = raw.strip()
    lead = utf16(raw[: len(raw) - len(raw.lstrip())])
    total = utf16(plain)
    fixed = []
    for e in sorted(entities, key=lambda e: e["offset"]):
        start = max(e["offset"] - lead, 0)
        end = min(e["offset"] + e["length"] - lead, total)
        if end > start:
            fixed.append({**e, "offset": start, "length": end - start})
    return plain, fixed


def check_markdown_v2(text: str) -> None:
    """Rejects unescaped characters that MarkdownV2 reserves and that are never markup here."""
    i, in_code = 0, False
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        elif not in_code and c in ".-=+#{}!" and not (c == "!" and text[i + 1:i + 2] == "["):
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Character '{c}' is reserved and must be "
                "escaped with the preceding '\\'",
            )
        i += 1


def formatted(text: str, parse_mode: str | None, limit: int, what: str) -> dict:
    """The message content Telegram would store for `text` under `parse_mode`; ApiError 400 when refused."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, ents = parse_html(text)
    elif mode in ("markdownv2", "markdown", ""):
        if mode == "markdownv2":
            check_markdown_v2(text)
        plain, ents = text.strip(), []
    else:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    if len(plain) > limit:
        raise ApiError(400, "Bad Request: message is too long" if what == "text"
                       else "Bad Request: message caption is too long")
    key = "entities" if what == "text" else "caption_entities"
    return {what: plain, **({key: ents} if ents else {})} if plain or what == "text" else {}


def check_markup(markup: Any) -> dict | None:
    """A decoded reply_markup as Telegram checks it (inline buttons: text, 1-64 bytes of callback data, URL)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                            "InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif "url" in button:
                if not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            elif not any(k in button for k in ("web_app", "login_url", "switch_inline_query",
                         "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                         "copy_text", "callback_game", "pay")):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                    "Text buttons are unallowed in the inline keyboard")
    return markup


def message_text(text: Any, parse_mode: str | None) -> dict:
    """sendMessage / editMessageText: a non-empty text within TEXT_LIMIT after parsing."""
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    content = formatted(text, parse_mode, TEXT_LIMIT, "text")
    if not content["text"]:
        raise ApiError(400, "Bad Request: message text is empty")
    return content


def caption(text: Any, parse_mode: str | None) -> dict:
    """sendPhoto / sendDocument / editMessageCaption: an optional caption within CAPTION_LIMIT after parsing."""
    return formatted(text, parse_mode, CAPTION_LIMIT, "caption") if text else {}


def callback_answer(text: Any) -> None:
    if len(str(text or "")) > CALLBACK_ANSWER_LIMIT:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")


def commands(value: Any) -> list[dict]:
    if not isinstance(value, list):
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    if len(value) > COMMANDS_LIMIT:
        raise ApiError(400, "Bad Request: too many commands specified")
    for c in value:
        if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(c.get("description") or "")) <= COMMAND_DESCRIPTION_LIMIT:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in value]


# setMyCommands' optional fields (core.telegram.org/bots/api#setmycommands and #botcommandscope): `scope` is one
# of seven BotCommandScope objects, three of them naming a chat (and one a member too); `language_code` is "a
# two-letter ISO 639-1 language code" or empty ("commands will be applied to all users from the given scope,
# for whose language there are no dedicated commands"). The error texts below are this fake's own wording.
SCOPES = {"default": (), "all_private_chats": (), "all_group_chats": (), "all_chat_administrators": (),
          "chat": ("chat_id",), "chat_administrators": ("chat_id",), "chat_member": ("chat_id", "user_id")}


def command_scope(scope: Any) -> dict:
    if scope is None:
        return {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    needed = SCOPES[scope["type"]]
    if set(scope) != {"type", *needed}:
        raise ApiError(400, "Bad Request: wrong BotCommandScope fields")
    for name in needed:
        if not isinstance(scope[name], (int, str)) or isinstance(scope[name], bool):
            raise ApiError(400, "Bad Request: chat not found")
    return scope


def command_language(code: Any) -> str:
    if code in (None, ""):
        return ""
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2}", code):
        raise ApiError(400, "Bad Request: invalid language code specified")
    return code


def chat_action(action: Any) -> None:
    if action not in CHAT_ACTIONS:
        raise ApiError(400, "Bad Request: wrong parameter action in request")
