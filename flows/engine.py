"""The conversation engine: (a person's saved state, one input) → (new state, replies, effects).

Each flow is compiled once into a `transitions` machine shared by everyone. A person is never attached
to a machine; for one input we fire the machine's event directly on a throw-away model holding just the
current step, which is the cheap equivalent of add_model/remove_model (see pytransitions issue 434).
Restoring a saved step only sets that attribute, so no on_enter side effects are re-run.
"""

from __future__ import annotations

import copy
import string
from datetime import datetime, timezone
from collections.abc import Callable, Iterable
import re
from dataclasses import replace
from typing import Any

from transitions import Machine

from flows.content import (CONTEXT_NAMES, KEEP_ANSWER, SAFETY_SIGNAL, WRITE_AGAIN, Condition, Content, CueSpec, Flow,
                           Next, OptionSpec, Rule, StepSpec, cue_matches, profile_test)
from flows.model import Context, Conversation, Event, Input, JournalEntry, Option, Person, Reply, Result

TICK = "✓"
SCALE = tuple(str(n) for n in range(1, 6))
EXIT_RESUME, EXIT_MENU, EXIT_FLOW = "exit_resume", "exit_menu", "exit_flow_"
# System flows that count as interruptions: entering them keeps a way back to the step the person was at.
# Flows a person may use before agreeing (nothing is stored for them): the notice itself, crisis help (and the
# phone-privacy checks it leads to), and the privacy commands that onboarding names.
BEFORE_AGREEING = frozenset({"onboarding", "crisis", "check", "seek_help", "tech_safety", "about", "delete",
                             "language"})
Validator = Callable[[str], "tuple[bool, str]"]
# A number on its own, typed at a text step, is more often meant for a button than for the answer: asked first.
LONE_NUMBER = re.compile(r"^\s*[#(\[]?\d{1,3}[.)\]]?\s*$")
QUOTE_MAX = 300  # how much of an earlier answer "You wrote: …" shows


class _Model:
    """The throw-away model a machine moves for one input."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


class _View:
    """What conditions may look at: the answers (including the one just given) and the context; `cues`, the
    flow's cue words, and `fresh`, the (flow, step) answers given this turn (only those are tested for cues)."""

    def __init__(self, person: Person, flow: str, ctx: Context | None, conv: Conversation,
                 cues: dict[str, CueSpec] | None = None, fresh: Iterable[tuple[str, str]] = ()):
        self.person, self.flow, self.ctx, self.conv = person, flow, ctx, conv
        self.cues = cues or {}
        self.fresh = frozenset(fresh)

    def cue(self, name: str, ref: str) -> bool:
        """The answer at `ref`, given this turn, matches the cue `name`."""
        fid, sid = ref.split(".", 1) if "." in ref else (self.flow, ref)
        value = self.person.answers.get(fid, {}).get(sid)
        cue = self.cues.get(name)
        return (fid, sid) in self.fresh and isinstance(value, str) and cue is not None and cue_matches(value, cue)


def holds(cond: Condition | list[Condition] | None, view: _View) -> bool:
    if cond is None:
        return True
    if isinstance(cond, list):
        return all(holds(c, view) for c in cond)
    if cond.any is not None and not any(holds(c, view) for c in cond.any):
        return False
    if cond.value is not None and not (view.ctx is not None and view.ctx.values.get(cond.value)):
        return False
    if cond.profile is not None and not profile_test(cond.profile, view.person.profile):
        return False
    if cond.not_profile is not None and profile_test(cond.not_profile, view.person.profile):
        return False
    if cond.returning is not None and bool(view.conv.return_to) != cond.returning:
        return False
    if cond.arg is not None and cond.arg not in view.conv.arg.split(","):  # the crisis arg lists several
        return False
    if cond.not_arg is not None and cond.not_arg in view.conv.arg.split(","):
        return False
    if cond.step is None:
        return True
    if cond.cue is not None and not view.cue(cond.cue, cond.step):
        return False
    if cond.not_cue is not None and view.cue(cond.not_cue, cond.step):
        return False
    value = view.person.answer(cond.step, view.flow)
    if cond.answered is not None and (value is not None) != cond.answered:
        return False
    if cond.is_ is not None and str(value) != str(cond.is_):
        return False
    if cond.has is not None and not (isinstance(value, list) and cond.has in value):
        return False
    if cond.lacks is not None and isinstance(value, list) and cond.lacks in value:
        return False
    count = len(value) if isinstance(value, list) else (0 if value is None else 1)
    if cond.count_at_least is not None and count < cond.count_at_least:
        return False
    if cond.count_at_most is not None and count > cond.count_at_most:
        return False
    number = value if isinstance(value, int) else None
    if cond.at_least is not None and (number is None or number < cond.at_least):
        return False
    if cond.at_most is not None and (number is None or number > cond.at_most):
        return False
    return True


def answers_hold(cond: Condition | list[Condition] | None, person: Person, flow: str, ctx: Context) -> bool:
    """Whether a condition holds over a person's answers (`step` meaning a step of `flow`), outside a turn."""
    return holds(cond, _View(person, flow, ctx, person.conversation))


def _rules(nxt: Next) -> list[Rule]:
    if nxt is None:
        return []
    if isinstance(nxt, str):
        return [Rule(to=nxt)]
    return nxt


def _dest(rule: Rule | OptionSpec) -> str | None:
    if isinstance(rule, Rule) and rule.to:
        return rule.to
    if rule.flow:
        return EXIT_FLOW + rule.flow
    if rule.resume:
        return EXIT_RESUME
    if rule.menu:
        return EXIT_MENU
    return None


def machine_config(flow: Flow, content: Content) -> dict[str, Any]:
    """The flow as the keyword arguments of a transitions Machine (used for the engine and for diagrams)."""
    transitions: list[dict[str, Any]] = []
    pseudo: set[str] = set()

    def add(trigger: str, source: str, rules: list[Rule | OptionSpec]) -> None:
        for rule in rules:
            dest = _dest(rule)
            if dest is None:
                continue
            if dest.startswith("exit_"):
                pseudo.add(dest)
            spec: dict[str, Any] = {"trigger": trigger, "source": source, "dest": dest}
            when = rule.when if isinstance(rule, Rule) else None
            if when is not None:
                spec["conditions"] = [lambda ev, w=when: holds(w, ev.kwargs["view"])]
            transitions.append(spec)

    for step in flow.steps.values():
        sid = step.id
        follow = _rules(step.next)
        if step.kind == "message":
            add("continue", sid, follow)
        elif step.kind == "checklist":
            for opt in step.option_specs():
                transitions.append({"trigger": opt.id, "source": sid, "dest": None})
            add("done", sid, follow)
        elif step.kind == "scale":
            for n in SCALE:
                add(n, sid, follow)
        elif step.kind in ("reflection", "input"):
            add("answer", sid, follow)
            if step.kind == "reflection":
                add("skip", sid, follow)
        if step.kind in ("choice", "summary", "input"):
            for opt in step.option_specs():
                if opt.flow or opt.resume or opt.menu:
                    add(opt.id, sid, [opt])
                else:
                    add(opt.id, sid, _rules(opt.next) or follow)
                    if not _rules(opt.next) and not follow and opt.action:
                        transitions.append({"trigger": opt.id, "source": sid, "dest": None})
            if step.options_from == "menu":
                for f in content.menu_flows():
                    add(f.id, sid, [Rule(flow=f.id)])
            elif step.options_from:
                add("pick", sid, follow)
            for fid in step.offers:
                add(fid, sid, [Rule(flow=fid)])
    states = [*flow.steps, *sorted(pseudo)]
    return {
        "states": states,
        "transitions": transitions,
        "initial": flow.spec.start,
        "auto_transitions": False,
        "send_event": True,
        "ignore_invalid_triggers": False,
    }


class Engine:
    """Runs every flow of `content` for any number of people."""

    def __init__(self, content: Content, *, validators: dict[str, Validator] | None = None,
                 option_sources: dict[str, Callable[[Person], list[tuple[str, str]]]] | None = None,
                 renderers: dict[str, Callable[[Person, Context], str]] | None = None,
                 actions: Iterable[str] = ()):
        """`actions`: what the world does after a turn (a command of that name is passed on as an action).
        Whether content names only what is provided is checked by whoever composes (`check_names`)."""
        self.content = content
        self.validators = validators or {}
        self.option_sources = option_sources or {}
        self.renderers = renderers or {}
        self.actions = frozenset(actions)
        self.machines = {fid: Machine(model=None, **machine_config(f, content)) for fid, f in content.flows.items()}
        self._menu_options = [Option(f.id, f.title) for f in content.menu_flows()]  # the menu's buttons, built once
        self.menu_ids = [o.id for o in self._menu_options]

    # ---- public -------------------------------------------------------------------------------

    def handle(self, person: Person, inp: Input, ctx: Context) -> Result:
        person = replace(person, answers=_copy_answers(person.answers), profile=dict(person.profile))
        conv = _copy_conversation(person.conversation)
        res = Result(conversation=conv)
        person.conversation = conv
        self._repair(person, res)
        # A press of a button drawn at another turn never counts, whatever path the input takes below.
        res.stale = inp.kind == "option" and inp.turn is not None and inp.turn != conv.turn
        if inp.kind == "command":
            self._command(person, inp, ctx, res)
        elif not person.agreed and conv.flow not in BEFORE_AGREEING and "onboarding" in self.content.flows:
            self._enter(person, "onboarding", ctx, res, interrupt=False)
        elif inp.kind == "open":
            pass
        elif inp.kind == "option":
            self._option(person, inp, ctx, res)
        else:
            self._text(person, inp.value, ctx, res)
        if not res.replies or not res.replies[-1].is_step:
            res.replies.append(self.render(person, ctx, fresh=res.answers))
        return res

    def interrupt(self, person: Person, flow_id: str, arg: str, ctx: Context, *, exact: bool = True) -> Result:
        """Start a system flow (e.g. crisis) from wherever the person is, keeping their way back: to exactly this
        step (`exact`), or, like any interruption, to the deeper origin when this is already a system flow."""
        person = replace(person, answers=_copy_answers(person.answers), profile=dict(person.profile))
        conv = _copy_conversation(person.conversation)
        person.conversation = conv
        res = Result(conversation=conv)
        self._repair(person, res)
        self._enter(person, flow_id, ctx, res, interrupt=True, arg=arg, exact=exact)
        res.replies.append(self.render(person, ctx))
        return res

    def options(self, person: Person, ctx: Context | None = None) -> list[Option]:
        conv = person.conversation
        flow = self.content.flows[conv.flow]
        step = flow.steps[conv.step]
        return self._options(flow, step, person, ctx)

    def render(self, person: Person, ctx: Context, *, fresh: Iterable[tuple[str, str]] = ()) -> Reply:
        """The person's step as a reply. `fresh`: the answers given this turn (a block may answer what they just
        wrote; drawn again later, it does not)."""
        conv = person.conversation
        flow = self.content.flows[conv.flow]
        step = flow.steps[conv.step]
        st = flow.text.steps[step.id]
        view = _View(person, flow.id, ctx, conv, flow.text.cues, fresh)
        parts = [self._fill(st.text, flow, person, ctx)]
        for block in step.blocks:
            if holds(block.when, view):
                parts.append(self._fill(st.blocks[block.key], flow, person, ctx))
        if step.kind in TEXT_KINDS and conv.pending:
            parts = [self.content.note("number_check", number=conv.pending)]
        elif self._earlier_text(person, flow, step) is not None:
            parts.append(self.content.note("you_wrote", text=_quote(self._earlier_text(person, flow, step) or "")))
        options = tuple(self._options(flow, step, person, ctx))
        if afraid(person):  # an option shown while the signal is set never goes bare: its caveat is on the screen
            shown = {o.id for o in options}
            for spec in step.option_specs():
                caveat = st.caveats.get(spec.id)
                if spec.unsafe_when_afraid and spec.id in shown and caveat and caveat not in parts:
                    parts.append(caveat)
        text = "\n\n".join(p for p in parts if p.strip())
        return Reply(text=text, options=options, flow=flow.id, step=step.id, kind=step.kind, turn=conv.turn)

    def shown_specs(self, flow: Flow, step: StepSpec, person: Person, ctx: Context | None = None) -> list[OptionSpec]:
        """The step's own options this person is shown: those whose `when` holds, and while the safety signal is
        set, not those tagged `unsafe_when_afraid: hide`."""
        view = _View(person, flow.id, ctx or Context(now=_EPOCH), person.conversation)
        scared = afraid(person)
        return [o for o in step.option_specs()
                if holds(o.when, view) and not (scared and o.unsafe_when_afraid == "hide")]

    # ---- steps and options --------------------------------------------------------------------

    def _options(self, flow: Flow, step: StepSpec, person: Person, ctx: Context | None = None) -> list[Option]:
        labels = flow.text.steps[step.id].options
        common = self.content.common.options
        conv = person.conversation
        out: list[Option] = []
        if step.kind == "message":
            out.append(Option("continue", flow.text.steps[step.id].continue_ or common["continue"]))
        elif step.kind == "scale":
            st = flow.text.steps[step.id]
            for n in SCALE:
                label = n
                if n == "1" and st.low:
                    label = f"1 – {st.low}"
                elif n == "5" and st.high:
                    label = f"5 – {st.high}"
                out.append(Option(n, label))
        elif step.kind == "checklist":
            for opt in self.shown_specs(flow, step, person, ctx):
                ticked = opt.id in conv.draft
                out.append(Option(opt.id, f"{TICK} {labels[opt.id]}" if ticked else labels[opt.id], ticked))
            out.append(Option("done", common["done"]))
        elif step.kind in TEXT_KINDS and conv.pending:
            out += [Option(KEEP_ANSWER, common[KEEP_ANSWER]), Option(WRITE_AGAIN, common[WRITE_AGAIN])]
        else:
            if self._earlier_text(person, flow, step) is not None:
                out.append(Option(KEEP_ANSWER, common[KEEP_ANSWER]))
            if step.options_from == "menu":
                out += self._menu_options
            elif step.options_from:
                source = self.option_sources.get(step.options_from)
                out += [Option(oid, label) for oid, label in (source(person) if source else [])]
            out += [Option(o.id, labels[o.id]) for o in self.shown_specs(flow, step, person, ctx)]
            for fid in step.offers:
                out.append(Option(fid, labels.get(fid) or self.content.flows[fid].title))
            if step.kind == "reflection":
                out.append(Option("skip", common["skip"]))
        wayouts = step.wayouts if step.wayouts is not None else flow.spec.default_wayouts()
        for w in ("back", "resume", "menu"):
            if w not in wayouts:
                continue
            if w == "back" and not conv.history:
                continue
            if w == "resume" and not conv.return_to:
                continue
            if w == "menu" and flow.id == "menu":
                continue
            out.append(Option(w, common[w]))
        return out

    def _earlier_text(self, person: Person, flow: Flow, step: StepSpec) -> str | None:
        """What the person wrote at this text step, when they came back to it with Back (to show and keep)."""
        if step.kind not in TEXT_KINDS or not person.conversation.back:
            return None
        value = person.answers.get(flow.id, {}).get(step.id)
        return value if isinstance(value, str) and value.strip() else None

    def _option(self, person: Person, inp: Input, ctx: Context, res: Result) -> None:
        conv = person.conversation
        if inp.turn is not None and inp.turn != conv.turn:
            res.replies.append(Reply(self.content.note("stale")))
            return
        flow = self.content.flows[conv.flow]
        step = flow.steps[conv.step]
        valid = {o.id for o in self._options(flow, step, person, ctx)}
        if inp.value not in valid:
            res.stale = True
            res.replies.append(Reply(self.content.note("stale")))
            return
        self._choose(person, flow, step, inp.value, ctx, res)

    def _text(self, person: Person, text: str, ctx: Context, res: Result) -> None:
        conv = person.conversation
        flow = self.content.flows[conv.flow]
        step = flow.steps[conv.step]
        options = self._options(flow, step, person, ctx)
        wanted = _plain(text)
        for opt in options:
            if wanted and wanted == _plain(opt.label):
                self._choose(person, flow, step, opt.id, ctx, res)
                return
        checked = step.kind == "reflection" or (step.kind == "input" and not step.validate_as)
        if checked and not conv.pending and LONE_NUMBER.match(text):
            conv.pending = text.strip()  # asked first: "Did you mean to write 6 here?"
            conv.turn += 1
            return
        if step.kind == "reflection" and text.strip():
            self._answer(person, flow, step, text.strip(), ctx, res)
            return
        if step.kind == "input" and text.strip():
            validator = self.validators.get(step.validate_as or "")
            ok, value = validator(text.strip()) if validator else (True, text.strip())
            if ok:
                self._answer(person, flow, step, value, ctx, res)
            else:
                res.replies.append(Reply(self.content.note(value)))
            return
        # Never "I didn't catch that": say it was read (a flow may have its own words for that, the crisis
        # screen does), and the service offers to keep it in the journal.
        res.held = text.strip() or None
        own = f"text_read_{flow.id}"
        res.replies.append(Reply(self.content.note(own if own in self.content.common.notes else "text_read")))

    def _choose(self, person: Person, flow: Flow, step: StepSpec, option: str, ctx: Context, res: Result) -> None:
        conv = person.conversation
        if option == "back":
            self._back(person, res)
            return
        if option == "resume":
            self._resume(person, ctx, res)
            return
        if option == "menu":
            self._to_menu(person, ctx, res)
            return
        if option == WRITE_AGAIN:
            conv.pending = ""
            conv.turn += 1
            return
        if option == KEEP_ANSWER:
            if conv.pending:  # the number was meant: it is the answer
                typed, conv.pending = conv.pending, ""
                self._answer(person, flow, step, typed, ctx, res)
            else:  # back at an answered step: keep what was written and go on, as it was
                self._fire(person, flow, step, "answer", ctx, res)
            return
        spec = next((o for o in step.option_specs() if o.id == option), None)
        if step.kind == "checklist" and option != "done":
            conv.draft = [o.id for o in step.option_specs() if (o.id == option) != (o.id in conv.draft)]
            conv.turn += 1
            return
        value: Any = option
        if step.kind == "checklist":
            value = list(conv.draft)
            for ticked in step.option_specs():
                if ticked.set and ticked.id in value:
                    _set_profile(person, res, ticked.set)
        elif step.kind == "scale":
            value = int(option)
        if step.keep and (step.kind in ("choice", "checklist", "scale") or (step.options_from and spec is None)):
            self._store(person, flow.id, step.id, value, res)
        if step.options_from and spec is None and option not in step.offers:
            if step.profile_key:
                res.profile[step.profile_key] = option
                person.profile[step.profile_key] = option
            trigger = "pick" if step.options_from != "menu" else option
        else:
            trigger = option
        if spec is not None:
            if spec.set:
                _set_profile(person, res, spec.set)
            if spec.action:
                self._act(person, spec.action, ctx, res)
                if spec.action in ("agree", "erase"):
                    return
        self._fire(person, flow, step, trigger, ctx, res)

    def _answer(self, person: Person, flow: Flow, step: StepSpec, text: str, ctx: Context, res: Result) -> None:
        if step.kind == "input" and step.profile_key:
            res.profile[step.profile_key] = text
            person.profile[step.profile_key] = text
        self._store(person, flow.id, step.id, text, res)
        if step.kind == "reflection" and step.journal:
            res.journal.append(JournalEntry(flow.id, step.id, text))
        self._fire(person, flow, step, "answer", ctx, res)

    def _store(self, person: Person, flow: str, step: str, value: Any, res: Result) -> None:
        person.answers.setdefault(flow, {})[step] = value
        res.answers[(flow, step)] = value

    def _fire(self, person: Person, flow: Flow, step: StepSpec, trigger: str, ctx: Context, res: Result) -> None:
        machine = self.machines[flow.id]
        conv = person.conversation
        model = _Model(step.id)
        event = machine.events.get(trigger)
        view = _View(person, flow.id, ctx, conv, flow.text.cues, res.answers)
        if event is None or step.id not in event.transitions or not event.trigger(model, view=view):
            res.stale = True
            res.replies.append(Reply(self.content.note("stale")))
            return
        dest = model.state
        if dest == EXIT_RESUME:
            self._resume(person, ctx, res)
        elif dest == EXIT_MENU:
            self._to_menu(person, ctx, res)
        elif dest.startswith(EXIT_FLOW):
            target = dest[len(EXIT_FLOW):]
            into = self.content.flows[target]
            self._enter(person, target, ctx, res, interrupt=into.spec.keeps_place or not into.is_menu,
                        arg=conv.arg if flow.spec.passes_arg else "", picked=True)
        elif dest != step.id:
            conv.history.append(step.id)
            self._arrive(person, flow, dest, ctx, res)

    def _arrive(self, person: Person, flow: Flow, step_id: str, ctx: Context, res: Result) -> None:
        conv = person.conversation
        conv.step = step_id
        conv.draft = []
        conv.back, conv.pending = False, ""
        conv.turn += 1
        step = flow.steps[step_id]
        if step.kind == "checklist":
            prev = person.answers.get(flow.id, {}).get(step_id)
            conv.draft = [str(x) for x in prev] if isinstance(prev, list) else []
        if step.set:
            _set_profile(person, res, step.set)
        if step.action:
            self._act(person, step.action, ctx, res)
        if step.pick_single and step.options_from in self.option_sources:
            offered = self.option_sources[step.options_from](person)
            if len(offered) == 1:  # one to choose from: chosen, and Back later skips this step
                self._choose(person, flow, step, offered[0][0], ctx, res)
                if step_id in conv.history:
                    conv.history.reverse()
                    conv.history.remove(step_id)
                    conv.history.reverse()
                return
        if step.kind == "summary" and flow.completes:
            res.events.append(Event("flow_completed", flow.id))
            person.completed = frozenset({*person.completed, flow.id})

    def _enter(self, person: Person, flow_id: str, ctx: Context, res: Result, *, interrupt: bool,
               arg: str = "", exact: bool = False, picked: bool = False) -> None:
        """`picked`: chosen on a screen (the menu, a summary's offers), where a flow's `before:` question is asked
        first. A flow opened by name (/flow ID, a /start link) starts at once: the link promised that topic."""
        conv = person.conversation
        flow = self.content.flows[flow_id]
        first = self._before(person, flow, ctx) if picked and not interrupt and not exact else None
        if first is not None:  # e.g. "who is this about?": that flow first, this one when it resumes
            conv.after = flow_id
            self._enter(person, first, ctx, res, interrupt=False)
            return
        current = self.content.flows.get(conv.flow)
        if exact and current is not None and conv.flow != flow_id and conv.step:
            # Crisis: come back to exactly this step (a check-in, help), which keeps its own way back.
            conv.return_to = _nested({**_mark(conv), "arg": conv.arg, "return_to": conv.return_to})
            conv.after = None  # kept in the mark: a topic waiting behind a question waits until they are back
        elif interrupt and current is not None and conv.flow != flow_id and conv.step:
            # One return point: an interruption of an interruption keeps the deeper origin.
            if current.is_menu or conv.return_to is None:
                conv.return_to = _mark(conv)
                conv.after = None
        elif flow.is_menu:
            conv.return_to = None
        conv.flow = flow_id
        conv.history = []
        conv.arg = arg
        res.events.append(Event("flow_started", flow_id))
        self._arrive(person, flow, flow.spec.start, ctx, res)

    def _before(self, person: Person, flow: Flow, ctx: Context) -> str | None:
        """The system flow to open before `flow` starts (its first `before:` rule that holds), or None."""
        if not flow.spec.before or not person.agreed:
            return None
        view = _View(person, flow.id, ctx, person.conversation)
        for rule in flow.spec.before:
            if rule.flow and rule.flow in self.content.flows and rule.flow != flow.id and holds(rule.when, view):
                return rule.flow
        return None

    def _to_menu(self, person: Person, ctx: Context, res: Result) -> None:
        """The menu keeps a way back to the topic the person left."""
        conv = person.conversation
        conv.after = None  # a topic waiting behind a question asked first is not started after all
        if self.content.flows[conv.flow].is_menu:
            conv.return_to = _mark(conv)
        self._enter(person, "menu", ctx, res, interrupt=False)

    def _back(self, person: Person, res: Result) -> None:
        conv = person.conversation
        flow = self.content.flows[conv.flow]
        conv.pending = ""
        if conv.history:
            conv.step = conv.history.pop()
            conv.back = True
            conv.turn += 1
            prev = person.answers.get(flow.id, {}).get(conv.step)
            conv.draft = [str(x) for x in prev] if isinstance(prev, list) else []

    def _resume(self, person: Person, ctx: Context, res: Result) -> None:
        conv = person.conversation
        back = conv.return_to
        conv.return_to = None
        if conv.after and conv.after in self.content.flows and person.agreed:
            target, conv.after = conv.after, None
            self._enter(person, target, ctx, res, interrupt=False)
            return
        if back and back.get("flow") in self.content.flows and back.get("step") in self.content.flows[back["flow"]].steps:
            conv.flow, conv.step = back["flow"], back["step"]
            conv.back, conv.pending = False, ""
            conv.history = list(back.get("history") or [])
            conv.arg = str(back.get("arg") or "")
            conv.turn += 1
            conv.draft = [str(x) for x in back.get("draft") or []]
            conv.after = back.get("after") or None
            outer = back.get("return_to")
            conv.return_to = outer if isinstance(outer, dict) else None
            return
        self._enter(person, "menu", ctx, res, interrupt=False)

    def _act(self, person: Person, action: str, ctx: Context, res: Result) -> None:
        if action == "agree":
            res.agreed = True
            person.agreed = True
            res.events.append(Event("agreed"))
            self._resume(person, ctx, res)
            return
        res.actions.append(action)
        if action == "erase":
            res.agreed = False
            person.agreed = False

    # ---- commands -----------------------------------------------------------------------------

    def _command(self, person: Person, inp: Input, ctx: Context, res: Result) -> None:
        conv = person.conversation
        name, arg = inp.value, inp.arg
        flows = self.content.flows
        if name == "start":
            name, arg = ("flow", arg) if arg else ("menu", "")
        if not person.agreed and "onboarding" in flows and name not in ("delete", "exit", "about", "language"):
            if name == "flow" and arg in flows and flows[arg].is_menu:
                conv.after = arg
            if conv.flow != "onboarding":
                self._enter(person, "onboarding", ctx, res, interrupt=False)
            return
        if name == "flow":
            if arg in flows and flows[arg].is_menu:
                self._enter(person, arg, ctx, res, interrupt=False)
            else:
                res.replies.append(Reply(self.content.note("unknown_flow", flows=", ".join(self.menu_ids))))
            return
        if name == "restart":
            flow = flows[conv.flow]
            conv.history = []
            self._arrive(person, flow, flow.spec.start, ctx, res)
            return
        if name == "menu":
            self._to_menu(person, ctx, res)
            return
        known = self.content.common.commands
        if name in known and name in flows:
            self._enter(person, name, ctx, res, interrupt=True)
            return
        if name in known and name in self.actions:  # e.g. /exit: a feature acts on it after the turn
            res.actions.append(name)
            return
        res.replies.append(Reply(self.content.note("unknown_command", commands=self.command_list())))

    def command_list(self) -> str:
        return ", ".join(f"/{c}" for c in self.content.common.commands)

    # ---- text ---------------------------------------------------------------------------------

    def _repair(self, person: Person, res: Result) -> None:
        """Saved progress may point at a flow or step a content change removed: start that flow again."""
        conv = person.conversation
        flows = self.content.flows
        if conv.flow not in flows:
            conv.flow, conv.step, conv.history, conv.draft = "menu", flows["menu"].spec.start, [], []
            if person.agreed and res is not None and person.conversation.turn:
                res.replies.append(Reply(self.content.note("flow_reset")))
            conv.turn += 1
        flow = flows[conv.flow]
        if not conv.step:
            conv.step = flow.spec.start
        elif conv.step not in flow.steps:
            conv.step, conv.history, conv.draft = flow.spec.start, [], []
            conv.turn += 1
            res.replies.append(Reply(self.content.note("flow_reset")))
        conv.history = [s for s in conv.history if s in flow.steps]
        if conv.return_to and (conv.return_to.get("flow") not in flows
                               or conv.return_to.get("step") not in flows[conv.return_to["flow"]].steps):
            conv.return_to = None

    def _fill(self, template: str, flow: Flow, person: Person, ctx: Context) -> str:
        if "{" not in template:
            return template
        values: dict[str, str] = {}
        for _, name, _, _ in string.Formatter().parse(template):
            if name is None or name in values:
                continue
            if name in self.renderers:
                values[name] = self.renderers[name](person, ctx)
            elif name == "progress":
                done = len([f for f in self.menu_ids if f in person.completed])
                values[name] = self.content.note("progress_line", done=done, total=len(self.menu_ids))
            elif name == "flows":
                values[name] = ", ".join(self.menu_ids)
            elif name == "commands":
                values[name] = self.command_list()
            elif name in ctx.values or name in CONTEXT_NAMES:
                # A setting left unset may have words of its own in the person's language (`default_NAME`).
                values[name] = ctx.values.get(name) or self.content.common.notes.get(f"default_{name}", "")
            else:
                values[name] = self._answer_text(name, flow, person)
        return template.format_map(values)

    def _answer_text(self, ref: str, flow: Flow, person: Person) -> str:
        fid, sid = ref.split(".", 1) if "." in ref else (flow.id, ref)
        value = person.answers.get(fid, {}).get(sid)
        target = self.content.flows.get(fid)
        none = self.content.note("nothing_chosen")
        if value is None or target is None:
            return none
        labels = target.text.steps.get(sid).options if sid in target.text.steps else {}
        if isinstance(value, list):
            return "; ".join(labels.get(v, v) for v in value) or none
        return labels.get(str(value), str(value))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def afraid(person: Person) -> bool:
    """The safety signal is set (flows/content.py SAFETY_SIGNAL)."""
    return bool(person.profile.get(SAFETY_SIGNAL))


def _set_profile(person: Person, res: Result, values: dict[str, Any]) -> None:
    res.profile.update(values)
    person.profile.update(values)


def _copy_answers(answers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A copy the turn may change: answers are replaced, never mutated in place, so one level deeper is enough."""
    return {flow: dict(steps) for flow, steps in answers.items()}


def _copy_conversation(conv: Conversation) -> Conversation:
    return replace(conv, history=list(conv.history), draft=list(conv.draft),
                   return_to=copy.deepcopy(conv.return_to) if conv.return_to else None)


def _mark(conv: Conversation) -> dict[str, Any]:
    """The one return point: exactly where the person is, unconfirmed checklist ticks included."""
    mark = {"flow": conv.flow, "step": conv.step, "history": list(conv.history), "draft": list(conv.draft)}
    if conv.after:  # a flow waiting behind a question asked first (`before:`, onboarding)
        mark["after"] = conv.after
    return mark


def _nested(mark: dict[str, Any], depth: int = 3) -> dict[str, Any]:
    """A return point that keeps the one it interrupted, at most `depth` deep (older ones are dropped)."""
    out = dict(mark)
    node = out
    for _ in range(depth - 1):
        inner = node.get("return_to")
        if not isinstance(inner, dict):
            return out
        node["return_to"] = node = dict(inner)
    node["return_to"] = None
    return out


TEXT_KINDS = ("reflection", "input")


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX - 1].rstrip() + "…"


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})


def _plain(text: str) -> str:
    return " ".join(text.replace(TICK, " ").translate(_QUOTES).casefold().split())
