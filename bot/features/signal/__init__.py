"""The safety signal: a person has said they are afraid, feel unsafe, that it is getting worse, or the crisis screen
opened for them. It is one profile key (flows/content.py SAFETY_SIGNAL, encrypted with the profile) that carries
across topics and visits; content reads it (`when: {profile: safety_signal}`, options tagged `unsafe_when_afraid`)
and the check-ins leave out the "ask me how it went" offer while it is set.

Content sets it itself (`set: {safety_signal: WORD}` on an option, a ticked checklist option or a step); this
feature adds what content cannot see:

- an after-turn hook: the crisis screen opened this turn (triage found a crisis, or someone answered the check
  question "I'm not safe"). A check question answered "I'm safe", or an everyday phrase that only reached the
  check tier, never sets it.
- an action, `safety_signal`, for a flow that would rather name an action than a profile key (`action:` on a step
  or an option); it is set with the turn.

The person clears it with "Things have changed" in /about (content/flows/signal.yaml).
"""

from __future__ import annotations

from bot.core.feature import Feature, TurnContext
from flows.content import SAFETY_SIGNAL

CRISIS = "crisis"


def set_by_crisis(ctx: TurnContext) -> None:
    """The crisis flow started this turn: keep the signal (once; an earlier reason is kept)."""
    if not any(e.name == "flow_started" and e.flow == CRISIS for e in ctx.result.events):
        return
    if ctx.person.profile.get(SAFETY_SIGNAL) or ctx.result.profile.get(SAFETY_SIGNAL):
        return
    ctx.store.set_profile(ctx.pid, **{SAFETY_SIGNAL: CRISIS})


def set_by_action(ctx: TurnContext) -> None:
    """`action: safety_signal` in content: kept with this turn's profile changes."""
    if not ctx.person.profile.get(SAFETY_SIGNAL):
        ctx.result.profile[SAFETY_SIGNAL] = "action"


def feature() -> Feature:
    return Feature("signal", actions={"safety_signal": set_by_action}, after_turn=(set_by_crisis,))
