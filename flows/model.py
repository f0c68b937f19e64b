"""Plain data the engine takes and gives: inputs, replies, a person's conversation and the result of one turn.

Nothing here knows about Telegram, the console or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Callable
from typing import Any, Literal

InputKind = Literal["open", "option", "text", "command"]


@dataclass(frozen=True)
class Input:
    """One thing a person did: opened the chat, pressed an option, typed text, or sent a command."""

    kind: InputKind
    value: str = ""
    arg: str = ""
    turn: int | None = None  # the turn an option was shown at; None when the adapter cannot tell (console)

    @classmethod
    def open(cls) -> Input:
        return cls("open")

    @classmethod
    def option(cls, option_id: str, turn: int | None = None) -> Input:
        return cls("option", option_id, turn=turn)

    @classmethod
    def text(cls, text: str) -> Input:
        return cls("text", text)

    @classmethod
    def command(cls, name: str, arg: str = "") -> Input:
        return cls("command", name.lower(), arg.strip())


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    ticked: bool = False


@dataclass(frozen=True)
class LaterDocument:
    """A document still to be made (a PDF of someone's record): adapters call `make` off the event loop, after
    the turn's commit, like `Reply.draw` for a chart. `label` is how the console names it: `LABEL: PATH`."""

    name: str
    make: Callable[[], bytes] = field(repr=False)  # holds the document's words: never in a repr or a log
    label: str = "file"


@dataclass(frozen=True)
class Reply:
    """Something to show. A step reply carries the step it shows and its options; a note has neither."""

    text: str
    options: tuple[Option, ...] = ()
    flow: str | None = None
    step: str | None = None
    kind: str | None = None  # the step kind, or None for a note
    turn: int = 0
    image: bytes | None = None
    draw: Callable[[], bytes] | None = None  # an image still to be drawn (PNG); adapters call it off the event loop
    document: tuple[str, bytes] | None = None  # (file name, content)
    document_later: LaterDocument | None = None  # a document still to be made (adapters: off the event loop)
    copy: tuple[str, str] | None = None  # (label, text): a button that copies the text (a phone number)
    # Seconds after which the sent message should leave the chat (a safety plan on screen): the Telegram adapter
    # records the due time with the message id and a periodic job deletes it; never edited into a pressed message.
    expires_after: float | None = None

    @property
    def is_step(self) -> bool:
        return self.step is not None


@dataclass
class Conversation:
    """Where one person is: the flow and step, how they got there, and one place to come back to."""

    flow: str = "menu"
    step: str = ""
    history: list[str] = field(default_factory=list)
    draft: list[str] = field(default_factory=list)  # checklist ticks not yet confirmed with Done
    turn: int = 0
    return_to: dict[str, Any] | None = None  # {"flow", "step", "history"}
    after: str | None = None  # a flow to enter once the current system flow ends (e.g. onboarding → /flow ID)
    arg: str = ""  # what a system flow was started with (e.g. the crisis category)
    back: bool = False  # came to this step with Back: a text step shows what was written there, to keep
    pending: str = ""  # a lone number typed at a text step, waiting to be confirmed before it is an answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "step": self.step,
            "history": list(self.history),
            "draft": list(self.draft),
            "turn": self.turn,
            "return_to": self.return_to,
            "after": self.after,
            "arg": self.arg,
            "back": self.back,
            "pending": self.pending,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Conversation:
        if not data:
            return cls()
        return cls(
            flow=str(data.get("flow") or "menu"),
            step=str(data.get("step") or ""),
            history=[str(s) for s in data.get("history") or []],
            draft=[str(s) for s in data.get("draft") or []],
            turn=int(data.get("turn") or 0),
            return_to=data.get("return_to"),
            after=data.get("after"),
            arg=str(data.get("arg") or ""),
            back=bool(data.get("back")),
            pending=str(data.get("pending") or ""),
        )


@dataclass
class Person:
    """What the engine may know about a person for one turn. The store fills it; the engine never writes it."""

    conversation: Conversation = field(default_factory=Conversation)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # flow -> step -> value
    completed: frozenset[str] = frozenset()  # flows finished at least once
    agreed: bool = False  # accepted the onboarding notice
    profile: dict[str, Any] = field(default_factory=dict)  # settings such as country

    def answer(self, ref: str, flow: str) -> Any:
        """An answer by `step` (this flow) or `flow.step`."""
        if "." in ref:
            flow, ref = ref.split(".", 1)
        return self.answers.get(flow, {}).get(ref)


@dataclass(frozen=True)
class JournalEntry:
    flow: str
    step: str
    text: str


@dataclass(frozen=True)
class Event:
    """Something worth counting or acting on: flow_started, flow_completed, crisis, action, ..."""

    name: str
    flow: str = ""
    value: str = ""


@dataclass
class Context:
    """What the engine is told about the world for one turn."""

    now: datetime
    values: dict[str, str] = field(default_factory=dict)  # texts from settings: intake_url, practice_name, ...


@dataclass
class Result:
    conversation: Conversation
    replies: list[Reply] = field(default_factory=list)
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)  # (flow, step) -> value to store
    journal: list[JournalEntry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)  # profile keys to set
    actions: list[str] = field(default_factory=list)  # for the adapter: exit, erase, export, progress, journal ...
    agreed: bool | None = None
    stale: bool = False  # the input was a press the engine did not take (an old button, or one not on screen)
    held: str | None = None  # text typed where an option was expected: read, acknowledged, not an answer

    def action(self, name: str) -> bool:
        return name in self.actions
