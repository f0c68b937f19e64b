"""The safety plan: /plan and "Show my whole plan" show its filled parts as one message that leaves the chat.

The plan is the `safety_plan` flow's answers (content/flows/safety_plan.yaml): encrypted at rest with every other
answer, in /export, erased by /delete. Nothing here stores anything. What it adds:

    /plan            the plan as one message (only the parts that hold something) before the person's step, or,
                     when nothing is filled in yet, the topic from its start
    plan_show        the same message from the topic's own "Show my whole plan" button (an action in content)

The message carries `Reply.expires_after`: the Telegram adapter records when it is due with its message id, and
the privacy feature's `expiring-messages` job deletes it then (one job for everyone, no timer per person). While
the chat is locked the lock holds /plan back like any other command and carries it out after the PIN.
"""

from __future__ import annotations

from typing import Any

from bot.core.feature import CommandContext, Directive, Env, Feature, TurnContext
from flows.content import Content
from flows.model import Reply

PLAN_FLOW = "safety_plan"
SHOWN_MINUTES = 10  # how long the whole plan stays on screen (content/en/common.yaml plan_leaves says so)


def plan_text(content: Content, answers: dict[str, Any]) -> str | None:
    """The filled parts, in the flow's order, each under the note `plan_part_<step>`; None when none is filled."""
    flow = content.flows[PLAN_FLOW]
    notes = content.common.notes
    parts: list[str] = []
    for sid, step in flow.steps.items():
        key = f"plan_part_{sid}"
        value = answers.get(sid)
        if key not in notes or value is None:
            continue
        if isinstance(value, list):
            labels = flow.text.steps[sid].options
            text = "; ".join(labels.get(str(v), str(v)) for v in value)
        else:
            text = str(value).strip()
        if text:
            parts.append(content.note(key, text=text))
    if not parts:
        return None
    return "\n\n".join([content.note("plan_heading"), *parts,
                        content.note("plan_leaves", minutes=SHOWN_MINUTES)])


def parts_filled(content: Content, answers: dict[str, Any]) -> tuple[int, int]:
    """(parts with something in them, parts the plan has): for /progress, a count and never the words."""
    parts = [sid for sid in content.flows[PLAN_FLOW].steps if f"plan_part_{sid}" in content.common.notes]
    return sum(1 for sid in parts if answers.get(sid) not in (None, "", [])), len(parts)


def progress_lines(env: Env, pid: str) -> list[str]:
    """The line /progress shows about the plan, once one part is filled in."""
    filled, total = parts_filled(env.content, env.store.answers(pid).get(PLAN_FLOW, {}))
    return [env.content.note("progress_plan", filled=filled, total=total)] if filled else []


def plan_reply(content: Content, answers: dict[str, Any]) -> Reply | None:
    text = plan_text(content, answers)
    return None if text is None else Reply(text, expires_after=SHOWN_MINUTES * 60)


def plan_command(ctx: CommandContext) -> Directive:
    """/plan: the plan as one message, or the topic when there is nothing in it yet."""
    text = plan_text(ctx.env.content, ctx.person.answers.get(PLAN_FLOW, {}))
    if text is None:
        return Directive(open_flow=PLAN_FLOW)
    return Directive(note=text, note_expires=SHOWN_MINUTES * 60)


def plan_show(ctx: TurnContext) -> None:
    """"Show my whole plan" inside the topic: the same message, before the step (which keeps the buttons)."""
    answers = {**ctx.person.answers.get(PLAN_FLOW, {}),
               **{step: v for (flow, step), v in ctx.result.answers.items() if flow == PLAN_FLOW}}
    reply = plan_reply(ctx.content, answers)
    if reply is None:
        return
    replies = ctx.outcome.replies
    at = len(replies) - 1 if replies and replies[-1].is_step else len(replies)
    replies.insert(at, reply)


def feature() -> Feature:
    return Feature("plan", commands={"plan": plan_command}, actions={"plan_show": plan_show})
