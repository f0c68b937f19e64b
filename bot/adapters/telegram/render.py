"""Pure rendering: replies → HTML chunks and inline keyboards, and callback data in and out.

Nothing here talks to Telegram; everything is a function of the reply and the content version, so it can be
tested without a network and matches the console: option N is the N-th button, row by row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram._telegramobject import TelegramObject

from flows.model import Option, Reply

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CHUNK = 4000  # raw characters per message: room for the "→ chosen" line added when a press is answered
DATA_LIMIT = 64  # bytes of callback_data Telegram accepts
SHORT_LABEL = 18  # labels this short may sit two to a row
CHOSEN = "\n\n→ <i>{label}</i>"
PAD_ROWS = (("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"), ("⌫", "0", "✓"))
PAD_IDS = {"⌫": "del", "✓": "ok"}


def escape(text: str) -> str:
    """Everything a person reads is escaped: it comes from content and from people's own reflections."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = CHUNK) -> list[str]:
    """Raw text in pieces of at most `limit` characters, cut at a paragraph, a line or a space when possible."""
    text = text.strip() or "…"
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [p for p in pieces if p] or ["…"]


def encode(version: str, turn: int, option_id: str, index: int) -> str:
    """callback_data `VERSION6:TURN:OPTION`, or `VERSION6:TURN:#INDEX` when the option id would not fit."""
    data = f"{version[:6]}:{turn}:{option_id}"
    if len(data.encode()) <= DATA_LIMIT:
        return data
    return f"{version[:6]}:{turn}:#{index}"


@dataclass(frozen=True)
class Press:
    version: str
    turn: int
    option: str  # an option id, or "#N" (the N-th option of the current step)

    @property
    def index(self) -> int | None:
        if self.option.startswith("#") and self.option[1:].isdigit():
            return int(self.option[1:])
        return None


def decode(data: str | None) -> Press | None:
    if not data:
        return None
    parts = data.split(":", 2)
    if len(parts) != 3 or not parts[1].lstrip("-").isdigit():
        return None
    return Press(parts[0], int(parts[1]), parts[2])


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard kept as the Bot API's JSON. Every turn sends one: PTB's button objects, built and then
    turned back into dicts for the request, cost more than the rest of the keyboard's part of a turn. It is an
    InlineKeyboardMarkup everywhere PTB looks (sent as `to_dict()`); `inline_keyboard` builds the buttons only
    when something asks for them (tests, a repr)."""

    __slots__ = ("_rows", "_buttons")

    def __init__(self, rows: list[list[dict[str, Any]]]):
        TelegramObject.__init__(self)  # not InlineKeyboardMarkup's: its checks are for button objects
        self._rows = rows
        self._buttons: tuple[tuple[InlineKeyboardButton, ...], ...] | None = None
        self._freeze()

    def __eq__(self, other: object) -> bool:  # compared by its rows (built lazily, unlike _id_attrs)
        return self._rows == other._rows if isinstance(other, Keyboard) else super().__eq__(other)

    def __hash__(self) -> int:
        return hash((Keyboard, tuple(tuple(_frozen(b) for b in row) for row in self._rows)))

    @property  # type: ignore[override]
    def inline_keyboard(self) -> tuple[tuple[InlineKeyboardButton, ...], ...]:
        if self._buttons is None:
            with self._unfrozen():
                self._buttons = tuple(tuple(InlineKeyboardButton.de_json(b, None) for b in row) for row in self._rows)
        return self._buttons

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        """The Bot API's JSON (the rows themselves, not a copy: read it, do not change it)."""
        return {"inline_keyboard": self._rows}


def _frozen(button: dict[str, Any]) -> tuple:
    return tuple((k, tuple(v.items()) if isinstance(v, dict) else v) for k, v in button.items())


def keyboard(reply: Reply, version: str) -> Keyboard | None:
    """One button per row, or two per row when both labels are short; row-major order is the console order."""
    if not reply.options and reply.copy is None:
        return None
    turn = reply.turn
    buttons = [{"text": o.label, "callback_data": encode(version, turn, o.id, i)} for i, o in enumerate(reply.options)]
    rows: list[list[dict[str, Any]]] = []
    if reply.copy is not None:  # a URL button cannot dial; copying the number is what a phone can do next
        label, text = reply.copy
        rows.append([{"text": label, "copy_text": {"text": text}}])
    if reply.kind == "pad":  # a PIN is entered on keys, never typed into the chat other devices receive
        rows += [[{"text": key, "callback_data": encode(version, turn, f"pin:{PAD_IDS.get(key, key)}", 0)}
                  for key in row] for row in PAD_ROWS]
        return Keyboard(rows + [[b] for b in buttons])
    i = 0
    while i < len(buttons):
        if i + 1 < len(buttons) and _short(reply.options[i]) and _short(reply.options[i + 1]):
            rows.append(buttons[i:i + 2])
            i += 2
        else:
            rows.append([buttons[i]])
            i += 1
    return Keyboard(rows)


def _short(option: Option) -> bool:
    return len(option.label) <= SHORT_LABEL


def chosen(question_html: str, label: str) -> str:
    """The question with the chosen answer under it, for the message whose button was pressed."""
    return question_html + CHOSEN.format(label=escape(label))
