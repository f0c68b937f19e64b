"""Reading when something happened, as people type it, in every language Fulcrum speaks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.features.record.dates import BAD, read_when, resolve

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("typed", "stored"), [
    ("yesterday 18.30", "2026-11-30 18:30"),
    ("28 Nov", "2026-11-28"),
    ("November 3rd 2025 at 6pm", "2025-11-03 18:00"),
    ("hoy", "2026-12-01"),
    ("ayer a las 21:30", "2026-11-30 21:30"),
    ("28 de noviembre", "2026-11-28"),
    ("28 de noviembre de 2025", "2025-11-28"),
    ("5 de mayo a las 6 pm", "2026-05-05 18:00"),
    ("3 sept", "2026-09-03"),
])
def test_dates_are_read_in_english_and_spanish(typed: str, stored: str) -> None:
    ok, spec = read_when(typed)
    assert ok, typed
    assert resolve(spec, NOW, timezone.utc) == stored


@pytest.mark.parametrize("typed", ["mañana por la tarde", "31 de febrero", "ayer a las 25:00", "the day after"])
def test_what_cannot_be_read_asks_again(typed: str) -> None:
    assert read_when(typed) == (False, BAD)
