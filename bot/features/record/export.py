"""/record_export: the person picks entries (all, between two dates, or one by one), a title and maybe a password,
reads where the file will stay, and gets a PDF; "I've saved it" removes it from the chat.

The choice lives in the profile until the PDF is made (`record_x_ids`, `record_x_since`, `record_x_page`,
`record_x_title`), then is cleared. A password is never stored: it is taken out of the turn's answers into the
function that makes the PDF, and the message it was typed in leaves the chat. The PDF is made by the adapter
off the event loop (`Reply.document_later`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Any

from bot.core.feature import TurnContext
from bot.features.record.common import (TEXT_FIELDS, before_step, bounce, entries, number, page_of, profile, put,
                                        show_day, show_instant, take_answer, slot_entry, entry_label)
from bot.features.record.dates import day_of, resolve
from bot.features.record.pdf import Block, Sheet, make_pdf
from flows.model import LaterDocument, Option, Reply

FLOW = "record_export"
LABEL = "record"  # the console prints `record: PATH`


def file_name(now: datetime, zone: Any) -> str:
    """Neutral: nothing in a download list or a share sheet says what the file is."""
    return f"notes-{now.astimezone(zone).date().isoformat()}.pdf"


def _chosen(ctx: TurnContext) -> list[int]:
    return [i for i in profile(ctx).get("record_x_ids") or [] if isinstance(i, int)]


def record_x_begin(ctx: TurnContext) -> None:
    put(ctx, record_x_ids=None, record_x_since=None, record_x_page=0, record_x_title=None)
    ctx.result.conversation.history = []


def record_x_all(ctx: TurnContext) -> None:
    put(ctx, record_x_ids=[e["id"] for e in entries(ctx)])


def record_x_take(ctx: TurnContext) -> None:
    """Arriving at the next step: the dates, the picks or the title given at the one before."""
    zone = ctx.store.zone_of(ctx.pid)
    step = ctx.result.conversation.step
    since = take_answer(ctx, FLOW, "since")
    if since is not None:
        day = resolve(str(since), ctx.now, zone)
        if day is None:
            bounce(ctx, "since", "record_future_date")
            return
        put(ctx, record_x_since=day[:10])
    until = take_answer(ctx, FLOW, "until")
    if until is not None:
        last = day_of(resolve(str(until), ctx.now, zone) or ctx.now.astimezone(zone).date().isoformat())
        first = day_of(str(profile(ctx).get("record_x_since") or "")) or date.min
        first, last = min(first, last or first), max(first, last or first)  # either order is fine
        ids = [e["id"] for e in entries(ctx) if (d := day_of(str(e.get("happened") or ""))) and first <= d <= last]
        put(ctx, record_x_ids=ids)
        if not ids:
            bounce(ctx, "which", "record_x_empty")
            return
    if step == "title" and not _chosen(ctx):
        bounce(ctx, "choose", "record_x_none_picked")
        return
    title = take_answer(ctx, FLOW, "title")
    if title is not None:
        put(ctx, record_x_title=str(title)[:200])
        ctx.outcome.delete_incoming = True


def _page_ids(ctx: TurnContext) -> list[dict[str, Any]]:
    shown, _, _ = page_of(entries(ctx), number(ctx, "record_x_page"))
    return shown


def record_x_toggle(ctx: TurnContext) -> None:
    chosen = ctx.inp.value if ctx.inp is not None else ""
    shown = _page_ids(ctx)
    index = int(chosen[1:]) - 1 if chosen[1:].isdigit() else -1
    if not 0 <= index < len(shown):
        return
    rid, ids = shown[index]["id"], _chosen(ctx)
    put(ctx, record_x_ids=[i for i in ids if i != rid] if rid in ids else [*ids, rid])


def record_x_older(ctx: TurnContext) -> None:
    put(ctx, record_x_page=number(ctx, "record_x_page") + 1)


def record_x_newer(ctx: TurnContext) -> None:
    put(ctx, record_x_page=max(0, number(ctx, "record_x_page") - 1))


def sheet(ctx: TurnContext, chosen: list[dict[str, Any]], title: str | None, password: str | None) -> Sheet:
    """What the PDF says, all in the person's words and content's, oldest happening first."""
    content, zone = ctx.content, ctx.store.zone_of(ctx.pid)
    blocks = []
    for e in sorted(chosen, key=lambda e: (str(e.get("happened") or ""), e["created_at"], e["id"])):
        dates = content.note("record_pdf_dates", happened=show_day(content, e.get("happened")),
                             written=show_instant(content, e["created_at"], zone))
        if e.get("edited_at"):
            dates += content.note("record_pdf_edited", date=show_instant(content, e["edited_at"], zone))
        fields = tuple((content.note(f"record_field_{f}"), str(e[f])) for f in TEXT_FIELDS if e.get(f))
        blocks.append(Block(content.note("record_heading", number=e["number"]), dates, fields))
    today = ctx.now.astimezone(zone).date().isoformat()
    return Sheet(title=(title or "").strip() or content.note("record_pdf_title"),
                 intro=content.note("record_pdf_intro"), made=content.note("record_pdf_made", date=show_day(content, today)),
                 page=content.note("record_pdf_page", page="{page}", pages="{pages}"), blocks=tuple(blocks),
                 password=password or None)


def record_x_make(ctx: TurnContext) -> None:
    """Arriving at `sent`: the PDF of the chosen entries is attached to the step, to be made after the commit."""
    password = take_answer(ctx, FLOW, "password")
    if password is not None:
        ctx.outcome.delete_incoming = True  # the password leaves the chat; it is kept nowhere
    wanted = set(_chosen(ctx))
    chosen = [e for e in entries(ctx) if e["id"] in wanted]
    title = profile(ctx).get("record_x_title")
    put(ctx, record_x_ids=None, record_x_since=None, record_x_title=None, record_x_page=0)
    if not chosen:
        bounce(ctx, "which", "record_x_none")
        return
    later = LaterDocument(file_name(ctx.now, ctx.store.zone_of(ctx.pid)),
                          partial(make_pdf, sheet(ctx, chosen, title, str(password) if password else None)), LABEL)
    ctx.outcome.replies = [replace(r, document_later=later) if r.is_step and r.flow == FLOW and r.step == "sent"
                           else r for r in ctx.outcome.replies]


def record_x_saved(ctx: TurnContext) -> None:
    ctx.outcome.delete_pressed = True  # the PDF's message (its button was pressed) leaves the chat


def draw_export(ctx: TurnContext, reply: Reply) -> list[Reply]:
    content = ctx.content
    if reply.step == "which" and not entries(ctx):
        return [replace(reply, text=content.note("record_x_none"),
                        options=tuple(o for o in reply.options if o.id in ("resume", "menu")))]
    if reply.step == "choose":
        items = entries(ctx)
        shown, page, pages = page_of(items, number(ctx, "record_x_page"))
        if page != number(ctx, "record_x_page"):
            put(ctx, record_x_page=page)
        picked = set(_chosen(ctx))
        options: list[Option] = []
        for o in reply.options:
            is_slot, e = slot_entry(o.id, shown)
            if is_slot:
                if e is None:
                    continue
                key = "record_x_picked" if e["id"] in picked else "record_pick_label"
                o = Option(o.id, entry_label(content, e, key), ticked=e["id"] in picked)
            elif o.id == "newer" and page == 0 or o.id == "older" and page >= pages - 1:
                continue
            options.append(o)
        lines = [reply.text, content.note("record_x_count", count=len(picked))]
        if pages > 1:
            lines.append(content.note("record_page_of", page=page + 1, pages=pages))
        return [replace(reply, text="\n\n".join(lines), options=tuple(options))]
    if reply.step == "warn":
        return [replace(reply, text="\n\n".join([content.note("record_x_count", count=len(_chosen(ctx))), reply.text]))]
    return [reply]


__all__ = ["draw_export", "file_name", "record_x_all", "record_x_begin", "record_x_make", "record_x_newer",
           "record_x_older", "record_x_saved", "record_x_take", "record_x_toggle", "sheet", "before_step"]
