"""After every committed turn: ratings and follow-up answers recorded, the schedule rewritten when a setting
changed, and check-ins or a follow-up offered under a finished topic's summary."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.feature import TurnContext, before_wayouts
from bot.features.checkins.plan import FOLLOWUP_RATINGS, PROFILE_KEYS, quiet_of, apply_plan, followup_topics
from flows.content import SAFETY_SIGNAL, Flow
from flows.engine import answers_hold
from flows.model import Context, Option

log = logging.getLogger("fulcrum.checkins")


# ---- after every committed turn ------------------------------------------------------------------------------

def record_answers(actx: TurnContext) -> None:
    """A check-in rating or a follow-up answer becomes a `checkins` row, in the turn's transaction."""
    result, store, now = actx.result, actx.store, actx.now
    rating = result.answers.get(("checkin", "rating"))
    if isinstance(rating, int):
        store.add_checkin(actx.pid, now, rating, "checkin", "checkin")
        store.bump("checkin_answered", now, total=float(rating))
    how = result.answers.get(("followup", "how"))
    if isinstance(how, str):
        topic = result.conversation.arg or actx.person.conversation.arg or ""
        store.add_checkin(actx.pid, now, FOLLOWUP_RATINGS.get(how), "followup", topic or None)
        store.bump("followup_answered", now, flow=topic)


def update_schedule(actx: TurnContext) -> None:
    """A turn that changed a check-in setting rewrites the schedule row."""
    result = actx.result
    if not (any(k in PROFILE_KEYS for k in result.profile) or ("checkins", "quiet") in result.answers):
        return
    profile = {**actx.person.profile, **result.profile}
    apply_plan(actx.env, actx.pid, profile, quiet_of(actx.person, result), actx.now)


def _planned(actx: TurnContext, topic: str) -> bool:
    """The person's answers in this topic show a plan to act (followup.yaml `offered_when`), this turn's included."""
    when = actx.env.content.flows["followup"].spec.offered_when.get(topic)
    if when is None:
        return True
    answers = {flow: dict(steps) for flow, steps in actx.person.answers.items()}
    for (flow, step), value in actx.result.answers.items():
        answers.setdefault(flow, {})[step] = value
    person = replace(actx.person, answers=answers)
    return answers_hold(when, person, topic, Context(now=actx.now))


def offer_on_summary(actx: TurnContext) -> None:
    """The first finished topic offers check-ins; boundaries and communication offer a follow-up.

    Added as a note and a command option under the summary's own options (before the way-outs), so the
    summary's option numbers stay as content wrote them.
    """
    env, outcome, result = actx.env, actx.outcome, actx.result
    content = env.content
    if not outcome.replies:
        return
    last = outcome.replies[-1]
    flow = content.flows.get(last.flow or "")
    if not last.is_step or last.kind != "summary" or flow is None or not flow.is_menu:
        return
    notes, labels = content.common.notes, content.common.options
    texts: list[str] = []
    extra: list[Option] = []
    profile = {**actx.person.profile, **result.profile}
    done = {f for f in actx.person.completed | {e.flow for e in result.events if e.name == "flow_completed"}
            if f in content.flows and content.flows[f].is_menu}
    if "checkins" not in profile and done <= {flow.id}:
        texts.append(notes["checkins_offer"])
        extra.append(Option("/checkins", labels["checkins_offer"]))
    if flow.id in followup_topics(env) and _planned(actx, flow.id) and not holds_back(flow, actx, profile):
        if not any(f["flow"] == flow.id for f in env.store.followups(actx.pid, pending=True)):
            texts.append(notes["followup_offer"])
            extra.append(Option(f"/ask_later {flow.id}", labels["followup_offer"]))
    if not extra:
        return
    outcome.replies[-1] = replace(before_wayouts(last, *extra), text="\n\n".join([last.text, *texts]))


def holds_back(flow: Flow, actx: TurnContext, profile: dict) -> bool:
    """No "ask me in a few days how it went" while the safety signal is set, or after an answer content marks
    `no_followup` ("I'm afraid of how they'd react", "Not yet, it's just for me"): asking how a talk or a boundary
    went presumes the person raised it with someone they may be afraid of."""
    if profile.get(SAFETY_SIGNAL):
        return True
    answers = {**actx.person.answers.get(flow.id, {}),
               **{step: value for (fid, step), value in actx.result.answers.items() if fid == flow.id}}
    for step in flow.steps.values():
        chosen = answers.get(step.id)
        chosen = chosen if isinstance(chosen, list) else [chosen]
        if any(o.no_followup and o.id in chosen for o in step.option_specs()):
            return True
    return False
