"""What the record's flows share: the person's entries numbered and ordered, dates in words, and the profile.

An entry is a dict from `Store.records`: `id`, `created_at` (when it was written down, UTC ISO, plain in the
table) and the sealed fields `happened` (the person's local `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`), `what`,
`place`, `who`, `impact`, `evidence` and, once changed, `edited_at` (UTC ISO). An entry's number is its place in
the order entries were written down (No. 1 is the first); lists show the most recent happenings first.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot.core.clock import from_iso
from bot.core.feature import TurnContext
from flows.content import WAYOUTS, Content
from flows.model import Option, Reply

TEXT_FIELDS = ("what", "place", "who", "impact", "evidence")
FIELDS = ("happened", *TEXT_FIELDS)
FLOWS = ("record", "record_entry", "record_export")
PAGE = 5


def profile(ctx: TurnContext) -> dict[str, Any]:
    return {**ctx.person.profile, **ctx.result.profile}


def put(ctx: TurnContext, **values: Any) -> None:
    ctx.result.profile.update(values)


def number(ctx: TurnContext, key: str, default: int = 0) -> int:
    try:
        return max(0, int(profile(ctx).get(key) or default))
    except (TypeError, ValueError):
        return default


def entries(ctx: TurnContext) -> list[dict[str, Any]]:
    """Every entry, numbered (No. 1 written first), most recent happening first."""
    rows = ctx.store.records(ctx.pid)
    for n, entry in enumerate(rows, 1):
        entry["number"] = n
    return sorted(rows, key=lambda e: (str(e.get("happened") or ""), e["created_at"], e["id"]), reverse=True)


def page_of(items: list[Any], page: int) -> tuple[list[Any], int, int]:
    """(the items on `page`, the page actually shown, how many pages)."""
    pages = max(1, -(-len(items) // PAGE))
    page = min(page, pages - 1)
    return items[page * PAGE:(page + 1) * PAGE], page, pages


def entry(ctx: TurnContext, key: str = "record_pick") -> dict[str, Any] | None:
    chosen = profile(ctx).get(key)
    if not isinstance(chosen, int):
        return None
    return next((e for e in entries(ctx) if e["id"] == chosen), None)


def show_day(content: Content, stored: str | None) -> str:
    """'28 Nov 2026' or '28 Nov 2026, 18:30' from the stored local form."""
    if not stored:
        return "?"
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return stored
    months = content.note("months").split()
    day = content.note("record_date", day=moment.day, month=months[moment.month - 1], year=moment.year)
    return content.note("record_date_time", date=day, time=stored[11:16]) if len(stored) > 10 else day


def slot_entry(option_id: str, shown: list[dict[str, Any]]) -> tuple[bool, dict[str, Any] | None]:
    """An entry button of a page (content's e1…e5): (True, its entry), or (True, None) past the page's end;
    (False, None) for any other option."""
    if not (option_id.startswith("e") and option_id[1:].isdigit()):
        return False, None
    n = int(option_id[1:])
    return True, shown[n - 1] if 0 < n <= len(shown) else None


def entry_label(content: Content, e: dict[str, Any], key: str = "record_pick_label") -> str:
    """'No. 3 · 28 Nov 2026': an entry on a button, by number and the day it happened, never its words."""
    return content.note(key, number=e["number"], date=show_day(content, str(e.get("happened") or "")[:10] or None))


def show_instant(content: Content, stamp: str | None, zone: tzinfo) -> str:
    """A stored UTC instant (written down, edited) in the person's time, to the minute."""
    moment = from_iso(stamp)
    if moment is None:
        return "?"
    return show_day(content, moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"))


def before_step(ctx: TurnContext, note: Reply) -> None:
    """Put a note just before the step reply, so the step (with its options) stays last."""
    replies = ctx.outcome.replies
    at = next((i for i in range(len(replies) - 1, -1, -1) if replies[i].is_step), len(replies))
    replies.insert(at, note)


def step_reply(ctx: TurnContext, step_id: str, note: str | None = None) -> Reply:
    """A step of the person's current flow drawn as the engine would (its options, then way-outs), for an
    action that sends the person back to a step (a date still to come, an empty choice)."""
    conv = ctx.result.conversation
    flow = ctx.content.flows[conv.flow]
    step = flow.steps[step_id]
    text = flow.text.steps[step_id]
    options = [Option(o.id, text.options[o.id]) for o in step.option_specs()]
    wayouts = step.wayouts if step.wayouts is not None else flow.spec.default_wayouts()
    common = ctx.content.common.options
    for w in ("back", "resume", "menu"):
        if w in wayouts and (w != "back" or conv.history) and (w != "resume" or conv.return_to):
            options.append(Option(w, common[w]))
    body = "\n\n".join(p for p in (note, text.text) if p)
    return Reply(body, options=tuple(options), flow=flow.id, step=step_id, kind=step.kind, turn=conv.turn)


def bounce(ctx: TurnContext, step_id: str, note_key: str) -> None:
    """Send the person back to `step_id` of this flow with a kind note, instead of where the engine moved them."""
    conv = ctx.result.conversation
    if step_id in conv.history:
        conv.history = conv.history[:conv.history.index(step_id)]
    conv.step = step_id
    reply = step_reply(ctx, step_id, ctx.content.note(note_key))
    replies = ctx.outcome.replies
    at = next((i for i in range(len(replies) - 1, -1, -1) if replies[i].is_step), None)
    if at is None:
        replies.append(reply)
    else:
        replies[at] = reply


def take_answer(ctx: TurnContext, flow: str, step: str) -> Any:
    """The answer typed at flow/step this turn, taken out of the turn's answers: a record's words are kept in
    the record only, never among the person's topic answers."""
    return ctx.result.answers.pop((flow, step), None)


def own_options(reply: Reply) -> list[Option]:
    return [o for o in reply.options if o.id not in WAYOUTS]
