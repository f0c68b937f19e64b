"""Pure rendering: replies → HTML chunks and inline keyboards, and callback data in and out.

Nothing here talks to Telegram; everything is a function of the reply and the content version, so it can be
tested without a network and matches the console: option N is the N-th button, row by row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

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


def keyboard(reply: Reply, version: str) -> InlineKeyboardMarkup | None:
    """One button per row, or two per row when both labels are short; row-major order is the console order."""
    if not reply.options and reply.copy is None:
        return None
    buttons = [InlineKeyboardButton(o.label, callback_data=encode(version, reply.turn, o.id, i))
               for i, o in enumerate(reply.options)]
    rows: list[list[InlineKeyboardButton]] = []
    if reply.copy is not None:  # a URL button cannot dial; copying the number is what a phone can do next
        label, text = reply.copy
        rows.append([InlineKeyboardButton(label, copy_text=CopyTextButton(text))])
    if reply.kind == "pad":  # a PIN is entered on keys, never typed into the chat other devices receive
        rows += [[InlineKeyboardButton(key, callback_data=encode(version, reply.turn, f"pin:{PAD_IDS.get(key, key)}", 0))
                  for key in row] for row in PAD_ROWS]
        return InlineKeyboardMarkup(rows + [[b] for b in buttons])
    i = 0
    while i < len(buttons):
        if i + 1 < len(buttons) and _short(reply.options[i]) and _short(reply.options[i + 1]):
            rows.append(buttons[i:i + 2])
            i += 2
        else:
            rows.append([buttons[i]])
            i += 1
    return InlineKeyboardMarkup(rows)


def _short(option: Option) -> bool:
    return len(option.label) <= SHORT_LABEL


def chosen(question_html: str, label: str) -> str:
    """The question with the chosen answer under it, for the message whose button was pressed."""
    return question_html + CHOSEN.format(label=escape(label))
