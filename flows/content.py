"""Content as data: the schema of flow and text files, loading, and validation.

A flow's structure lives in content/flows/ID.yaml; what a person reads lives in content/LANG/ID.yaml,
keyed by step id, so another language is added by adding files. `load_content` returns a `Content`
or raises `ContentError` with one (file, step, problem) line per problem.
"""

from __future__ import annotations

import hashlib
import re
import string
from functools import cached_property
from dataclasses import dataclass, field
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

STEP_KINDS = ("message", "choice", "checklist", "scale", "reflection", "input", "summary")
WAYOUTS = ("back", "menu", "resume")
KEEP_ANSWER, WRITE_AGAIN = "keep_answer", "write_again"  # the engine's own, at a text step (flows/engine.py)
RESERVED_OPTIONS = frozenset({*WAYOUTS, "continue", "done", "skip", "answer", KEEP_ANSWER, WRITE_AGAIN})
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SCHEMA_VERSION = 1
DEFAULT_MAX_CHARS = 600
# A button label, as shown: Telegram clients cut longer ones on narrow phones, and translations run longer.
MAX_LABEL = 32
TICK_PREFIX = 2  # a ticked checklist option shows "✓ " before its label (flows/engine.py)
SCALE_PREFIX = 4  # the ends of a scale show as "1 – low" and "5 – high"
# A summary is read as one message: its text and every block that can show with it, measured as written, with
# each placeholder counted as this many characters (a label or a short answer; the person's own long answers
# are theirs). Within DEFAULT_MAX_CHARS that is about a phone screen, so the next steps stay in sight.
PLACEHOLDER_CHARS = 20
# Names a text may use besides answers: filled in by the engine or from settings.
CONTEXT_NAMES = frozenset(
    {"progress", "intake_url", "practice_name", "practice_phone", "practice_hours", "privacy_url",
     "flows", "commands", "country", "value", "retention_days", "encrypted", "plaintext", "practice_offers",
     "practice_after_intake", "practice_cost", "languages"}
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it (start-up time)
# Profile keys content tests and sets (they are stored encrypted, like the whole profile).
RELATIONSHIP = "relationship"  # partner, work, family, other, unsaid (flows/resources.py RELATIONSHIP_KINDS)
# The safety signal: set when a person says they are afraid, feels unsafe, says it is getting worse, or the crisis
# screen opened (a short word saying what set it; empty when cleared). While it is set, options tagged
# `unsafe_when_afraid` are hidden or carry their caveat, and topics re-frame what they ask (docs/adding-a-feature.md).
SAFETY_SIGNAL = "safety_signal"
UNSAFE_MODES = ("caveat", "hide")


def profile_test(spec: str, profile: dict[str, Any]) -> bool:
    """`KEY` holds when the profile key is set (truthy); `KEY=A|B` when its value is one of A, B (a bar, not a
    comma: a comma ends a YAML `{…}`)."""
    key, sep, values = spec.partition("=")
    value = profile.get(key.strip())
    if not sep:
        return bool(value)
    return value is not None and str(value) in {v.strip() for v in values.split("|")}


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Condition(Spec):
    """A test over answers or context. `step` is `STEP` (this flow) or `FLOW.STEP`."""

    step: str | None = None
    is_: str | int | None = Field(default=None, alias="is")
    has: str | None = None
    lacks: str | None = None  # a checklist answer without this tick (unanswered counts): "this line, unless that one"
    count_at_least: int | None = None
    count_at_most: int | None = None
    at_least: int | None = None
    at_most: int | None = None
    answered: bool | None = None
    value: str | None = None  # a context value (e.g. intake_url) that must be set
    profile: str | None = None  # a profile key that must be set, or `KEY=VALUE[|VALUE…]` (one of these values)
    not_profile: str | None = None  # … the same test, which must not hold (unset, or another value)
    returning: bool | None = None  # the person has a place to return to
    arg: str | None = None  # what the system flow was started with (e.g. a crisis category): one of its parts
    not_arg: str | None = None  # … and this one is not among them
    # What the person wrote at `step`, this very turn, matches one of the flow's texts' `cues:` (e.g. good news;
    # words listed per language, so content, not code, says what they are). Only the answer just given counts:
    # acknowledged in the moment, never later, and never when triage answered it first (the crisis screen
    # replaces the turn's reply). `not_cue`: the same test, which must not hold.
    cue: str | None = None
    not_cue: str | None = None
    any: list["Condition"] | None = None


class Rule(Spec):
    """One branch of `next`: the first rule whose `when` holds wins; a rule without `when` always holds."""

    when: Condition | list[Condition] | None = None
    to: str | None = None
    flow: str | None = None
    resume: bool = False
    menu: bool = False


Next = Union[str, list[Rule], None]


class OptionSpec(Spec):
    id: str
    next: Next = None
    flow: str | None = None
    resume: bool = False
    menu: bool = False
    action: str | None = None  # something only the adapter can do: erase, exit, export, ...
    # Profile settings this option sets (at a checklist: when Done is pressed with it ticked).
    set: dict[str, Any] | None = None
    # Shown only when this holds (e.g. `{arg: violence}` on the crisis screen, `{step: X, answered: true}`,
    # `{profile: relationship=work}`). A hidden option cannot be chosen (a press of it is stale).
    when: Condition | list[Condition] | None = None
    # While the safety signal is set: `caveat` shows the option with its caveat (the texts' `caveats:`) under the
    # step's message; `hide` leaves it out. Either way the caveat text is required: it says why.
    unsafe_when_afraid: str | None = None
    no_followup: bool = False  # choosing it means "not acting on this now": no "ask me how it went" offer


class Block(Spec):
    key: str
    when: Condition | list[Condition] | None = None


class StepSpec(Spec):
    id: str
    kind: str
    next: Next = None
    options: list[Union[str, OptionSpec]] = Field(default_factory=list)
    options_from: str | None = None  # "menu", or an option source a feature provides
    offers: list[str] = Field(default_factory=list)  # summary: flows offered next
    blocks: list[Block] = Field(default_factory=list)
    wayouts: list[str] | None = None
    journal: bool = True  # reflection: also saved to the journal
    keep: bool = True  # choice, checklist, scale: save the answer (false: the answer only moves the flow on)
    validate_as: str | None = Field(default=None, alias="validate")  # input: a validator name
    profile_key: str | None = None  # input / choice: store the answer in the profile under this key
    action: str | None = None  # done on entering the step
    set: dict[str, Any] | None = None  # profile settings set on entering the step (e.g. the safety signal)
    end: bool = False  # a step that may end a system flow without a `next`
    pick_single: bool = False  # choice with `options_from`: when the source offers exactly one, it is chosen at once
    # A question about danger or safety: a button pressed on it never leaves the chosen answer on its message
    # (the crisis and check flows are always treated so; bot/core/service.py `asks_danger`).
    sensitive: bool = False

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        return value or []

    @cached_property
    def _option_specs(self) -> tuple[OptionSpec, ...]:
        return tuple(OptionSpec(id=o) if isinstance(o, str) else o for o in self.options)

    def option_specs(self) -> tuple[OptionSpec, ...]:
        """Options in order, plain ids expanded; built once (content is immutable after loading)."""
        return self._option_specs


class FlowSpec(Spec):
    version: int
    id: str
    system: bool = False
    menu: int | None = None  # position in the main menu (topic flows)
    start: str
    wayouts: list[str] | None = None
    completes: bool | None = None  # reaching a summary counts as finishing (default: topic flows)
    # Hand-overs before the flow starts: the first rule whose `when` holds opens its (system) flow first, and the
    # flow itself starts when that one resumes (e.g. "who is this about?", asked once, before any topic).
    before: list[Rule] = Field(default_factory=list)
    keeps_place: bool = False  # a hand-over into this flow keeps a way back (e.g. help), like a system flow
    passes_arg: bool = False  # a hand-over from this flow passes its arg on (the check question → crisis screen)
    open_when_locked: bool = False  # shown while the chat is locked: help, never anything the person wrote
    # The person writes down danger on purpose here (a safety plan's warning signs, a record entry): the check
    # question ("are you safe right now?") is not asked of what they write; a crisis still opens the crisis screen.
    writes_danger: bool = False
    # A flow offered under topics' summaries (the follow-up): topic → what the person's answers must show for the
    # offer to be made (e.g. a plan to act, not "it's just for me"). Topics not named here are offered it always.
    offered_when: dict[str, Union[Condition, list[Condition]]] = Field(default_factory=dict)
    steps: list[StepSpec]

    def default_wayouts(self) -> list[str]:
        if self.wayouts is not None:
            return self.wayouts
        return [] if self.system else ["back", "menu"]


class StepText(Spec):
    text: str
    options: dict[str, str] = Field(default_factory=dict)
    blocks: dict[str, str] = Field(default_factory=dict)
    caveats: dict[str, str] = Field(default_factory=dict)  # option id → caveat (options `unsafe_when_afraid`)
    continue_: str | None = Field(default=None, alias="continue")
    low: str | None = None
    high: str | None = None


class CueSpec(Spec):
    """Words or phrases that make a written answer sound like something (`match`, any one of them, as whole
    words, case and curly quotes ignored), unless one of `unless` is there too (a "not", a "but": when in doubt,
    no special reply)."""

    match: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)


class FlowText(Spec):
    version: int
    flow: str
    title: str
    description: str = ""
    # name → cue words, tested by conditions `cue:` / `not_cue:` on this flow's text steps (see Condition).
    cues: dict[str, CueSpec] = Field(default_factory=dict)
    steps: dict[str, StepText]


_CUE_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def _cue_text(text: str) -> str:
    return " ".join(text.translate(_CUE_QUOTES).casefold().split())


def _has_phrase(text: str, phrase: str) -> bool:
    phrase = _cue_text(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def cue_matches(text: str, cue: CueSpec) -> bool:
    """Whether `text` has one of the cue's phrases as whole words and none of its `unless` words."""
    flat = _cue_text(text)
    return any(_has_phrase(flat, p) for p in cue.match) and not any(_has_phrase(flat, u) for u in cue.unless)


class CommonText(Spec):
    version: int
    options: dict[str, str]
    notes: dict[str, str]
    # name → description. An entry may be `{description: ..., hidden: true}`: the command works and /help lists
    # it, but it is left out of Telegram's command menu (setMyCommands), which anyone holding the phone can open.
    commands: dict[str, str] = Field(default_factory=dict)
    unlisted: list[str] = Field(default_factory=list)  # the commands marked `hidden: true`
    # This language's name in itself ("English", "Español"), as /language lists it; and its review state for the
    # content book: `pending` until a practice's counsellor fluent in it has read it (English is the reference).
    language: str = ""
    # A longer message limit for this language, when its words run longer than English's (a translation is
    # often a fifth longer): a phone screen still holds it. None: the default.
    max_chars: int | None = Field(default=None, ge=DEFAULT_MAX_CHARS, le=900)
    reviewed: str = ""

    @model_validator(mode="before")
    @classmethod
    def _hidden_commands(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("commands"), dict):
            return data
        commands: dict[str, Any] = {}
        unlisted = list(data.get("unlisted") or [])
        for name, entry in data["commands"].items():
            if isinstance(entry, dict) and set(entry) <= {"description", "hidden"}:
                commands[name] = entry.get("description")
                if entry.get("hidden") is True and name not in unlisted:
                    unlisted.append(name)
            else:
                commands[name] = entry
        return {**data, "commands": commands, "unlisted": unlisted}

    @property
    def listed_commands(self) -> dict[str, str]:
        """The commands for Telegram's command menu: all but the hidden ones."""
        return {name: text for name, text in self.commands.items() if name not in self.unlisted}


@dataclass
class Flow:
    spec: FlowSpec
    text: FlowText
    steps: dict[str, StepSpec]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.text.title

    @property
    def is_menu(self) -> bool:
        return not self.spec.system

    @property
    def completes(self) -> bool:
        return self.spec.completes if self.spec.completes is not None else not self.spec.system


@dataclass
class Content:
    flows: dict[str, Flow]
    common: CommonText
    version: str
    root: Path
    lang: str = "en"
    max_chars: int = DEFAULT_MAX_CHARS
    extras: dict[str, Any] = field(default_factory=dict)  # other data files (resources, safety), loaded elsewhere
    # Placeholders that are neither a setting nor a step: a feature must render them (see `check_names`).
    free_names: list[tuple[str, str, str]] = field(default_factory=list)  # (file, step, name)

    def menu_flows(self) -> list[Flow]:
        return sorted((f for f in self.flows.values() if f.is_menu), key=lambda f: (f.spec.menu or 0, f.id))

    def system_flows(self) -> list[Flow]:
        return sorted((f for f in self.flows.values() if not f.is_menu), key=lambda f: f.id)

    def note(self, key: str, **values: Any) -> str:
        return self.common.notes[key].format(**values) if values else self.common.notes[key]

    def label(self, key: str) -> str:
        return self.common.options[key]


class ContentError(Exception):
    """Content that cannot be used. `problems` holds (file, step, problem) triples."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{f}: {s}: {p}" for f, s, p in problems))


def _read_yaml(path: Path, root: Path, problems: list[tuple[str, str, str]]) -> Any:
    rel = str(path.relative_to(root))
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError) as exc:
        problems.append((rel, "-", f"cannot read: {exc.__class__.__name__}"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problems.append((rel, "-", f"not valid YAML{where}"))
        return None
    if not isinstance(data, dict):
        problems.append((rel, "-", "expected a mapping at the top"))
        return None
    if data.get("version") != SCHEMA_VERSION:
        problems.append((rel, "-", f"version must be {SCHEMA_VERSION}"))
        return None
    return data


def _schema_problems(rel: str, exc: ValidationError, data: Any) -> list[tuple[str, str, str]]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        step = "-"
        if len(loc) >= 2 and loc[0] == "steps":
            if isinstance(loc[1], int) and isinstance(data, dict):
                try:
                    step = str(data["steps"][loc[1]].get("id", loc[1]))
                except (KeyError, IndexError, TypeError, AttributeError):
                    step = str(loc[1])
            else:
                step = str(loc[1])
        where = ".".join(str(x) for x in loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append((rel, step, f"{where}: {msg}"))
    return out


M = TypeVar("M", bound=BaseModel)


def _parse(path: Path, root: Path, model: type[M], problems: list[tuple[str, str, str]]) -> M | None:
    """One YAML file checked against its schema; problems are added, never raised."""
    data = _read_yaml(path, root, problems)
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems += _schema_problems(str(path.relative_to(root)), exc, data)
        return None


def content_version(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def load_content(root: str | Path, lang: str = "en", max_chars: int = DEFAULT_MAX_CHARS) -> Content:
    """Load and validate every flow and text file under `root`. Raises ContentError."""
    root = Path(root).resolve()
    problems: list[tuple[str, str, str]] = []
    if not (root / "flows").is_dir():
        raise ContentError([(str(root), "-", "no flows/ folder here; is this the content directory?")])
    common_path = root / lang / "common.yaml"
    common: CommonText | None = None
    if not common_path.is_file():
        problems.append((f"{lang}/common.yaml", "-", "missing"))
    else:
        common = _parse(common_path, root, CommonText, problems)

    flows: dict[str, Flow] = {}
    free: list[tuple[str, str, str]] = []
    for path in sorted((root / "flows").glob("*.yaml")):
        rel = str(path.relative_to(root))
        spec = _parse(path, root, FlowSpec, problems)
        if spec is None:
            continue
        if spec.id != path.stem:
            problems.append((rel, "-", f"id '{spec.id}' does not match the file name"))
            continue
        text_rel = f"{lang}/{spec.id}.yaml"
        text_path = root / text_rel
        if not text_path.is_file():
            problems.append((text_rel, "-", "missing: every flow needs its texts"))
            continue
        text = _parse(text_path, root, FlowText, problems)
        if text is None:
            continue
        steps: dict[str, StepSpec] = {}
        for step in spec.steps:
            if step.id in steps:
                problems.append((rel, step.id, "duplicate step id"))
            steps[step.id] = step
        flows[spec.id] = Flow(spec, text, steps)

    if common is not None:
        for key in ("back", "menu", "resume", "continue", "done", "skip", KEEP_ANSWER, WRITE_AGAIN):
            if key not in common.options:
                problems.append((f"{lang}/common.yaml", "-", f"options.{key} is missing"))
        for key, label in common.options.items():
            if _shown_length(label) > MAX_LABEL:
                problems.append((f"{lang}/common.yaml", "-", _long_label(key, label, _shown_length(label))))
        for key in ("you_wrote", "number_check"):
            if key not in common.notes:
                problems.append((f"{lang}/common.yaml", "-", f"notes.{key} is missing"))
        for name in common.unlisted:
            if name not in common.commands:
                problems.append((f"{lang}/common.yaml", "-", f"command '{name}' is hidden but not a command"))
        for name, description in common.commands.items():
            # Telegram's setMyCommands rules: 1–32 of a-z, 0-9, _; a description of 1–256 characters.
            if not COMMAND_RE.match(name) or not 1 <= len(description) <= 256:
                problems.append((f"{lang}/common.yaml", "-", f"command '{name}': name must be 1–32 of a-z, 0-9 "
                                 "and _, with a description of 1–256 characters"))
    if common is not None and common.max_chars:
        max_chars = max(max_chars, common.max_chars)
    for flow in flows.values():
        problems += _check_flow(flow, flows, lang, max_chars, free, common)
    if "menu" not in flows:
        problems.append(("flows/menu.yaml", "-", "missing: the main menu is a flow"))
    if problems:
        raise ContentError(problems)
    assert common is not None
    return Content(flows=flows, common=common, version=content_version(root), root=root, lang=lang,
                   max_chars=max_chars, free_names=free)


def condition_cues(cond: Condition | list[Condition] | None) -> list[tuple[str, str]]:
    """(cue name, step) for every `cue:` / `not_cue:` test in a condition."""
    if cond is None:
        return []
    out: list[tuple[str, str]] = []
    for c in cond if isinstance(cond, list) else [cond]:
        for name in (c.cue, c.not_cue):
            if name:
                out.append((name, c.step or ""))
        out += condition_cues(c.any)
    return out


def _condition_refs(cond: Condition | list[Condition] | None) -> list[str]:
    if cond is None:
        return []
    conds = cond if isinstance(cond, list) else [cond]
    refs: list[str] = []
    for c in conds:
        if c.step:
            refs.append(c.step)
        refs += _condition_refs(c.any)
    return refs


def step_targets(step: StepSpec) -> tuple[list[str], list[str], bool]:
    """(steps, flows, leaves) that a step can lead to; `leaves` is True when it can resume or go to the menu."""
    steps: list[str] = []
    flows: list[str] = []
    leaves = False

    def add_next(nxt: Next) -> None:
        nonlocal leaves
        if isinstance(nxt, str):
            steps.append(nxt)
        elif isinstance(nxt, list):
            for rule in nxt:
                if rule.to:
                    steps.append(rule.to)
                if rule.flow:
                    flows.append(rule.flow)
                leaves = leaves or rule.resume or rule.menu

    add_next(step.next)
    for opt in step.option_specs():
        add_next(opt.next)
        if opt.flow:
            flows.append(opt.flow)
        leaves = leaves or opt.resume or opt.menu or bool(opt.action)
    flows += step.offers
    return steps, flows, leaves


def _check_flow(flow: Flow, flows: dict[str, Flow], lang: str, max_chars: int,
                free: list[tuple[str, str, str]], common: CommonText | None = None) -> list[tuple[str, str, str]]:
    spec, text = flow.spec, flow.text
    rel, trel = f"flows/{spec.id}.yaml", f"{lang}/{spec.id}.yaml"
    out: list[tuple[str, str, str]] = []
    if not ID_RE.match(spec.id):
        out.append((rel, "-", "flow id must be lower-case letters, digits and _ (at most 24)"))
    if spec.start not in flow.steps:
        out.append((rel, "-", f"start step '{spec.start}' does not exist"))
    if not spec.system and spec.menu is None:
        out.append((rel, "-", "a menu flow needs `menu:` (its position) or `system: true`"))
    for w in spec.default_wayouts():
        if w not in WAYOUTS:
            out.append((rel, "-", f"unknown way-out '{w}'"))
    for sid, step in flow.steps.items():
        if not ID_RE.match(sid) or sid.startswith("exit_"):
            out.append((rel, sid, "step id must be lower-case letters, digits and _ (at most 24), not exit_…"))
        if step.kind not in STEP_KINDS:
            out.append((rel, sid, f"unknown step kind '{step.kind}' (known: {', '.join(STEP_KINDS)})"))
            continue
        opts = step.option_specs()
        seen: set[str] = set()
        for o in opts:
            if o.id in seen:
                out.append((rel, sid, f"duplicate option '{o.id}'"))
            seen.add(o.id)
            if not ID_RE.match(o.id) or o.id in RESERVED_OPTIONS:
                out.append((rel, sid, f"option id '{o.id}' is reserved or not a short lower-case id"))
        if step.pick_single and (step.kind != "choice" or not step.options_from):
            out.append((rel, sid, "pick_single needs a choice step with options_from"))
        if step.kind in ("choice", "checklist") and not opts and not step.options_from:
            out.append((rel, sid, f"a {step.kind} step needs options"))
        if opts and step.kind not in ("choice", "checklist", "summary", "input"):
            out.append((rel, sid, f"a {step.kind} step takes no options"))
        if step.kind == "choice":
            for o in opts:
                if o.next is None and not (o.flow or o.resume or o.menu or o.action) and step.next is None:
                    out.append((rel, sid, f"option '{o.id}' leads nowhere"))
        for w in step.wayouts or []:
            if w not in WAYOUTS:
                out.append((rel, sid, f"unknown way-out '{w}'"))
        targets, flow_targets, leaves = step_targets(step)
        for t in targets:
            if t not in flow.steps:
                out.append((rel, sid, f"next step '{t}' does not exist"))
        for f in flow_targets:
            if f not in flows:
                out.append((rel, sid, f"hand-over to unknown flow '{f}'"))
        for block in step.blocks:
            for ref in _condition_refs(block.when):
                out += _check_ref(ref, flow, flows, rel, sid) or _check_kept(ref, flow, flows, rel, sid)
        if isinstance(step.next, list):
            for rule in step.next:
                for ref in _condition_refs(rule.when):
                    out += _check_ref(ref, flow, flows, rel, sid) or _check_kept(ref, flow, flows, rel, sid)
        for o in opts:
            for ref in _condition_refs(o.when):
                out += _check_ref(ref, flow, flows, rel, sid) or _check_kept(ref, flow, flows, rel, sid)
            if o.unsafe_when_afraid is not None and o.unsafe_when_afraid not in UNSAFE_MODES:
                out.append((rel, sid, f"option '{o.id}': unsafe_when_afraid must be one of {', '.join(UNSAFE_MODES)}"))
        whens = [b.when for b in step.blocks] + [o.when for o in opts]
        whens += [r.when for r in step.next] if isinstance(step.next, list) else []
        for when in whens:
            for name, ref in condition_cues(when):
                target = flows[ref.split(".", 1)[0]].steps.get(ref.split(".", 1)[1]) if "." in ref and \
                    ref.split(".", 1)[0] in flows else flow.steps.get(ref)
                if target is None or target.kind not in ("reflection", "input"):
                    out.append((rel, sid, f"cue '{name}' needs `step:` naming a step where the person writes"))
                if name not in text.cues:
                    out.append((trel, sid, f"cue '{name}' is not listed under this flow's `cues:`"))
        has_way = bool(targets or flow_targets or leaves or step.options_from or step.end)
        if step.kind != "summary" and not has_way:
            out.append((rel, sid, "no way out: give it a `next`, options that lead somewhere, or `end: true`"))
        if step.kind == "summary" and not (opts or step.offers or step.options_from):
            out.append((rel, sid, "a summary needs a next step: at least one option or `offers:` besides the way-outs"))
        # texts
        st = text.steps.get(sid)
        if st is None:
            out.append((trel, sid, "no text for this step"))
            continue
        for o in opts:
            if o.id not in st.options:
                out.append((trel, sid, f"no label for option '{o.id}'"))
        for b in step.blocks:
            if b.key not in st.blocks:
                out.append((trel, sid, f"no text for block '{b.key}'"))
        tagged = {o.id for o in opts if o.unsafe_when_afraid}
        for oid in sorted(tagged):
            if not (st.caveats.get(oid) or "").strip():
                out.append((trel, sid, f"option '{oid}' is unsafe_when_afraid: it needs its text under caveats:"))
        for oid in st.caveats:
            if oid not in tagged:
                out.append((trel, sid, f"caveat for '{oid}', which is not an option tagged unsafe_when_afraid"))
        for piece in [st.text, *st.blocks.values(), *st.caveats.values()]:
            if len(piece) > max_chars:
                out.append((trel, sid, f"message is {len(piece)} characters; keep it under {max_chars}"))
            out += _check_placeholders(piece, flow, flows, trel, sid, free)
        shown = [(key, label, _shown_length(label) + (TICK_PREFIX if step.kind == "checklist" else 0))
                 for key, label in st.options.items()]
        shown += [(key, label, _shown_length(label) + SCALE_PREFIX) for key, label in (("low", st.low), ("high", st.high))
                  if label]
        if st.continue_:
            shown.append(("continue", st.continue_, _shown_length(st.continue_)))
        for key, label, length in shown:
            if length > MAX_LABEL:
                out.append((trel, sid, _long_label(key, label, length)))
        for fid in step.offers:
            if fid in flows and fid not in st.options and len(flows[fid].title) > MAX_LABEL:
                out.append((trel, sid, f"offer '{fid}' shows its flow's title, which is over {MAX_LABEL} "
                            "characters: give it a shorter label under options"))
        if step.kind == "summary":
            length = summary_length(step, st)
            if length > max_chars:
                out.append((trel, sid, f"summary is up to {length} characters with the blocks that can show together "
                            f"(each placeholder counted as {PLACEHOLDER_CHARS}); keep it to {max_chars}"))
        if step.kind == "checklist" and common is not None and not _names(st.text, common.options.get("done", "")):
            out.append((trel, sid, "a checklist's text must say what ticking means and how to finish, naming the "
                        f"'{common.options.get('done', '')}' button (e.g. \"Pick any that fit, then tap Done.\")"))
    for sid in text.steps:
        if sid not in flow.steps:
            out.append((trel, sid, "text for a step that does not exist"))
    for rule in spec.before:
        if not rule.flow or rule.flow not in flows or rule.flow == spec.id or flows[rule.flow].is_menu:
            out.append((rel, "-", f"before: hands over to '{rule.flow}', which is not another system flow"))
        for ref in _condition_refs(rule.when):
            out += _check_ref(ref, flow, flows, rel, "-")
    if flow.is_menu and len(text.title) > MAX_LABEL:
        out.append((trel, "-", f"title '{text.title}' is a menu button: keep it to {MAX_LABEL} characters"))
    for topic, when in spec.offered_when.items():
        if topic not in flows:
            out.append((rel, "-", f"offered_when names unknown flow '{topic}'"))
            continue
        for ref in _condition_refs(when):
            if "." not in ref:
                ref = f"{topic}.{ref}"
            out += _check_ref(ref, flow, flows, rel, "-") or _check_kept(ref, flow, flows, rel, "-")
    if spec.start in flow.steps:
        out += _reachability(flow, rel)
    return out


def _shown_length(label: str) -> int:
    """A label's length as shown: a placeholder (e.g. `{minutes}`) counts as two characters."""
    try:
        parts = list(string.Formatter().parse(label))
    except ValueError:
        return len(label)
    return sum(len(literal) + (2 if name is not None else 0) for literal, name, _, _ in parts)


def _long_label(key: str, label: str, length: int) -> str:
    return f"button label '{key}' is {length} characters as shown; keep it to {MAX_LABEL}: \"{label}\""


def _names(text: str, label: str) -> bool:
    """The text names the button `label` as a word (case-insensitive)."""
    return bool(label) and re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text, re.IGNORECASE) is not None


def _literal_length(text: str) -> int:
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return len(text)
    return sum(len(literal) + (PLACEHOLDER_CHARS if name is not None else 0) for literal, name, _, _ in parts)


def _answer_ranges(when: Condition | list[Condition] | None) -> list[tuple[str, tuple[Any, ...]]]:
    """What a block needs, one (key, need) per test it makes: a profile key's values, or one step's answer
    (`is:`, `answered:`, `has:`, `lacks:`, a count range, a number range). A block shows only when all hold, so two blocks
    with needs on one key that cannot both hold never show together. `any:` is not looked into."""
    conds = when if isinstance(when, list) else [when] if when is not None else []
    out: list[tuple[str, tuple[Any, ...]]] = []
    for cond in conds:
        if cond.cue or cond.not_cue:  # a cue and its `not_cue` never show together
            out.append((f"cue:{cond.step}:{cond.cue or cond.not_cue}", ("set", bool(cond.cue))))
        for spec, negated in ((cond.profile, False), (cond.not_profile, True)):
            if spec:
                key, sep, values = spec.partition("=")
                if sep:
                    out.append((f"profile:{key.strip()}", ("in", frozenset(v.strip() for v in values.split("|")),
                                                           negated)))
                else:
                    out.append((f"profile:{key.strip()}", ("set", not negated)))
        if not cond.step:
            continue
        if cond.is_ is not None:
            out.append((cond.step, ("is", str(cond.is_))))
        if cond.answered is not None:
            out.append((cond.step, ("answered", cond.answered)))
        if cond.has is not None:
            out.append((cond.step, ("has", cond.has)))
        if cond.lacks is not None:
            out.append((cond.step, ("lacks", cond.lacks)))
        if cond.count_at_least is not None or cond.count_at_most is not None:
            out.append((cond.step, ("count", cond.count_at_least or 0, cond.count_at_most)))
        if cond.at_least is not None or cond.at_most is not None:
            out.append((cond.step, ("num", cond.at_least, cond.at_most)))
    return out


def _exclusive(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Two needs on one key that cannot both hold."""
    if a[0] == b[0] == "in":
        (values1, negated1), (values2, negated2) = a[1:], b[1:]
        if negated1 == negated2:
            return not negated1 and not values1 & values2
        return (values1 if not negated1 else values2) <= (values2 if negated2 else values1)
    if {a[0], b[0]} == {"in", "set"}:  # `KEY=A` needs the key set; `not_profile: KEY` needs it unset
        return (a if a[0] == "set" else b)[1] is False and not (a if a[0] == "in" else b)[2]
    if a[0] == b[0] and a[0] in ("set", "is", "answered"):
        return a[1] != b[1]
    if {a[0], b[0]} == {"is", "answered"} or {a[0], b[0]} == {"has", "answered"}:
        return (a if a[0] == "answered" else b)[1] is False
    if {a[0], b[0]} == {"has", "lacks"}:
        return a[1] == b[1]
    if {a[0], b[0]} == {"has", "count"}:
        high = (a if a[0] == "count" else b)[2]
        return high is not None and high < 1
    if {a[0], b[0]} == {"count", "answered"}:
        count, answered = (a, b) if a[0] == "count" else (b, a)
        return answered[1] is False and count[1] >= 1
    if a[0] == b[0] and a[0] in ("count", "num"):
        (lo1, hi1), (lo2, hi2) = a[1:], b[1:]
        return (hi1 is not None and lo2 is not None and hi1 < lo2) or (hi2 is not None and lo1 is not None
                                                                       and hi2 < lo1)
    return False


def _never_together(a: list[tuple[str, tuple[Any, ...]]], b: list[tuple[str, tuple[Any, ...]]]) -> bool:
    return any(ka == kb and _exclusive(na, nb) for ka, na in a for kb, nb in b)


def summary_length(step: StepSpec, st: StepText) -> int:
    """The longest a summary's message can be as written: its text and the blocks that can show together."""
    always = [_literal_length(st.text)]
    blocks: list[tuple[list[tuple[str, tuple[Any, ...]]], int]] = []
    for block in step.blocks:
        if block.key not in st.blocks:
            continue
        size = _literal_length(st.blocks[block.key])
        needs = _answer_ranges(block.when)
        if needs:
            blocks.append((needs, size + 2))
        else:
            always.append(size)
    blocks.sort(key=lambda b: -b[1])
    rest = [sum(size for _, size in blocks[i:]) for i in range(len(blocks) + 1)]
    best = 0

    def heaviest(i: int, chosen: list[int], total: int) -> None:  # the heaviest set of blocks that can all show
        nonlocal best
        if total + rest[i] <= best:
            return
        if i == len(blocks):
            best = total
            return
        if all(not _never_together(blocks[i][0], blocks[j][0]) for j in chosen):
            heaviest(i + 1, [*chosen, i], total + blocks[i][1])
        heaviest(i + 1, chosen, total)

    heaviest(0, [], 0)
    return sum(always) + 2 * (len(always) - 1) + best


def _check_ref(ref: str, flow: Flow, flows: dict[str, Flow], rel: str, sid: str) -> list[tuple[str, str, str]]:
    fid, step = ref.split(".", 1) if "." in ref else (flow.id, ref)
    if fid not in flows or step not in flows[fid].steps:
        return [(rel, sid, f"condition refers to unknown step '{ref}'")]
    return []


def _check_kept(ref: str, flow: Flow, flows: dict[str, Flow], rel: str, sid: str) -> list[tuple[str, str, str]]:
    """A condition on a step whose answer is not kept (`keep: false`) could never hold."""
    fid, step = ref.split(".", 1) if "." in ref else (flow.id, ref)
    if not flows[fid].steps[step].keep:
        return [(rel, sid, f"condition refers to '{ref}', whose answer is not kept (keep: false)")]
    return []


def _check_placeholders(text: str, flow: Flow, flows: dict[str, Flow], trel: str, sid: str,
                        free: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Bad syntax is a problem; a name that is neither a setting nor a step goes to `free` for the features."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        return [(trel, sid, f"bad placeholder: {exc}")]
    for name in fields:
        if name in CONTEXT_NAMES:
            continue
        if _check_ref(name, flow, flows, trel, sid):
            free.append((trel, sid, name))
    return []


BUILTIN_ACTIONS = frozenset({"agree"})  # the engine's own
BUILTIN_COMMANDS = frozenset({"start", "menu", "flow", "restart"})
BUILTIN_SOURCES = frozenset({"menu"})


def check_names(content: Content, *, actions: Iterable[str] = (), validators: Iterable[str] = (),
                renderers: Iterable[str] = (), option_sources: Iterable[str] = (),
                commands: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """What content names that nothing provides: an `action:`, `validate:`, `options_from:`, placeholder or
    command no feature (and not the engine) knows. One (file, step, problem) each."""
    actions = BUILTIN_ACTIONS | set(actions)
    validators, renderers = set(validators), set(renderers)
    sources = BUILTIN_SOURCES | set(option_sources)
    out: list[tuple[str, str, str]] = []
    for flow in content.flows.values():
        rel = f"flows/{flow.id}.yaml"
        for sid, step in flow.steps.items():
            named = [step.action] + [o.action for o in step.option_specs()]
            for action in named:
                if action and action not in actions:
                    out.append((rel, sid, f"action '{action}' is not provided by any feature"))
            if step.validate_as and step.validate_as not in validators:
                out.append((rel, sid, f"validate '{step.validate_as}' is not provided by any feature"))
            if step.options_from and step.options_from not in sources:
                out.append((rel, sid, f"options_from '{step.options_from}' is not provided by any feature"))
    for trel, sid, name in content.free_names:
        if name not in renderers:
            out.append((trel, sid, f"placeholder '{{{name}}}' is not a setting, a step or provided by a feature"))
    known = BUILTIN_COMMANDS | set(content.flows) | set(commands) | actions
    for name in content.common.commands:
        if name not in known:
            out.append((f"{content.lang}/common.yaml", "-", f"command '/{name}' is not a flow, built in, "
                        "or provided by a feature"))
    return out


def _reachability(flow: Flow, rel: str) -> list[tuple[str, str, str]]:
    seen = {flow.spec.start}
    todo = [flow.spec.start]
    while todo:
        step = flow.steps.get(todo.pop())
        if step is None:
            continue
        for t in step_targets(step)[0]:
            if t not in seen and t in flow.steps:
                seen.add(t)
                todo.append(t)
    return [(rel, sid, "unreachable from the start") for sid in flow.steps if sid not in seen]


# ---- several languages: English is the reference and the fallback -----------------------------------------

REFERENCE_LANG = "en"
LANG_RE = re.compile(r"^[a-z]{2,3}(?:_[a-z0-9]{2,8})?$")


def content_languages(root: str | Path) -> list[str]:
    """The language folders under `root` (a folder named like a language code holding a common.yaml), English
    first. Adding a language is adding its folder."""
    root = Path(root)
    found = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and LANG_RE.match(p.name) and (p / "common.yaml").is_file())
    return [REFERENCE_LANG, *(lang for lang in found if lang != REFERENCE_LANG)]


def load_languages(root: str | Path, max_chars: int = DEFAULT_MAX_CHARS) -> dict[str, Content]:
    """Every language's content, English first. Each language is validated on its own (label lengths and the
    like apply to each) and then against English: a text English has and it lacks, one it has that English does
    not, or different `{placeholders}`, is a problem naming the file and key. Raises ContentError with all."""
    problems: list[tuple[str, str, str]] = []
    out: dict[str, Content] = {}
    for lang in content_languages(root):
        try:
            out[lang] = load_content(root, lang, max_chars)
        except ContentError as exc:
            problems += exc.problems
    reference = out.get(REFERENCE_LANG)
    if reference is not None:
        for lang, content in out.items():
            if lang != REFERENCE_LANG:
                problems += compare_texts(reference, content)
    if problems:
        raise ContentError(problems)
    return out


def _placeholders(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return set()  # bad syntax is reported by the language's own check


def _flat_flow(text: FlowText) -> dict[str, str]:
    out = {"title": text.title, "description": text.description}
    for name, cue in text.cues.items():  # each language lists its own words; English's names must all be there
        out[f"cues.{name}"] = " | ".join([*cue.match, *cue.unless])
    for sid, st in text.steps.items():
        out[f"steps.{sid}.text"] = st.text
        out |= {f"steps.{sid}.options.{k}": v for k, v in st.options.items()}
        out |= {f"steps.{sid}.blocks.{k}": v for k, v in st.blocks.items()}
        for key, value in (("continue", st.continue_), ("low", st.low), ("high", st.high)):
            out[f"steps.{sid}.{key}"] = value or ""
    return {k: v for k, v in out.items() if v}


def _flat_common(common: CommonText) -> dict[str, str]:
    out = {f"options.{k}": v for k, v in common.options.items()}
    out |= {f"notes.{k}": v for k, v in common.notes.items()}
    out |= {f"commands.{k}": v for k, v in common.commands.items()}
    return out


def _compare(ref: dict[str, str], other: dict[str, str], rel: str) -> list[tuple[str, str, str]]:
    out = [(rel, key, "missing: English has this text") for key in ref if key not in other]
    out += [(rel, key, "not in English: remove it, or add it to English first") for key in other if key not in ref]
    for key in ref.keys() & other.keys():
        theirs, ours = _placeholders(other[key]), _placeholders(ref[key])
        if theirs != ours:
            out.append((rel, key, f"placeholders {sorted(theirs)} differ from English's {sorted(ours)}"))
    return sorted(out)


def compare_texts(reference: Content, other: Content) -> list[tuple[str, str, str]]:
    """What `other` lacks, adds, or words with other placeholders than `reference` (English), file by file."""
    lang = other.lang
    out = _compare(_flat_common(reference.common), _flat_common(other.common), f"{lang}/common.yaml")
    if set(reference.common.unlisted) != set(other.common.unlisted):
        out.append((f"{lang}/common.yaml", "commands", "hidden commands differ from English's"))
    for fid, flow in reference.flows.items():
        theirs = other.flows.get(fid)
        if theirs is not None:
            out += _compare(_flat_flow(flow.text), _flat_flow(theirs.text), f"{lang}/{fid}.yaml")
    if not other.common.language:
        out.append((f"{lang}/common.yaml", "language", "missing: the language's name in itself, for /language"))
    return out
