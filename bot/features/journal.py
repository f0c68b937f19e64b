"""/journal: a person's reflections and notes, newest first, five a page; /journal TEXT adds a note.

The `journal` flow (content/flows/journal.yaml) has three steps: `page` (Previous, Next, Delete an entry),
`pick` (which entry on this page) and `confirm` (Delete / Keep it). The engine moves between them; the
actions below run inside the turn's transaction, and `draw_journal` (the feature's view of the `journal` flow) fills in
the entries and shows only the options that make sense. Where the person is in their journal lives in the
profile (`journal_page`, and `journal_pick`: the id of the entry they chose to delete), committed with the turn.

Every entry is encrypted (store.add_journal). /journal TEXT is triaged by the service before anything else:
a text that signals danger gets the crisis reply, and the note is still saved (nothing a person writes is lost).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.clock import from_iso, short_date
from bot.core.feature import Feature, TurnContext
from flows.model import Option, Reply

PAGE = 5
TEXT_MAX = 280  # characters of an entry shown in the list (the whole entry is in /export)
LABEL_MAX = 32  # characters of an entry on its delete button
NOTE_FLOW, NOTE_STEP = "journal", "note"


def _profile(ctx: TurnContext) -> dict[str, Any]:
    return {**ctx.person.profile, **ctx.result.profile}


def _page(ctx: TurnContext) -> int:
    try:
        return max(0, int(_profile(ctx).get("journal_page") or 0))
    except (TypeError, ValueError):
        return 0


def _set(ctx: TurnContext, **values: Any) -> None:
    ctx.result.profile.update(values)


def _before_step(ctx: TurnContext, note: Reply) -> None:
    """Put a note just before the step reply, so the step (with its options) stays last."""
    replies = ctx.outcome.replies
    at = next((i for i in range(len(replies) - 1, -1, -1) if replies[i].is_step), len(replies))
    replies.insert(at, note)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _source(ctx: TurnContext, entry: dict[str, Any]) -> str:
    content = ctx.content
    flow = content.flows.get(entry["flow"])
    if entry["flow"] == NOTE_FLOW or flow is None:
        return content.note("journal_note_source")
    return flow.title


def entry_line(ctx: TurnContext, entry: dict[str, Any]) -> str:
    """'28 Nov · Noticing the signs: …' on one line (never starting with '[')."""
    content = ctx.content
    when = short_date(content, from_iso(entry["created_at"]), ctx.store.zone_of(ctx.pid))
    return content.note("journal_line", date=when, source=_source(ctx, entry), text=_one_line(entry["text"], TEXT_MAX))


def _entries(ctx: TurnContext, page: int) -> list[dict[str, Any]]:
    return ctx.store.journal(ctx.pid, offset=page * PAGE, limit=PAGE)


# ---- actions --------------------------------------------------------------------------------------------


def journal_open(ctx: TurnContext) -> None:
    """Arriving at the page: from elsewhere or by /journal, start at the newest; /journal TEXT adds a note."""
    inp = ctx.inp
    command = inp is not None and inp.kind == "command" and inp.value == "journal"
    if command or ctx.person.conversation.flow != "journal":
        _set(ctx, journal_page=0, journal_pick=None)
    ctx.result.conversation.history = []  # page → pick → confirm → page must not pile up
    if command and inp is not None and inp.arg.strip():
        ctx.store.add_journal(ctx.pid, NOTE_FLOW, NOTE_STEP, inp.arg.strip(), ctx.now)
        ctx.outcome.delete_incoming = True  # the note is saved: its words leave the chat after the commit
        _before_step(ctx, Reply(ctx.content.note("journal_saved")))


def journal_older(ctx: TurnContext) -> None:
    _set(ctx, journal_page=_page(ctx) + 1)  # past the end is brought back by draw_journal


def journal_newer(ctx: TurnContext) -> None:
    _set(ctx, journal_page=max(0, _page(ctx) - 1))


def journal_pick(ctx: TurnContext) -> None:
    """Remember which entry (by id, so a note added meanwhile cannot shift it) the person chose."""
    chosen = str(ctx.result.answers.get(("journal", "pick")) or "")
    entries = _entries(ctx, _page(ctx))
    index = int(chosen[1:]) - 1 if chosen[1:].isdigit() else -1
    _set(ctx, journal_pick=entries[index]["id"] if 0 <= index < len(entries) else None)


def journal_delete(ctx: TurnContext) -> None:
    chosen = _profile(ctx).get("journal_pick")
    entry = ctx.store.journal_entry(ctx.pid, chosen) if isinstance(chosen, int) else None
    gone = entry is not None and ctx.store.delete_journal(ctx.pid, chosen)
    if gone:  # deleting means deleting: the answer it came from (and so summaries and /export) goes too
        ctx.store.forget_answer(ctx.pid, entry["flow"], entry["step"], entry["text"])
    _set(ctx, journal_pick=None)
    _before_step(ctx, Reply(ctx.content.note("journal_deleted" if gone else "journal_gone")))


# ---- drawing --------------------------------------------------------------------------------------------


def draw_journal(ctx: TurnContext, reply: Reply) -> list[Reply]:
    content = ctx.content
    total = ctx.store.journal_count(ctx.pid)
    pages = max(1, -(-total // PAGE))
    page = min(_page(ctx), pages - 1)
    if page != _page(ctx):
        _set(ctx, journal_page=page)
    entries = _entries(ctx, page)
    if reply.step == "page":
        lines = [reply.text]
        if not entries:
            lines.append(content.note("journal_empty"))
        else:
            lines.append("\n".join(entry_line(ctx, e) for e in entries))
            if pages > 1:
                lines.append(content.note("journal_page_of", page=page + 1, pages=pages))
        shown = {"newer": page > 0, "older": page < pages - 1, "remove": bool(entries)}
        options = tuple(o for o in reply.options if shown.get(o.id, True))
        return [replace(reply, text="\n\n".join(lines), options=options)]
    if reply.step == "pick":
        options: list[Option] = []
        for o in reply.options:
            if o.id.startswith("e") and o.id[1:].isdigit():
                n = int(o.id[1:])
                if n > len(entries):
                    continue
                e = entries[n - 1]
                when = short_date(content, from_iso(e["created_at"]), ctx.store.zone_of(ctx.pid))
                o = Option(o.id, content.note("journal_pick_label", date=when, text=_one_line(e["text"], LABEL_MAX)))
            options.append(o)
        return [replace(reply, options=tuple(options))]
    if reply.step == "confirm":
        chosen = _profile(ctx).get("journal_pick")
        entry = ctx.store.journal_entry(ctx.pid, chosen) if isinstance(chosen, int) else None
        if entry is None:
            options = tuple(o for o in reply.options if o.id != "delete")
            return [replace(reply, text=content.note("journal_gone"), options=options)]
        return [replace(reply, text="\n\n".join([reply.text, entry_line(ctx, entry)]))]
    return [reply]



def keep_note_through_a_crisis(ctx: TurnContext) -> None:
    """/journal TEXT that opened the crisis flow is saved all the same, like a reflection typed in a crisis."""
    inp = ctx.inp
    if (ctx.outcome.verdict and inp is not None and inp.kind == "command" and inp.value == "journal"
            and inp.arg.strip()):
        ctx.store.add_journal(ctx.pid, NOTE_FLOW, NOTE_STEP, inp.arg.strip(), ctx.now)
        ctx.outcome.delete_incoming = True



def feature() -> Feature:
    return Feature(
        "journal",
        actions={"journal_open": journal_open, "journal_older": journal_older, "journal_newer": journal_newer,
                 "journal_pick": journal_pick, "journal_delete": journal_delete},
        views={"journal": draw_journal},
        after_turn=(keep_note_through_a_crisis,),
    )
