"""/record and the `record_entry` walk: list, open, add, change and delete entries of a person's record.

Where the person is lives in the profile, committed with the turn: `record_page`, `record_pick` (the entry
opened, by id), `record_field` (the part being changed), `record_draft` (the entry the walk is filling in) and
`record_when` (a date chosen before the entry exists). Typed words are taken out of the turn's answers into the
sealed entry and their message leaves the chat after the commit (`Outcome.delete_incoming`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.core.clock import iso
from bot.core.feature import TurnContext
from bot.features.record.common import (FIELDS, TEXT_FIELDS, before_step, bounce, entries, entry, number, own_options,
                                        page_of, profile, put, show_day, show_instant, take_answer,
                                        slot_entry, entry_label)
from bot.features.record.dates import now_local, resolve
from flows.model import Option, Reply

QUICK = "record"  # the command: /record TEXT adds an entry dated now


def _fields(e: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k not in ("id", "created_at", "number")}


def _update(ctx: TurnContext, rid: int, changes: dict[str, Any], *, edited: bool) -> bool:
    current = ctx.store.record(ctx.pid, rid)
    if current is None:
        return False
    fields = {**_fields(current), **changes}
    if edited:
        fields["edited_at"] = iso(ctx.now)
    return ctx.store.update_record(ctx.pid, rid, fields)


def quick_entry(ctx: TurnContext, text: str) -> int:
    """A new entry from /record TEXT: happened now (the person's time), in their words."""
    zone = ctx.store.zone_of(ctx.pid)
    rid = ctx.store.add_record(ctx.pid, {"happened": now_local(ctx.now, zone), "what": text}, ctx.now)
    ctx.outcome.delete_incoming = True  # saved: the words leave the chat after the commit
    return rid


# ---- /record: the list ----------------------------------------------------------------------------------


def record_open(ctx: TurnContext) -> None:
    """Arriving at the list: from elsewhere or by /record, at the newest; /record TEXT adds an entry first."""
    inp = ctx.inp
    command = inp is not None and inp.kind == "command" and inp.value == QUICK
    if command or ctx.person.conversation.flow != "record":
        put(ctx, record_page=0, record_pick=None, record_field=None)
    ctx.result.conversation.history = []  # page → entry → field → edit → entry must not pile up
    if command and inp is not None and inp.arg.strip():
        rid = quick_entry(ctx, inp.arg.strip())
        made = next(e for e in entries(ctx) if e["id"] == rid)
        note = ctx.content.note("record_quick_saved", number=made["number"], date=show_day(ctx.content, made["happened"]))
        before_step(ctx, Reply(note))


def record_older(ctx: TurnContext) -> None:
    put(ctx, record_page=number(ctx, "record_page") + 1)  # past the end is brought back when drawn


def record_newer(ctx: TurnContext) -> None:
    put(ctx, record_page=max(0, number(ctx, "record_page") - 1))


def record_pick(ctx: TurnContext) -> None:
    """Remember the entry opened, by id (an entry added meanwhile cannot shift it)."""
    chosen = ctx.inp.value if ctx.inp is not None else ""
    shown, _, _ = page_of(entries(ctx), number(ctx, "record_page"))
    index = int(chosen[1:]) - 1 if chosen[1:].isdigit() else -1
    put(ctx, record_pick=shown[index]["id"] if 0 <= index < len(shown) else None, record_field=None)


def record_field(ctx: TurnContext) -> None:
    chosen = ctx.inp.value if ctx.inp is not None else ""
    put(ctx, record_field=chosen if chosen in TEXT_FIELDS or chosen == "when" else None)


def record_delete(ctx: TurnContext) -> None:
    chosen = profile(ctx).get("record_pick")
    gone = isinstance(chosen, int) and ctx.store.delete_record(ctx.pid, chosen)
    put(ctx, record_pick=None, record_field=None)
    before_step(ctx, Reply(ctx.content.note("record_deleted" if gone else "record_gone")))


# ---- dates: Today, Yesterday, or typed (in the walk and when changing an entry) ------------------------------


def _set_when(ctx: TurnContext, happened: str) -> None:
    flow = ctx.result.conversation.flow
    if flow == "record":
        chosen = profile(ctx).get("record_pick")
        if isinstance(chosen, int) and _update(ctx, chosen, {"happened": happened}, edited=True):
            before_step(ctx, Reply(ctx.content.note("record_changed")))
        return
    draft = profile(ctx).get("record_draft")
    if isinstance(draft, int) and _update(ctx, draft, {"happened": happened}, edited=False):
        return
    put(ctx, record_when=happened)


def record_today(ctx: TurnContext) -> None:
    _set_when(ctx, ctx.now.astimezone(ctx.store.zone_of(ctx.pid)).date().isoformat())


def record_yesterday(ctx: TurnContext) -> None:
    _set_when(ctx, (ctx.now.astimezone(ctx.store.zone_of(ctx.pid)) - timedelta(days=1)).date().isoformat())


# ---- the walk, and typed changes -------------------------------------------------------------------------


def record_begin(ctx: TurnContext) -> None:
    """A new entry starts: nothing of an earlier walk carries over."""
    put(ctx, record_draft=None, record_when=None, record_append=[])


def record_take(ctx: TurnContext) -> None:
    """Arriving at a step of `record_entry`, or back at an entry after changing it: what was typed goes into
    the entry. A date still to come sends the person back to type it again."""
    flow = ctx.result.conversation.flow
    typed_when = take_answer(ctx, flow, "when_typed")
    if typed_when is not None:
        happened = resolve(str(typed_when), ctx.now, ctx.store.zone_of(ctx.pid))
        if happened is None:
            bounce(ctx, "when_typed", "record_future_date")
            return
        _set_when(ctx, happened)
    if flow == "record":
        edit = take_answer(ctx, flow, "edit")
        field = profile(ctx).get("record_field")
        chosen = profile(ctx).get("record_pick")
        if edit is not None and field in TEXT_FIELDS and isinstance(chosen, int):
            ctx.outcome.delete_incoming = True
            if _update(ctx, chosen, {field: _joined(ctx, field, str(edit), flow)}, edited=True):
                before_step(ctx, Reply(ctx.content.note("record_changed")))
        return
    for field in TEXT_FIELDS:
        text = take_answer(ctx, flow, field)
        if text is not None:
            keep_in_entry(ctx, field, str(text))


def _joined(ctx: TurnContext, field: str, text: str, flow: str) -> str:
    """Words typed again at a step whose first words were kept through a crisis screen are added to them."""
    pending = [f for f in profile(ctx).get("record_append") or [] if isinstance(f, str)]
    if field not in pending:
        return text
    put(ctx, record_append=[f for f in pending if f != field])
    key = "record_draft" if flow == "record_entry" else "record_pick"
    current = entry(ctx, key)
    before = str(current.get(field) or "") if current else ""
    return f"{before}\n\n{text}" if before else text


def keep_in_entry(ctx: TurnContext, field: str, text: str) -> None:
    """One typed answer of the walk into the entry being written (made when the first words arrive)."""
    ctx.outcome.delete_incoming = True
    draft = profile(ctx).get("record_draft")
    if isinstance(draft, int) and _update(ctx, draft, {field: _joined(ctx, field, text, "record_entry")},
                                          edited=False):
        return
    zone = ctx.store.zone_of(ctx.pid)
    happened = profile(ctx).get("record_when") or now_local(ctx.now, zone)
    rid = ctx.store.add_record(ctx.pid, {"happened": happened, field: text}, ctx.now)
    put(ctx, record_draft=rid, record_when=None)


def keep_through_a_crisis(ctx: TurnContext) -> None:
    """Words that opened the crisis screen are kept all the same (nothing a person writes is lost): /record TEXT,
    a step of the walk, or a change. The answers were already written with the turn, so they are taken back out."""
    if not ctx.outcome.verdict:
        return
    inp = ctx.inp
    if inp is not None and inp.kind == "command" and inp.value == QUICK and inp.arg.strip():
        quick_entry(ctx, inp.arg.strip())
        return
    person = ctx.person
    flow = person.conversation.flow
    typed = [(step, value) for (f, step), value in list(ctx.result.answers.items()) if f == flow and f in
             ("record", "record_entry") and isinstance(value, str)]
    for step, value in typed:
        ctx.result.answers.pop((flow, step), None)
        ctx.store.forget_answer(ctx.pid, flow, step, value)
        field = profile(ctx).get("record_field") if step == "edit" else step
        if field not in TEXT_FIELDS:
            continue
        if flow == "record":
            chosen = profile(ctx).get("record_pick")
            if isinstance(chosen, int):
                _update(ctx, chosen, {field: _joined(ctx, field, value, flow)}, edited=True)
        else:
            keep_in_entry(ctx, field, value)
        pending = [f for f in profile(ctx).get("record_append") or [] if f != field]
        ctx.store.set_profile(ctx.pid, record_append=[*pending, field],
                              **{k: ctx.result.profile[k] for k in ("record_draft", "record_when")
                                 if k in ctx.result.profile})


# ---- drawing ----------------------------------------------------------------------------------------------


def entry_text(ctx: TurnContext, e: dict[str, Any]) -> str:
    content, zone = ctx.content, ctx.store.zone_of(ctx.pid)
    lines = [content.note("record_heading", number=e["number"]),
             content.note("record_happened", date=show_day(content, e.get("happened"))),
             content.note("record_written", date=show_instant(content, e["created_at"], zone))]
    if e.get("edited_at"):
        lines.append(content.note("record_edited", date=show_instant(content, e["edited_at"], zone)))
    parts = ["\n".join(lines)]
    for field in TEXT_FIELDS:
        if e.get(field):
            parts.append(f"{content.note(f'record_field_{field}')}:\n{e[field]}")
    return "\n\n".join(parts)


def draw_record(ctx: TurnContext, reply: Reply) -> list[Reply]:
    content = ctx.content
    if reply.step == "page":
        items = entries(ctx)
        shown, page, pages = page_of(items, number(ctx, "record_page"))
        if page != number(ctx, "record_page"):
            put(ctx, record_page=page)
        lines = [reply.text]
        if not shown:
            lines.append(content.note("record_empty"))
        else:
            lines.append("\n".join(content.note("record_line", number=e["number"],
                                                date=show_day(content, e.get("happened"))) for e in shown))
            if pages > 1:
                lines.append(content.note("record_page_of", page=page + 1, pages=pages))
        options: list[Option] = []
        for o in reply.options:
            is_slot, e = slot_entry(o.id, shown)
            if is_slot:
                if e is None:
                    continue
                o = Option(o.id, entry_label(content, e))
            elif o.id == "newer" and page == 0 or o.id == "older" and page >= pages - 1:
                continue
            elif o.id == "pdf" and not items:
                continue
            options.append(o)
        return [replace(reply, text="\n\n".join(lines), options=tuple(options))]
    if reply.step in ("entry", "confirm", "edit", "field", "when", "when_typed"):
        e = entry(ctx)
        if e is None:  # deleted meanwhile (another device, an old button): say so, offer only a way on
            if reply.step not in ("entry", "confirm"):
                return [reply]
            keep = {"entry": "list", "confirm": "keep"}[reply.step]
            options = tuple(o for o in reply.options if o.id in (keep, "resume", "menu"))
            return [replace(reply, text=content.note("record_gone"), options=options)]
        if reply.step == "entry":
            return [replace(reply, text="\n\n".join([entry_text(ctx, e), reply.text]))]
        if reply.step == "confirm":
            return [replace(reply, text="\n\n".join([reply.text, content.note("record_heading", number=e["number"])]))]
        if reply.step == "edit":
            field = profile(ctx).get("record_field")
            if field in TEXT_FIELDS and e.get(field):
                heading = content.note(f"record_field_{field}")
                return [replace(reply, text="\n\n".join([reply.text, f"{heading}. {content.note('record_edit_now', text=e[field])}"]))]
    return [reply]


assert set(FIELDS) >= set(TEXT_FIELDS)
__all__ = ["draw_record", "entry_text", "keep_through_a_crisis", "own_options", "record_begin", "record_delete",
           "record_field", "record_newer", "record_older", "record_open", "record_pick", "record_take",
           "record_today", "record_yesterday"]
