"""The application: turns one input from one person into committed state and replies.

Both adapters (console and Telegram) call `Fulcrum.handle` (or `triage_only` / `not_text` for what cannot
move a flow); it triages free text, runs the engine, commits state, answers, journal, figures and the update
id in one transaction, and returns what to show. Features (`bot.core.feature.Feature`) are handed in by the
composition root, `bot.compose`; this module knows none of them.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from contextvars import ContextVar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.feature import (LANGUAGE_KEY, CommandContext, Directive, Env, Feature, Guard, GuardContext, Outcome,
                              TurnContext, before_wayouts, merge)
from bot.core.inputs import as_command
from bot.core.settings import Settings
from flows.content import Content, ContentError, check_names
from flows.engine import Engine
from flows.model import Context, Event, Input, Option, Person, Reply, Result
from flows.resources import Directory, Line, load_resources, text_in
from flows.safety import KINDS, UNSURE, Triage, Verdict

if TYPE_CHECKING:
    from bot.store.store import Store

log = logging.getLogger("fulcrum")

_UNPREPARED: Any = object()
DANGER = "__danger__"  # an internal command: "crisis:violence,strangulation" from an edit or a caption
DANGER_FLOWS = ("crisis", "check")  # every step of these asks about danger (see `asks_danger`)
# Screens that put the emergency number first themselves (`{emergency}`), so `{resources}` leaves it out; and the
# flows about serious harm from another person, whose lines start with the abuse lines as after violence.
EMERGENCY_FIRST = ("crisis", "check", "danger_check")
HARM_FLOWS = ("danger_check", "safety_plan")
KEEP_NOTE = "keep_note"  # the option under a step that saves text typed there to the journal
# The language of the turn being handled (a turn runs in one thread or task; each has its own context).
_TURN_LANG: ContextVar[str | None] = ContextVar("fulcrum_turn_language", default=None)


class _Language:
    """One content language and the engine compiled for it: built once, at start."""

    def __init__(self, content: Content, env: Env, engine: Engine):
        self.content, self.env, self.engine = content, env, engine


BROAD = ("violence", "self_harm")  # what an unsure check's crisis screen speaks to


def _split_arg(arg: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """'violence,strangulation' → (categories, kinds)."""
    parts = [a for a in arg.split(",") if a]
    categories = tuple(a for a in parts if a not in KINDS and a != UNSURE)
    if UNSURE in parts:  # the net's guess first, then harm by others and to oneself
        categories += tuple(c for c in BROAD if c not in categories)
    return categories, tuple(a for a in parts if a in KINDS)


__all__ = ["Fulcrum", "Outcome", "render_resources"]


class Fulcrum:
    # What the core itself provides to content: the help directory, for the crisis flow and seek_help.
    CORE_RENDERERS = frozenset({"resources", "emergency"})
    CORE_SOURCES = frozenset({"countries", "languages"})

    def __init__(self, settings: Settings, *, content: Content, store: Store, features: Sequence[Feature] = (),
                 triage: Triage | None = None, directory: Directory | None = None, today: date | None = None,
                 languages: Mapping[str, Content] | None = None):
        """`triage` and `directory` may be shared between apps (tests load them once); else read from content.
        `languages`: every content language (English first, `content` among them); one Engine is built for each
        here, and each person's turn runs with their language's (see `language_of`)."""
        self.settings = settings
        languages = dict(languages or {content.lang: content})
        languages.setdefault(content.lang, content)
        root = Path(content.root)
        self.triage = triage or Triage.load(root / "safety.yaml", self_check=False)  # content check runs it
        self.resources: Directory = directory or load_resources(root / "directory", today=today)
        self.store = store
        # The help directory is the core's own: the crisis flow and seek_help need it whatever else is composed.
        core = Feature("help_directory",
                       renderers={"resources": self._render_resources, "emergency": self._render_emergency},
                       option_sources={"countries": self._country_options, "languages": self._language_options})
        assert set(core.renderers) == self.CORE_RENDERERS and set(core.option_sources) == self.CORE_SOURCES
        self.features = merge([core, *features])
        self.text_steps = frozenset((f.id, s.id) for f in content.flows.values()
                                    for s in f.steps.values() if s.kind in ("reflection", "input"))
        self._languages: dict[str, _Language] = {}
        for lang, each in languages.items():
            env = Env(settings, each, store, languages)
            engine = Engine(
                each,
                validators=self.features.validators,
                option_sources={k: (lambda person, fn=fn, env=env: fn(env, person))
                                for k, fn in self.features.option_sources.items()},
                renderers={k: (lambda person, ctx, fn=fn, env=env: fn(env, person, ctx))
                           for k, fn in self.features.renderers.items()},
                actions=self.features.actions,
            )
            problems = check_names(each, actions=self.features.actions, validators=self.features.validators,
                                   renderers=self.features.renderers, option_sources=self.features.option_sources,
                                   commands=self.features.commands)
            if problems:
                raise ContentError(problems)
            self._languages[lang] = _Language(each, env, engine)
        wanted = settings.language
        self.default_language = wanted if wanted in self._languages else content.lang
        self._pending: OrderedDict[str, Any] = OrderedDict()  # not-yet-agreed people: kept in memory only
        self._pending_lang: OrderedDict[str, str] = OrderedDict()  # … and the language they picked
        # Text typed at a choice, with the turn it was typed at and its message: until kept, or the person moves on.
        self._held: OrderedDict[str, tuple[str, int, tuple[int, int] | None]] = OrderedDict()

    # ---- languages: each turn runs with the person's ------------------------------------------------

    @property
    def languages(self) -> dict[str, Content]:
        """Every content language, English (or the default) first."""
        return {lang: each.content for lang, each in self._languages.items()}

    @property
    def _lang(self) -> _Language:
        return self._languages[_TURN_LANG.get() or self.default_language]

    @property
    def content(self) -> Content:
        """The content of the turn being handled (the person's language); outside a turn, the default's."""
        return self._lang.content

    @property
    def env(self) -> Env:
        return self._lang.env

    @property
    def engine(self) -> Engine:
        return self._lang.engine

    def for_profile(self, profile: Mapping[str, Any]) -> Env:
        """The env in a person's language (tests hand the app itself where a job expects an env)."""
        return self.env.for_profile(profile)

    def pick_language(self, code: str | None) -> str:
        """A language for Telegram's `language_code` ("es", "es-MX" → es, when content/es exists); anything
        else, or nothing, → the default language (FULCRUM_LANGUAGE, else English). Language is not country."""
        base = (code or "").strip().lower().replace("-", "_").split("_")[0]
        return base if base in self._languages else self.default_language

    def language_of(self, pid: str, person: Person, code: str | None = None) -> str:
        """The person's language: the one they chose (or were given on first contact), else from `code`."""
        chosen = person.profile.get(LANGUAGE_KEY) or self._pending_lang.get(pid)
        return chosen if chosen in self._languages else self.pick_language(code)

    def _language_options(self, env: Env, person: Person) -> list[tuple[str, str]]:
        return [(lang, each.content.common.language or lang) for lang, each in self._languages.items()]

    @property
    def jobs(self) -> list:
        """The periodic jobs the features asked for (the Telegram adapter schedules each by name)."""
        return list(self.features.jobs.values())

    # ---- one turn -----------------------------------------------------------------------------------

    def context(self, now: datetime) -> Context:
        values = self.settings.text_values()
        if len(self._languages) > 1:
            values["languages"] = "yes"  # the language choice is offered only when there is one to make
        return Context(now=now, values=values)

    def prepare(self, pid: str, inp: Input) -> Callable[[], Any] | None:
        """Slow work an input needs before its turn (the lock's PIN hash), or None. The Telegram adapter runs it
        in a worker thread and passes what it returns to `handle` as `prepared`; without that, `handle` runs it
        itself, before the turn's transaction."""
        guard = self.features.guard
        return guard.prepare(self.env, pid, inp) if guard is not None else None

    def handle(self, pid: str, inp: Input, now: datetime, *, chat_id: int | None = None,
               update_id: int | None = None, message_id: int | None = None,
               prepared: Any = _UNPREPARED, language_code: str | None = None) -> Outcome:
        """One input. `language_code` (Telegram's, or the console's --lang) chooses the language of a person who
        has none yet; after that the one in their profile is used, until they change it with /language."""
        token = _TURN_LANG.set(None)
        try:
            return self._handle(pid, inp, now, chat_id=chat_id, update_id=update_id, message_id=message_id,
                                prepared=prepared, language_code=language_code)
        finally:
            _TURN_LANG.reset(token)

    def _handle(self, pid: str, inp: Input, now: datetime, *, chat_id: int | None, update_id: int | None,
                message_id: int | None, prepared: Any, language_code: str | None) -> Outcome:
        if prepared is _UNPREPARED:
            work = self.prepare(pid, inp)
            prepared = work() if work is not None else None
        outcome = Outcome(person=pid)
        if chat_id is not None and message_id is not None:
            outcome.incoming = (chat_id, message_id)
        with self.store.transaction():
            if update_id is not None and not self.store.claim_update(update_id, now):  # undone if the turn fails
                outcome.duplicate = True
                return outcome
            person = self._person(pid)
            outcome.lang = self.language_of(pid, person, language_code)
            _TURN_LANG.set(outcome.lang)  # the content, env and engine of this turn are the person's language's
            outcome.hide_answer = self.asks_danger(person)  # the step on screen, before the engine moves them
            ctx = self.context(now)
            inp = as_command(self._option_at(pid, person, inp, now))
            result = self._turn(pid, person, inp, ctx, outcome, prepared)
            self._commit(pid, person, result, now, outcome, chat_id, inp=inp)
            self._switch_language(pid, result, now, outcome)
        if outcome.erased:
            self.store.checkpoint()
        return outcome

    def _turn(self, pid: str, person: Person, inp: Input, ctx: Context, outcome: Outcome, prepared: Any) -> Result:
        """Danger first, whatever else is going on; then the guard (the lock), then the command or the engine."""
        guard = self.features.guard if person.agreed else None
        g = GuardContext(self.env, pid, person, inp, ctx, prepared,
                         run=lambda i: self._compute(pid, person, as_command(i), ctx, outcome),
                         interrupt=lambda flow: self.engine.interrupt(person, flow, "", ctx), outcome=outcome)
        result = self._guarded(pid, person, inp, ctx, outcome, guard, g)
        for key, value in g.profile.items():  # written by the turn's one save, not by a write of its own
            result.profile.setdefault(key, value)
        return result

    def _guarded(self, pid: str, person: Person, inp: Input, ctx: Context, outcome: Outcome,
                 guard: Guard | None, g: GuardContext) -> Result:
        if guard is not None:
            taken = guard.take(g)
            if taken is not None:
                return taken
        verdict = self._danger(inp)
        if verdict and self._picks_an_option(person, inp, ctx):  # options are built only when triage found something
            verdict = None
        if verdict and verdict.tier == "check" and (self._writes_danger(person)
                                                    or person.conversation.flow == "crisis"):
            # Where danger is written down on purpose, or on the crisis screen (which shows all the check question
            # would and more: text there is answered with "I'm still here…"), "are you safe?" is not asked.
            verdict = None
        if verdict:
            return self._answer_danger(person, inp, verdict, ctx, outcome)
        if guard is None:
            return self._compute(pid, person, inp, ctx, outcome)
        if self._writes_as_it_runs(person, inp):
            return guard.hold(g, None) or self._compute(pid, person, inp, ctx, outcome)
        result = self._compute(pid, person, inp, ctx, outcome)
        return guard.hold(g, result) or result

    def _writes_as_it_runs(self, person: Person, inp: Input) -> bool:
        """A kept note or a feature's command: it writes as it runs, so a guard is asked before, not after."""
        return inp.kind == "command" and (inp.value == KEEP_NOTE or inp.value in self.features.commands)

    def _compute(self, pid: str, person: Person, inp: Input, ctx: Context, outcome: Outcome) -> Result:
        """What an input does when nothing signals danger: a kept note, a feature's command, or the engine."""
        if inp.kind == "command" and inp.value == KEEP_NOTE:
            return self._keep_note(pid, person, ctx, outcome)
        command = self.features.commands.get(inp.value) if inp.kind == "command" and person.agreed else None
        if command is not None:
            return self._directed(person, command(CommandContext(self.env, pid, person, inp, ctx)), ctx)
        return self.engine.handle(person, inp, ctx)

    def triage_only(self, pid: str, text: str, now: datetime, *, chat_id: int | None = None,
                    update_id: int | None = None, language_code: str | None = None) -> Outcome:
        """For text that must not move a flow (edited messages, captions): answer only if it signals danger."""
        return self._danger_only(pid, self.triage.assess(text), now, chat_id, update_id, language_code)

    def not_text(self, pid: str, now: datetime, *, caption: str | None = None, chat_id: int | None = None,
                 update_id: int | None = None, language_code: str | None = None) -> Outcome:
        """A sticker, photo, voice or document: a caption that signals danger is answered as any text would be;
        otherwise a short note that only text and buttons are understood, and the person's step again."""
        verdict = self.triage.assess(caption) if caption else None
        if verdict:
            return self._danger_only(pid, verdict, now, chat_id, update_id, language_code)
        outcome = self.handle(pid, Input.open(), now, chat_id=chat_id, update_id=update_id, prepared=None,
                              language_code=language_code)
        if not outcome.duplicate:
            content = self._languages[outcome.lang or self.default_language].content
            outcome.replies.insert(0, Reply(content.note("only_text")))
        return outcome

    def _danger_only(self, pid: str, verdict: Verdict, now: datetime, chat_id: int | None,
                     update_id: int | None, language_code: str | None = None) -> Outcome:
        """Answer what triage found (the crisis screen or the check question), or only record the update."""
        if not verdict:
            return self._record_only(pid, now, update_id)
        return self.handle(pid, Input.command(DANGER, f"{verdict.tier}:{verdict.arg}"), now, chat_id=chat_id,
                           update_id=update_id, language_code=language_code)

    def _record_only(self, pid: str, now: datetime, update_id: int | None) -> Outcome:
        """Nothing to change but the update id (so a redelivery is recognised)."""
        outcome = Outcome(person=pid)
        if update_id is not None:
            with self.store.transaction():
                outcome.duplicate = not self.store.claim_update(update_id, now)
        return outcome

    def view(self, pid: str, now: datetime) -> Reply:
        """The person's current step, in their language, without changing anything."""
        person = self._person(pid)
        token = _TURN_LANG.set(self.language_of(pid, person))
        try:
            return self._current(pid, person, now)
        finally:
            _TURN_LANG.reset(token)

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
        views = self.features.views
        if reply.flow in views:  # the same options the last turn showed, so a button's index means the same
            tctx = TurnContext(self.env, pid, person, res, now, Outcome(person=pid), Input.open())
            reply = [r for r in views[reply.flow](tctx, reply) if r.is_step][-1]
        return self._with_keep_option(pid, reply)

    def asks_danger(self, person: Person) -> bool:
        """The person's step asks about danger: a crisis or check step, or one content marks `sensitive`."""
        conv = person.conversation
        flow = self.content.flows.get(conv.flow)
        step = flow.steps.get(conv.step) if flow is not None else None
        return conv.flow in DANGER_FLOWS or bool(step is not None and step.sensitive)

    def _person(self, pid: str) -> Person:
        person = self.store.load(pid)
        if person is None:
            person = Person()
            if pid in self._pending:
                person.conversation = self._pending[pid]
        return person

    def _writes_danger(self, person: Person) -> bool:
        flow = self.content.flows.get(person.conversation.flow)
        return bool(flow is not None and flow.spec.writes_danger)

    def _picks_an_option(self, person: Person, inp: Input, ctx: Context) -> bool:
        """Text that is exactly a button on screen ("A domestic abuse service") is that choice, not words to triage."""
        if inp.kind != "text" or not person.agreed or person.conversation.flow not in self.content.flows:
            return False
        typed = " ".join(inp.value.split()).casefold()
        try:
            shown = self.engine.options(person, ctx)
        except KeyError:  # a step that no longer exists: the engine resets it in the turn
            return False
        return any(" ".join(o.label.split()).casefold() == typed for o in shown)

    def _danger(self, inp: Input) -> Verdict | None:
        """What triage finds in the input's words (typed text, a command's argument), or what an edit or a
        caption already found (the internal DANGER command)."""
        if inp.kind == "command" and inp.value == DANGER:
            tier, _, arg = inp.arg.partition(":")
            return Verdict(tier, *_split_arg(arg))  # type: ignore[arg-type]
        text = inp.value if inp.kind == "text" else inp.arg if inp.kind == "command" else ""
        return self.triage.assess(text) if text else None

    def _answer_danger(self, person: Person, inp: Input, verdict: Verdict, ctx: Context, outcome: Outcome) -> Result:
        outcome.verdict = verdict
        outcome.crisis = verdict.category if verdict.tier == "crisis" else None
        conv = person.conversation
        flow = self.content.flows.get(conv.flow)
        step = flow.steps.get(conv.step) if flow else None
        if inp.kind == "text" and step is not None and step.kind in ("reflection", "input") and person.agreed:
            # Keep what they wrote where they wrote it; "Back to where I was" returns to that same step (its own
            # text, not a next step that may assume another mood), where they can add to it or move on.
            first = self.engine.handle(person, inp, ctx)
            second = self._interrupt(person, verdict, ctx)
            second.answers, second.journal = first.answers, first.journal
            return second
        return self._interrupt(person, verdict, ctx)

    def _directed(self, person: Person, directive: Directive, ctx: Context) -> Result:
        """Carry out what a feature's command asked: open a system flow, or stay with a note."""
        target = self.content.flows.get(directive.open_flow or "")
        if target is not None and target.is_menu:  # a topic opens as /flow ID opens it
            result = self.engine.handle(person, Input.command("flow", target.id), ctx)
        elif directive.open_flow is not None:
            result = self.engine.interrupt(person, directive.open_flow, directive.arg, ctx, exact=directive.exact)
        else:
            result = self.engine.handle(person, Input.open(), ctx)
        if directive.note is not None:
            result.replies.insert(0, Reply(directive.note, expires_after=directive.note_expires))
        result.profile.update(directive.profile)
        return result

    def _interrupt(self, person: Person, verdict: Verdict, ctx: Context) -> Result:
        """A crisis opens the crisis screen at once; a check asks, calmly, whether they are safe right now."""
        flow = "crisis" if verdict.tier == "crisis" else "check"
        result = self.engine.interrupt(person, flow, verdict.arg, ctx)
        result.events.append(Event(flow, value=verdict.category))
        return result

    def _switch_language(self, pid: str, result: Result, now: datetime, outcome: Outcome) -> None:
        """A new language chosen (/language): the step the person lands on is drawn again in it, after a note
        saying so in that language; `outcome.language` tells the adapter (Telegram's command menu for the chat)."""
        new = result.profile.get(LANGUAGE_KEY)
        if outcome.erased or new not in self._languages or new == (_TURN_LANG.get() or self.default_language):
            return
        _TURN_LANG.set(new)  # the rest of this turn (handle resets it)
        outcome.lang, outcome.language_changed = new, True
        outcome.replies = [Reply(self.content.note("language_set")), self._current(pid, self._person(pid), now)]

    # ---- free text that is not an answer: read, acknowledged, and the person's to keep ----------------

    def _offer_to_keep(self, pid: str, person: Person, result: Result, outcome: Outcome) -> None:
        """Text typed where an option was expected is held in memory (never stored) until the person chooses:
        `Keep it in my journal` goes before the way-outs of the step shown again, for as long as that step is."""
        if result.held is None or not person.agreed or not outcome.replies or not outcome.replies[-1].is_step:
            return
        self._held[pid] = (result.held, outcome.replies[-1].turn, outcome.incoming)
        self._held.move_to_end(pid)
        while len(self._held) > 10_000:
            self._held.popitem(last=False)
        outcome.replies[-1] = self._with_keep_option(pid, outcome.replies[-1])

    def _offer_to_copy(self, person: Person, outcome: Outcome) -> None:
        """The crisis and check screens carry a button that copies the emergency number (Telegram)."""
        if not any(r.flow in DANGER_FLOWS for r in outcome.replies):
            return
        entry = self.resources.for_country(self.country(person))
        if entry.emergency is None:
            return
        number = entry.emergency.first
        outcome.replies = [replace(r, copy=(self.content.note("copy_number", phone=number), number))
                           if r.is_step and r.flow in DANGER_FLOWS else r for r in outcome.replies]

    def _with_keep_option(self, pid: str, reply: Reply) -> Reply:
        held = self._held.get(pid)
        if held is None or held[1] != reply.turn:
            return reply
        return before_wayouts(reply, Option(f"/{KEEP_NOTE}", self.content.label("keep_note")))

    def _keep_note(self, pid: str, person: Person, ctx: Context, outcome: Outcome) -> Result:
        """Save the held text as a journal note (encrypted like every note); the person stays where they are,
        and the message that held it leaves the chat once the note is committed."""
        held = self._held.pop(pid, None)
        text = held[0] if held else None
        result = self.engine.handle(person, Input.open(), ctx)
        if text is None or not person.agreed:
            result.replies.insert(0, Reply(self.content.note("keep_note_gone")))
            return result
        conv = person.conversation
        self.store.add_journal(pid, conv.flow, conv.step, text, ctx.now)
        if held and held[2] is not None:
            outcome.delete_saved.append(held[2])
        result.replies.insert(0, Reply(self.content.note("journal_saved")))
        return result

    def _commit(self, pid: str, person: Person, result: Result, now: datetime, outcome: Outcome,
                chat_id: int | None, *, inp: Input | None = None) -> None:
        store = self.store
        outcome.replies = list(result.replies)
        outcome.stale = result.stale
        tctx = TurnContext(self.env, pid, person, result, now, outcome, inp)
        features = self.features
        for name in result.actions:
            handler = features.actions.get(name)
            if handler is not None:
                handler(tctx)
            else:
                outcome.actions.append(name)
        views = features.views
        if any(r.flow in views and r.is_step for r in outcome.replies):
            outcome.replies = [d for r in outcome.replies
                               for d in (views[r.flow](tctx, r) if r.flow in views and r.is_step else [r])]
        agreed = result.agreed if result.agreed is not None else person.agreed
        lang = _TURN_LANG.get() or self.default_language
        if LANGUAGE_KEY not in person.profile and LANGUAGE_KEY not in result.profile:
            result.profile[LANGUAGE_KEY] = lang  # first contact's language, remembered (encrypted) on agreeing
        if "erase" in result.actions:
            store.erase(pid)
            self._pending.pop(pid, None)
            self._pending_lang.pop(pid, None)
            outcome.erased = True
        elif agreed:
            self._pending.pop(pid, None)
            self._pending_lang.pop(pid, None)
            store.save(pid, result, now, chat_id=chat_id, content_version=self.content.version,
                       text_steps=self.text_steps)
            for after_turn in features.after_turn:
                after_turn(tctx)
        else:
            self._pending[pid] = result.conversation
            self._pending.move_to_end(pid)
            self._pending_lang[pid] = str(result.profile.get(LANGUAGE_KEY) or lang)
            self._pending_lang.move_to_end(pid)
            while len(self._pending) > 10_000:
                self._pending.popitem(last=False)
            while len(self._pending_lang) > 10_000:
                self._pending_lang.popitem(last=False)
        self._offer_to_keep(pid, person, result, outcome)
        self._offer_to_copy(person, outcome)
        for event in result.events:
            if event.name in ("flow_started", "flow_completed", "crisis", "check"):
                store.bump(event.name, now, flow=event.flow or event.value)
        for reply in outcome.replies:
            if reply.flow == "seek_help" and reply.step == self.content.flows["seek_help"].spec.start:
                store.bump("help_directory", now)

    # ---- what the engine asks of the world ------------------------------------------------------

    def _country_options(self, env: Env, person: Person) -> list[tuple[str, str]]:
        return [(code.lower(), name) for code, name in self.resources.countries(env.content.lang)]

    def country(self, person: Person) -> str | None:
        code = person.profile.get("country") or self.settings.default_country
        return str(code).upper() if code else None

    def _render_resources(self, env: Env, person: Person, ctx: Context) -> str:
        flow = person.conversation.flow
        crisis = flow in ("crisis", "check")
        categories, kinds = _split_arg(person.conversation.arg if crisis else "")
        if "child_self" in kinds:
            categories = ("child_self", *categories)
        if not categories and flow in HARM_FLOWS:
            categories = ("violence",)
        chosen = bool(person.profile.get("country"))
        return render_resources(env.content, self.resources, self.country(person), categories=categories,
                                relationship=person.profile.get("relationship"),
                                from_default=not chosen and bool(self.settings.default_country),
                                emergency=flow not in EMERGENCY_FIRST)  # those screens open with it already

    def _render_emergency(self, env: Env, person: Person, ctx: Context) -> str:
        """The first number on the crisis and check screens: the person's country's emergency number."""
        return render_emergency(env.content, self.resources, self.country(person))


def render_emergency(content: Content, directory: Directory, country: str | None) -> str:
    """One line: the emergency number, and the note that goes with it (112 from mobiles, where sourced)."""
    entry = directory.for_country(country)
    if entry.emergency is None:
        return content.note("emergency_unknown")
    first, *others = entry.emergency.number.split(" or ")  # the directory's separator, not a word to show
    phone = first
    for other in others:  # "112 or 110" in the person's language
        phone = content.note("either_number", first=phone, second=other)
    line = content.note("emergency_line", phone=phone, name=text_in(entry.name, content.lang))
    short = text_in(entry.emergency.short, content.lang)
    return f"{line} {short}" if short else line


def render_line(content: Content, line: Line) -> str:
    """'• Samaritans: 116 123 (24/7)': the number phones recognise, hours, cost when not free, a text option."""
    lang = content.lang
    number = line.phone_intl or line.phone
    name = text_in(line.name, lang)
    out = f"• {name}: {number}" if number else f"• {name}"
    extras = [x for x in (_hours(text_in(line.hours, lang)), _cost(text_in(line.cost, lang))) if x]
    if extras:
        out += f" ({'; '.join(extras)})"
    if line.text:
        out += f" · {text_in(line.text, lang)}"
    if not number and not line.text:
        out += f" · {line.chat or line.url}"
    return out


def _hours(hours: str | None) -> str | None:
    """'24 hours a day, every day of the year' → '24/7'; other hours as written."""
    if hours and re.match(r"^24\s*(?:/\s*7|x\s*7|hours?|horas?|h\b)", hours, re.I):
        return "24/7"
    return hours


def _cost(cost: str | None) -> str | None:
    """Free is the rule and goes unsaid; anything else is said, in short."""
    if not cost or cost.lower().startswith(("free", "gratis", "gratuit")):
        return None
    return cost.split(";")[0].split(":")[0].strip()


def render_resources(content: Content, directory: Directory, country: str | None, *,
                     categories: tuple[str, ...] = (), relationship: str | None = None, from_default: bool = False,
                     emergency: bool = True) -> str:
    """The lines that fit, for one country (or the international list), in content/en/common.yaml's words.
    At most 8 lines and 700 characters (tests/flows/test_resources.py): a crisis screen is read in fear."""
    entry = directory.for_country(country)
    name = text_in(entry.name, content.lang)
    lines = [content.note("resources_heading", name=name)]
    if from_default:
        lines[0] += " " + content.note("resources_not_here", name=name)
    if emergency:
        lines.append(render_emergency(content, directory, country))
    lines += [render_line(content, line) for line in directory.lines_for(country, categories, relationship)]
    for way in entry.ways_without_speaking[:1]:
        lines.append(content.note("resources_silent", how=text_in(way.short or way.how, content.lang)))
    return "\n".join(lines)
