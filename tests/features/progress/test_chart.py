"""Tests for the balance-rating chart and its summary."""

from __future__ import annotations

import io
import os
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.image import imread
from matplotlib.testing.compare import compare_images

from tests.conftest import ROOT  # noqa: E402
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.features.progress.chart import render_balance_chart, summarise  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 1080, 810
GOLDEN = ROOT / "tests" / "data" / "golden" / "balance_chart.png"
GOLDEN_TOLERANCE = 2.0  # RMS over 0..255 grey levels
UPDATE_GOLDEN = os.environ.get("FULCRUM_UPDATE_GOLDEN") == "1"
TITLE = "Balance lately"

Points = list[tuple[datetime, int]]


def weekly(ratings: list[int], start: datetime = datetime(2024, 1, 7, 19, 30)) -> Points:
    """One check-in a week with the given ratings."""
    return [(start + timedelta(weeks=i), r) for i, r in enumerate(ratings)]


GOLDEN_SERIES = weekly([2, 3, 2, 3, 4, 3, 4, 4, 5, 4, 4, 5])


def decode(png: bytes) -> np.ndarray:
    """Check the signature and decode a PNG into an RGBA float array."""
    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")


def assert_phone_chart(png: bytes) -> None:
    """The PNG is phone-sized and has something drawn on it."""
    image = decode(png)
    assert image.shape[:2] == (HEIGHT, WIDTH)
    rgb = image[..., :3]
    ink = (rgb < 0.9).any(axis=-1).mean()
    assert 0.005 < ink < 0.6, f"ink coverage {ink:.3f}: blank or flooded"


def test_png_signature_size_and_not_blank() -> None:
    assert_phone_chart(render_balance_chart(GOLDEN_SERIES, title=TITLE))


def test_matches_golden(tmp_path: Path) -> None:
    png = render_balance_chart(GOLDEN_SERIES, title=TITLE)
    if UPDATE_GOLDEN:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(png)
        pytest.skip(f"golden rewritten: {GOLDEN}")
    actual = tmp_path / "balance_chart.png"
    actual.write_bytes(png)
    diff = compare_images(str(GOLDEN), str(actual), tol=GOLDEN_TOLERANCE)
    assert diff is None, (
        f"chart differs from golden {GOLDEN}; actual image: {actual}. {diff} "
        "If the change is intended, rerun with FULCRUM_UPDATE_GOLDEN=1."
    )


def test_output_is_deterministic() -> None:
    first = render_balance_chart(GOLDEN_SERIES, title=TITLE)
    assert render_balance_chart(GOLDEN_SERIES, title=TITLE) == first
    assert b"matplotlib" not in first.lower()


def test_safe_in_worker_threads() -> None:
    expected = render_balance_chart(GOLDEN_SERIES, title=TITLE)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render_balance_chart(GOLDEN_SERIES, title=TITLE), range(8)))
    assert all(r == expected for r in results)


def test_does_not_touch_global_rc_params() -> None:
    before = dict(matplotlib.rcParams)
    render_balance_chart(GOLDEN_SERIES, title=TITLE, y_labels=("low", "high"))
    assert dict(matplotlib.rcParams) == before


def test_three_points_on_the_same_day() -> None:
    day = datetime(2024, 3, 5, 9, 0)
    points = [(day, 2), (day + timedelta(hours=4), 3), (day + timedelta(hours=8), 4)]
    assert_phone_chart(render_balance_chart(points, title=TITLE))


def test_identical_timestamps_and_single_point() -> None:
    moment = datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc)
    assert_phone_chart(render_balance_chart([(moment, 3)], title=TITLE))
    assert_phone_chart(render_balance_chart([(moment, 1), (moment, 5)], title=TITLE))


def test_a_year_of_daily_points() -> None:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, 20, 0)
    points = [(start + timedelta(days=i), rng.randint(1, 5)) for i in range(365)]
    assert_phone_chart(render_balance_chart(points, title=TITLE))


def test_unsorted_input_renders_like_sorted() -> None:
    shuffled = list(reversed(GOLDEN_SERIES))
    assert render_balance_chart(shuffled, title=TITLE) == render_balance_chart(
        GOLDEN_SERIES, title=TITLE
    )


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        render_balance_chart([], title=TITLE)
    with pytest.raises(ValueError):
        render_balance_chart([(datetime(2024, 1, 1), 6)], title=TITLE)
    with pytest.raises(ValueError):
        summarise([(datetime(2024, 1, 1), 0)])


@pytest.mark.parametrize(
    ("ratings", "trend"),
    [
        ([1, 2, 2, 3, 4, 5], "up"),
        ([5, 4, 4, 3, 2, 1], "down"),
        ([3, 3, 4, 3, 3, 3], "steady"),
        ([3, 4, 3, 4, 3, 4], "steady"),  # last third 3.5 vs first 3.5
        ([2, 3, 1, 5, 3, 3], "up"),  # thirds 2.5 -> 3.0: exactly 0.5 counts
        ([3, 4], "up"),  # two points: each third is one point
    ],
)
def test_summarise_trend(ratings: list[int], trend: str) -> None:
    assert summarise(weekly(ratings))["trend"] == trend


def test_summarise_fields() -> None:
    assert summarise(weekly([1, 2, 2, 3, 4, 5])) == {
        "count": 6,
        "first": 1,
        "last": 5,
        "average": 2.8,
        "trend": "up",
    }


def test_summarise_orders_by_time() -> None:
    summary = summarise(list(reversed(weekly([1, 3, 5]))))
    assert (summary["first"], summary["last"], summary["trend"]) == (1, 5, "up")


def test_summarise_single_point_and_empty() -> None:
    assert summarise(weekly([4])) == {
        "count": 1,
        "first": 4,
        "last": 4,
        "average": 4.0,
        "trend": "steady",
    }
    assert summarise([]) == {
        "count": 0,
        "first": None,
        "last": None,
        "average": None,
        "trend": "steady",
    }


point = st.tuples(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=1, max_value=5),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(point, min_size=1, max_size=60))
def test_any_series_renders_a_decodable_png(points: Points) -> None:
    image = decode(render_balance_chart(points, title=TITLE))
    assert image.shape[:2] == (HEIGHT, WIDTH)
    assert summarise(points)["count"] == len(points)


SPANISH_MONTHS = "ene feb mar abr may jun jul ago sept oct nov dic".split()


def test_month_names_on_the_axis_come_from_the_readers_language() -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

    from bot.features.progress.chart import _in_language

    locator = AutoDateLocator(tz=timezone.utc, minticks=3, maxticks=6)
    formatter = _in_language(ConciseDateFormatter, SPANISH_MONTHS)(locator, tz=timezone.utc)
    days = [datetime(2026, month, 1, tzinfo=timezone.utc) for month in (9, 10, 11, 12)]
    labels = formatter.format_ticks([date2num(d) for d in days])
    assert labels == ["sept", "oct", "nov", "dic"], labels
    assert _in_language(ConciseDateFormatter, ()) is ConciseDateFormatter  # English keeps matplotlib's own
    with pytest.raises(ValueError, match="twelve"):
        _in_language(ConciseDateFormatter, ["ene"])


def test_a_spanish_chart_differs_from_the_english_one_only_in_its_words() -> None:
    english = render_balance_chart(GOLDEN_SERIES, title="t")
    spanish = render_balance_chart(GOLDEN_SERIES, title="t", months=SPANISH_MONTHS)
    assert english != spanish and spanish.startswith(b"\x89PNG")
