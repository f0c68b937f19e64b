"""The record: a person's own dated account of what happened (issue 16), kept sealed, and a PDF of it.

    common.py    entries numbered and ordered, dates in words, sending a person back to a step
    dates.py     reading a typed date kindly (`record_date`), resolving it against the turn's clock
    entries.py   /record (list, open, change, delete; /record TEXT), the `record_entry` walk
    export.py    /record_export: choose entries, title, password, the PDF attached for the adapter
    pdf.py       the PDF itself (fpdf2, DejaVu Sans), made off the event loop

Entries are behind the lock like everything not marked `open_when_locked`; lists and buttons name an entry by
number and date only. Nothing of an entry is logged.
"""

from __future__ import annotations

from bot.core.feature import Env, Feature
from bot.features.record import entries, export
from bot.features.record.dates import read_when


def count(env: Env, pid: str) -> int:
    """How many entries a person has recorded (for /progress: a number, never their words)."""
    return env.store.record_count(pid)


def feature() -> Feature:
    return Feature(
        "record",
        actions={"record_open": entries.record_open, "record_older": entries.record_older,
                 "record_newer": entries.record_newer, "record_pick": entries.record_pick,
                 "record_field": entries.record_field, "record_delete": entries.record_delete,
                 "record_today": entries.record_today, "record_yesterday": entries.record_yesterday,
                 "record_begin": entries.record_begin, "record_take": entries.record_take,
                 "record_x_begin": export.record_x_begin, "record_x_all": export.record_x_all,
                 "record_x_take": export.record_x_take, "record_x_toggle": export.record_x_toggle,
                 "record_x_newer": export.record_x_newer, "record_x_older": export.record_x_older,
                 "record_x_make": export.record_x_make, "record_x_saved": export.record_x_saved},
        views={"record": entries.draw_record, "record_export": export.draw_export},
        validators={"record_date": read_when},
        after_turn=(entries.keep_through_a_crisis,),
    )
