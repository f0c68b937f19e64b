"""The flow engine on its own, as the engine tests drive it: one Engine on the real content, and a turn that
applies the engine's Result to the Person the way the service does (conversation, answers, agreement,
finished flows), so tests never keep their own copy of that bookkeeping."""

from __future__ import annotations

from datetime import datetime, timezone

from flows.engine import Engine
from flows.model import Context, Input, Person

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
COUNTRIES = [("gb", "United Kingdom"), ("ie", "Ireland")]


def make_engine(content) -> Engine:
    """The real content, with the help directory rendered as "(resources)" and the emergency line as "(emergency)", two
    countries and one language to pick from."""
    return Engine(content, renderers={"resources": lambda person, ctx: "(resources)",
                                       "emergency": lambda person, ctx: "(emergency)"},
                  option_sources={"countries": lambda person: list(COUNTRIES),
                                  "languages": lambda person: [("en", "English")]})


def apply_result(person: Person, res) -> None:
    """What the store keeps of a turn: where they are now, their answers, agreement and finished flows."""
    person.conversation = res.conversation
    for (flow, step), value in res.answers.items():
        person.answers.setdefault(flow, {})[step] = value
    if res.agreed is not None:
        person.agreed = res.agreed
    done = {e.flow for e in res.events if e.name == "flow_completed"}
    if done:
        person.completed = frozenset({*person.completed, *done})


def turn(engine: Engine, person: Person, inp: Input, ctx: Context | None = None):
    """One input through the engine, applied to `person`; returns the engine's Result."""
    res = engine.handle(person, inp, ctx or Context(now=NOW))
    apply_result(person, res)
    return res
