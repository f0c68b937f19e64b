"""The application: turns one input from one person into committed state and replies.

Both adapters (console and Telegram) call `Fulcrum.handle`; it triages free text, runs the engine,
commits state, answers, journal, figures and the update id in one transaction, and returns what to show.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.crypto import Cipher
from bot.settings import Settings
from bot.store import Store
from flows.content import Content, load_content
from flows.engine import Engine
from flows.model import Context, Event, Input, Person, Reply, Result
from flows.resources import Directory, load_resources
from flows.safety import Triage

log = logging.getLogger("fulcrum")

ActionHandler = Callable[["ActionContext"], None]
ACTIONS: dict[str, ActionHandler] = {}


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register what an engine action does in the world (it runs inside the turn's transaction)."""

    def register(fn: ActionHandler) -> ActionHandler:
        ACTIONS[name] = fn
        return fn

    return register


@dataclass
class Outcome:
    """What an adapter shows and does after the commit."""

    person: str
    replies: list[Reply] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # for the adapter, e.g. "exit" (clear the chat)
    duplicate: bool = False
    erased: bool = False
    crisis: str | None = None
    stale: bool = False  # a press the engine did not take: show the step again, mark no answer
    # (chat id, message id) pairs the adapter should delete: /exit and /delete (bot/privacy.py).
    delete_messages: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class ActionContext:
    app: Fulcrum
    pid: str
    person: Person
    result: Result
    now: datetime
    outcome: Outcome
    inp: Input | None = None  # what the person sent this turn (e.g. the text after /journal)


# Flows whose step replies are drawn with the person's data (their text, options or a chart): flow id →
# (context, the engine's reply) → the replies to show instead. Applied to every step reply of that flow.
ViewDrawer = Callable[["ActionContext", Reply], "list[Reply]"]
VIEWS: dict[str, ViewDrawer] = {}

# Commands handled outside the engine (bot/checkins.py: /checkin, /pause_checkins, ...): name →
# (app, pid, person, input, context, outcome) → the turn's Result. Only for people who agreed.
CommandHook = Callable[["Fulcrum", str, Person, Input, Context, "Outcome"], Result]
COMMANDS: dict[str, CommandHook] = {}
# Run after a person's turn is saved, inside its transaction (e.g. check-in settings → schedules).
TURN_HOOKS: list[Callable[["ActionContext"], None]] = []


def as_command(inp: Input) -> Input:
    """An option whose id starts with "/" (a reminder's buttons) is that command, whatever the turn."""
    if inp.kind == "option" and inp.value.startswith("/"):
        name, _, arg = inp.value[1:].partition(" ")
        return Input.command(name, arg)
    return inp


class Fulcrum:
    def __init__(self, settings: Settings, *, store: Store | None = None, content: Content | None = None,
                 today: date | None = None):
        self.settings = settings
        self.content = content or load_content(settings.content)
        root = Path(self.content.root)
        self.triage = Triage.load(root / "safety.yaml")
        self.resources: Directory = load_resources(root / "resources.yaml", today=today)
        if store is None:
            keys = [settings.data_key.get_secret_value()] if settings.data_key else []
            store = Store(settings.db, Cipher(*keys))
        self.store = store
        self.text_steps = frozenset((f.id, s.id) for f in self.content.flows.values()
                                    for s in f.steps.values() if s.kind in ("reflection", "input"))
        self.engine = Engine(
            self.content,
            validators=dict(VALIDATORS),
            option_sources={"countries": self._country_options},
            renderers={"resources": self._render_resources, **{k: self._renderer(v) for k, v in RENDERERS.items()}},
        )
        self._pending: OrderedDict[str, Any] = OrderedDict()  # not-yet-agreed people: kept in memory only

    # ---- one turn -----------------------------------------------------------------------------------

    def context(self, now: datetime) -> Context:
        return Context(now=now, values=self.settings.text_values())

    def handle(self, pid: str, inp: Input, now: datetime, *, chat_id: int | None = None,
               update_id: int | None = None) -> Outcome:
        outcome = Outcome(person=pid)
        with self.store.transaction():
            if update_id is not None and self.store.seen_update(update_id):
                outcome.duplicate = True
                return outcome
            person = self._person(pid)
            ctx = self.context(now)
            inp = as_command(self._option_at(pid, person, inp, now))
            hook = COMMANDS.get(inp.value) if inp.kind == "command" and person.agreed else None
            if hook is not None and not (inp.arg and self.triage.classify(inp.arg)):
                result = hook(self, pid, person, inp, ctx, outcome)
            else:
                result = self._run(person, inp, ctx, outcome)
            self._commit(pid, person, result, now, outcome, chat_id, inp=inp)
            if update_id is not None:
                self.store.record_update(update_id, now)
        if outcome.erased:
            self.store.checkpoint()
        return outcome

    def triage_only(self, pid: str, text: str, now: datetime, *, chat_id: int | None = None,
                    update_id: int | None = None) -> Outcome:
        """For text that must not move a flow (edited messages, captions): answer only if it signals danger."""
        category = self.triage.classify(text)
        if category is None:
            outcome = Outcome(person=pid)
            if update_id is not None:
                with self.store.transaction():
                    if not self.store.seen_update(update_id):
                        self.store.record_update(update_id, now)
            return outcome
        return self.handle(pid, Input.command("__crisis__", category), now, chat_id=chat_id, update_id=update_id)

    def view(self, pid: str, now: datetime) -> Reply:
        """The person's current step, without changing anything."""
        return self._current(pid, self._person(pid), now)

    def _option_at(self, pid: str, person: Person, inp: Input, now: datetime) -> Input:
        """A button sent as "#N" (its option id too long for Telegram's callback data): the N-th option of the
        step on screen, looked up in this turn. Another turn's "#N" is stale whatever it points at."""
        if inp.kind != "option" or not inp.value.startswith("#") or not inp.value[1:].isdigit():
            return inp
        if inp.turn is not None and inp.turn != person.conversation.turn:
            return Input.option("", turn=inp.turn)
        options, index = self._current(pid, person, now).options, int(inp.value[1:])
        return Input.option(options[index].id if index < len(options) else "", turn=inp.turn)

    def _current(self, pid: str, person: Person, now: datetime) -> Reply:
        res = self.engine.handle(person, Input.open(), self.context(now))
        reply = res.replies[-1]
        if reply.flow in VIEWS:  # the same options the last turn showed, so a button's index means the same
            actx = ActionContext(self, pid, person, res, now, Outcome(person=pid), Input.open())
            reply = [r for r in VIEWS[reply.flow](actx, reply) if r.is_step][-1]
        return reply

    def _person(self, pid: str) -> Person:
        person = self.store.load(pid)
        if person is None:
            person = Person()
            if pid in self._pending:
                person.conversation = self._pending[pid]
        return person

    def _run(self, person: Person, inp: Input, ctx: Context, outcome: Outcome) -> Result:
        if inp.kind == "command" and inp.value == "__crisis__":
            outcome.crisis = inp.arg
            return self._interrupt(person, inp.arg, ctx)
        text = inp.value if inp.kind == "text" else inp.arg if inp.kind == "command" else ""
        category = self.triage.classify(text) if text else None
        if category is None:
            return self.engine.handle(person, inp, ctx)
        outcome.crisis = category
        conv = person.conversation
        flow = self.content.flows.get(conv.flow)
        step = flow.steps.get(conv.step) if flow else None
        if inp.kind == "text" and step is not None and step.kind in ("reflection", "input") and person.agreed:
            # Keep what they wrote where they wrote it, then interrupt from the step after it.
            first = self.engine.handle(person, inp, ctx)
            person = Person(conversation=first.conversation, answers=person.answers, completed=person.completed,
                            agreed=person.agreed, profile=person.profile)
            second = self._interrupt(person, category, ctx)
            first.conversation = second.conversation
            first.replies = second.replies
            first.events += second.events
            return first
        return self._interrupt(person, category, ctx)

    def _interrupt(self, person: Person, category: str, ctx: Context) -> Result:
        result = self.engine.interrupt(person, "crisis", category, ctx)
        result.events.append(Event("crisis", value=category))
        return result

    def _commit(self, pid: str, person: Person, result: Result, now: datetime, outcome: Outcome,
                chat_id: int | None, *, inp: Input | None = None) -> None:
        store = self.store
        outcome.replies = list(result.replies)
        outcome.stale = result.stale
        for name in result.actions:
            handler = ACTIONS.get(name)
            if handler is not None:
                handler(ActionContext(self, pid, person, result, now, outcome, inp))
            else:
                outcome.actions.append(name)
        if any(r.flow in VIEWS and r.is_step for r in outcome.replies):
            actx = ActionContext(self, pid, person, result, now, outcome, inp)
            outcome.replies = [d for r in outcome.replies
                               for d in (VIEWS[r.flow](actx, r) if r.flow in VIEWS and r.is_step else [r])]
        agreed = result.agreed if result.agreed is not None else person.agreed
        if "erase" in result.actions:
            store.erase(pid)
            self._pending.pop(pid, None)
            outcome.erased = True
        elif agreed:
            self._pending.pop(pid, None)
            store.save(pid, result, now, chat_id=chat_id, content_version=self.content.version,
                       text_steps=self.text_steps)
            for turn_hook in TURN_HOOKS:
                turn_hook(ActionContext(self, pid, person, result, now, outcome, inp))
        else:
            self._pending[pid] = result.conversation
            self._pending.move_to_end(pid)
            while len(self._pending) > 10_000:
                self._pending.popitem(last=False)
        for event in result.events:
            if event.name in ("flow_started", "flow_completed", "crisis"):
                store.bump(event.name, now, flow=event.flow or event.value)
        for reply in outcome.replies:
            if reply.flow == "seek_help" and reply.step == self.content.flows["seek_help"].spec.start:
                store.bump("help_directory", now)

    # ---- what the engine asks of the world ------------------------------------------------------

    def _country_options(self, person: Person) -> list[tuple[str, str]]:
        return [(code.lower(), name) for code, name in self.resources.countries()]

    def country(self, person: Person) -> str | None:
        code = person.profile.get("country") or self.settings.default_country
        return str(code).upper() if code else None

    def _render_resources(self, person: Person, ctx: Context) -> str:
        return render_resources(self.content, self.resources, self.country(person))

    def _renderer(self, fn: Callable[[Fulcrum, Person, Context], str]) -> Callable[[Person, Context], str]:
        return lambda person, ctx: fn(self, person, ctx)


VALIDATORS: dict[str, Callable[[str], tuple[bool, str]]] = {}
RENDERERS: dict[str, Callable[[Fulcrum, Person, Context], str]] = {}


def render_resources(content: Content, directory: Directory, country: str | None) -> str:
    """The help directory for one country (or the international list), in the words of content/en/common.yaml."""
    entry = directory.for_country(country)
    notes = content.common.notes
    lines = [notes["resources_heading"].format(name=entry.name)]
    if entry.emergency:
        lines.append(notes["resources_emergency"].format(phone=entry.emergency))
    elif getattr(entry, "note", None):
        lines.append(str(entry.note))
    for line in (entry.crisis_line, entry.abuse_line, *(entry.extra or [])):
        if line is None:
            continue
        text = notes["resources_line"].format(name=line.name, phone=line.phone) if line.phone else line.name
        if getattr(line, "url", None):
            text += f" · {line.url}"
        if getattr(line, "hours", None):
            text += f" ({line.hours})"
        lines.append(text)
    return "\n".join(lines)


# What /exit, /delete and /export do (registers @action handlers; imported last, it imports this module).
from bot import privacy as _privacy  # noqa: E402,F401
from bot import journal as _journal, progress as _progress  # noqa: E402,F401  (/journal, /progress)
from bot import checkins as _checkins  # noqa: E402,F401  (/checkins, /checkin, reminders)
