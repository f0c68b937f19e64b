"""What a feature is: a named bundle of what it adds to Fulcrum, declared as data and handed to the service.

A feature (check-ins, the journal, progress, privacy…) never registers itself and never sees the whole
application: its handlers get a context holding what one turn may use (settings, content, store, the person,
the engine's result, the outcome the adapter will show). `bot.compose` lists the features; `Fulcrum` merges
them and refuses two that claim the same name.

The smallest feature, end to end (see docs/adding-a-feature.md)::

    def feature() -> Feature:
        return Feature("about_counts", commands={"visits": visits})

where `visits(ctx: CommandContext) -> Directive` returns what the service should show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from flows.content import WAYOUTS, Content
from flows.model import Context, Input, Option, Person, Reply, Result
from flows.safety import Verdict

if TYPE_CHECKING:  # the store is handed in at run time; features and the service only call its methods
    from bot.core.settings import Settings
    from bot.store.store import Store


@dataclass
class Outcome:
    """What an adapter shows and does after the commit."""

    person: str
    replies: list[Reply] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # for the adapter, e.g. "exit" (clear the chat)
    duplicate: bool = False
    erased: bool = False
    crisis: str | None = None  # the most pressing category when the crisis screen was opened
    verdict: Verdict | None = None  # what triage said, when the text signalled danger (crisis or check)
    stale: bool = False  # a press the engine did not take: show the step again, mark no answer
    # (chat id, message id) pairs the adapter should delete: /exit and /delete (the privacy feature).
    delete_messages: list[tuple[int, int]] = field(default_factory=list)
    # The person's own messages whose words were saved this turn (a journal note; later an incident record): the
    # adapter deletes them from the chat after the commit, so they do not stay on screen; a failure to delete is
    # logged and the save stands. `delete_incoming`: the message that brought this turn (a feature sets it);
    # `delete_saved`: (chat id, message id) of earlier ones, e.g. the text kept with "Keep it in my journal".
    delete_incoming: bool = False
    delete_saved: list[tuple[int, int]] = field(default_factory=list)
    incoming: tuple[int, int] | None = None  # (chat id, message id) of the message of this turn, when known
    # A button press whose message should leave the chat once the turn is committed: the PDF of a person's record
    # carries "I've saved it", and pressing it removes the file from the chat (Telegram; the console has no chat).
    delete_pressed: bool = False
    # The step this turn answered asks about danger (the crisis and check flows, a step marked `sensitive`):
    # the adapter leaves nothing of the chosen answer on the question's message (no "→ answer" mark).
    hide_answer: bool = False
    lang: str | None = None  # the language this turn was shown in (the person's)
    language_changed: bool = False  # the person chose another language this turn (/language)


@dataclass(frozen=True)
class Env:
    """What a feature may use of the running application: never the service or an adapter."""

    settings: Settings
    content: Content  # one language's: a turn's env holds the person's (Fulcrum gives each turn its own)
    store: Store
    # Every content language, English first (bot.compose loads content/<lang>/ for each); empty: only `content`.
    languages: Mapping[str, Content] = field(default_factory=dict)

    def in_language(self, lang: str | None) -> Env:
        """This env with `lang`'s content (its own when `lang` is unknown or None)."""
        content = self.languages.get(lang or "")
        return self if content is None or content is self.content else replace(self, content=content)

    def for_profile(self, profile: Mapping[str, Any]) -> Env:
        """The env to write to a person in (a reminder, a summary): their language from their profile."""
        return self.in_language(profile.get(LANGUAGE_KEY))


LANGUAGE_KEY = "language"  # where a person's language is kept in their profile (encrypted like all of it)


class _FromEnv:
    """`store`, `content` and `settings` of a context's `env`, as a feature reads them."""

    env: Env

    @property
    def store(self) -> Store:
        return self.env.store

    @property
    def content(self) -> Content:
        return self.env.content

    @property
    def settings(self) -> Settings:
        return self.env.settings


@dataclass
class TurnContext(_FromEnv):
    """One turn, for an action, a view or an after-turn hook (they run inside the turn's transaction)."""

    env: Env
    pid: str
    person: Person
    result: Result
    now: datetime
    outcome: Outcome
    inp: Input | None = None  # what the person sent this turn (e.g. the text after /journal)


@dataclass
class CommandContext:
    """A command a feature answers (/checkin, /pause_checkins…), before the engine runs."""

    env: Env
    pid: str
    person: Person
    inp: Input
    ctx: Context

    @property
    def now(self) -> datetime:
        return self.ctx.now


@dataclass
class Directive:
    """What a command asks the service to do: open a flow (a system flow keeps a way back; a topic opens as
    /flow would), or stay with a note."""

    open_flow: str | None = None
    arg: str = ""
    note: str | None = None  # shown before the person's step
    note_expires: float | None = None  # seconds after which the note leaves the chat (`Reply.expires_after`)
    profile: dict[str, Any] = field(default_factory=dict)  # remembered with the turn
    # True: come back to exactly the step the flow was opened from (a help screen, a settings screen). False: like
    # any interruption, keep the deeper origin when opened from another system flow, so e.g. a check-in started
    # from the check-in settings ends where the person was before the settings, not in them.
    exact: bool = True


class Sender(Protocol):
    """What a periodic job may do with an adapter: send a reply (low priority) and see if replies are going out.

    `send_reply` returns the sent message ids and raises when the person blocked the bot.
    """

    clock: Callable[[], datetime]

    async def send_reply(self, chat_id: int, reply: Reply) -> list[int]: ...

    async def delete_messages(self, ids: Sequence[tuple[int, int]]) -> None: ...

    def is_busy(self) -> bool: ...


@dataclass(frozen=True)
class Job:
    """A periodic job a feature needs; the Telegram adapter turns each into one named JobQueue job."""

    name: str
    interval: float  # seconds
    run: Callable[[Env, Sender], Awaitable[None]]
    first: float = 0.0  # seconds after start


@dataclass
class GuardContext(_FromEnv):
    """One input, before the turn runs, for a guard (the lock): it may take the turn or hold back its result.

    `run(inp)` computes what an input would do (the engine, or a feature's command) without the guards, so a
    guard can show the person's place after unlocking, or carry out the input it held back. `prepared` is
    what the guard's `prepare` computed for this input off the event loop (a PIN's hash), or None."""

    env: Env
    pid: str
    person: Person
    inp: Input
    ctx: Context
    prepared: Any
    run: Callable[[Input], Result]
    interrupt: Callable[[str], Result]  # open a system flow from where the person is, keeping their way back
    outcome: Outcome | None = None  # what the adapter will do after the commit (e.g. delete a typed PIN)
    notes: dict[str, Any] = field(default_factory=dict)  # what the guard's `take` read, for its `hold` (one turn)
    profile: dict[str, Any] = field(default_factory=dict)  # profile values the guard sets: saved with the turn

    @property
    def now(self) -> datetime:
        return self.ctx.now


class Guard(Protocol):
    """Stands between a person's input and what it shows (the lock). Danger is never its to hold: the service
    asks a guard only about inputs triage found nothing in, and answers crisis and check messages first."""

    def prepare(self, env: Env, pid: str, inp: Input) -> Callable[[], Any] | None:
        """The slow work this input needs (a PIN's hash), for the adapter to run off the event loop before the
        turn's transaction; None (quickly) for every other input. What it returns reaches `take` as `prepared`."""

    def take(self, g: GuardContext) -> Result | None:
        """Inputs that are the guard's own (a key of the PIN pad, /lock): their result, or None."""

    def hold(self, g: GuardContext, result: Result | None) -> Result | None:
        """What to show instead of `result`, or None to let it through. `result` is None for a feature's
        command or a kept note: asked before it runs, since those write as they run."""


Action = Callable[[TurnContext], None]
View = Callable[[TurnContext, Reply], "list[Reply]"]
AfterTurn = Callable[[TurnContext], None]
Command = Callable[[CommandContext], Directive]
Validator = Callable[[str], "tuple[bool, str]"]
Renderer = Callable[[Env, Person, Context], str]
OptionSource = Callable[[Env, Person], "list[tuple[str, str]]"]


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds. Names are global: two features may not claim the same one."""

    name: str
    actions: Mapping[str, Action] = field(default_factory=dict)  # an `action:` in content, or a command
    views: Mapping[str, View] = field(default_factory=dict)  # flow id → draws that flow's steps
    commands: Mapping[str, Command] = field(default_factory=dict)  # handled before the engine (agreed only)
    after_turn: tuple[AfterTurn, ...] = ()  # after a person's turn is saved, in its transaction
    validators: Mapping[str, Validator] = field(default_factory=dict)  # `validate:` in content
    renderers: Mapping[str, Renderer] = field(default_factory=dict)  # `{placeholder}` in texts
    option_sources: Mapping[str, OptionSource] = field(default_factory=dict)  # `options_from:` in content
    jobs: tuple[Job, ...] = ()
    guard: Guard | None = None  # at most one feature guards what is shown (the lock)


def before_wayouts(reply: Reply, *extra: Option) -> Reply:
    """The step with `extra` options added after its own and before its way-outs (Back, Back to where I was,
    Menu), so the numbers content gave its options stay as they are."""
    options = list(reply.options)
    cut = len(options)
    while cut and options[cut - 1].id in WAYOUTS:
        cut -= 1
    options[cut:cut] = extra
    return replace(reply, options=tuple(options))


class DuplicateName(ValueError):
    """Two features claim the same action, view, command, validator, renderer, option source or job."""


@dataclass
class Features:
    """The features of one application, merged; built by `merge`."""

    names: tuple[str, ...] = ()
    actions: dict[str, Action] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    after_turn: list[AfterTurn] = field(default_factory=list)
    validators: dict[str, Validator] = field(default_factory=dict)
    renderers: dict[str, Renderer] = field(default_factory=dict)
    option_sources: dict[str, OptionSource] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    guard: Guard | None = None


MERGED = ("actions", "views", "commands", "validators", "renderers", "option_sources")


def merge(features: list[Feature] | tuple[Feature, ...]) -> Features:
    """One table of each kind; a name claimed twice raises `DuplicateName` naming both features."""
    out = Features(names=tuple(f.name for f in features))
    owner: dict[tuple[str, str], str] = {}
    seen: set[str] = set()
    for feature in features:
        if feature.name in seen:
            raise DuplicateName(f"feature {feature.name!r} is composed twice")
        seen.add(feature.name)
        for kind in MERGED:
            table = getattr(out, kind)
            for name, handler in getattr(feature, kind).items():
                if (kind, name) in owner:
                    raise DuplicateName(f"{kind[:-1].replace('_', ' ')} {name!r} is claimed by features "
                                        f"{owner[kind, name]!r} and {feature.name!r}")
                owner[kind, name] = feature.name
                table[name] = handler
        out.after_turn += feature.after_turn
        if feature.guard is not None:
            if out.guard is not None:
                raise DuplicateName(f"a guard is claimed twice (feature {feature.name!r})")
            out.guard = feature.guard
        for job in feature.jobs:
            if job.name in out.jobs:
                raise DuplicateName(f"job {job.name!r} is claimed twice (feature {feature.name!r})")
            out.jobs[job.name] = job
    return out
