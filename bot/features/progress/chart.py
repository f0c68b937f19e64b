"""Progress chart and summary of a person's 1–5 balance ratings.

Rendered with matplotlib's object API (Figure + Agg canvas), never pyplot,
and without touching global rcParams, so it is safe in a worker thread.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from statistics import fmean
from typing import Literal, Sequence, TypedDict

# matplotlib is imported where a chart is drawn, not here: most processes (the bot at start-up, the CLI)
# never draw one, and importing it costs ~0.5 s and tens of MB.

Point = tuple[datetime, int]
Trend = Literal["up", "down", "steady"]

FONT = "DejaVu Sans"
FIGSIZE_IN = (6.0, 4.5)
DPI = 180  # 1080 × 810 px
TITLE_PT = 18
TICK_PT = 14
CAPTION_PT = 12
LINE_COLOR = "#2f6f9f"
INK = "#333333"
MUTED = "#666666"
RATING_MIN, RATING_MAX = 1, 5
TREND_THRESHOLD = 0.5
# PNG text chunks that would otherwise carry the matplotlib version.
_PNG_METADATA: dict[str, str | None] = {"Software": None}


class Summary(TypedDict):
    """Facts for a one-sentence text summary."""

    count: int
    first: int | None
    last: int | None
    average: float | None
    trend: Trend


def _checked(points: Sequence[Point]) -> list[Point]:
    """Return the points sorted by time; reject ratings outside 1..5."""
    for _, rating in points:
        if not RATING_MIN <= rating <= RATING_MAX:
            raise ValueError(f"rating {rating!r} is outside {RATING_MIN}..{RATING_MAX}")
    return sorted(points, key=lambda p: p[0])


def _x_limits(start: datetime, end: datetime) -> tuple[float, float]:
    """Date limits with a little padding; a zero span becomes a day."""
    from matplotlib.dates import date2num

    span = end - start
    pad = timedelta(hours=12) if span < timedelta(hours=1) else span * 0.04
    return float(date2num(start - pad)), float(date2num(end + pad))


ENGLISH_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _in_language(base: type, months: Sequence[str]) -> type:
    """The date formatter with its English month names (strftime's %b in the C locale) swapped for ``months``."""
    if not months or list(months) == ENGLISH_MONTHS:
        return base
    if len(months) != 12:
        raise ValueError(f"twelve month names expected, got {len(months)}")
    import re

    swap = dict(zip(ENGLISH_MONTHS, months))
    pattern = re.compile(r"\b(" + "|".join(ENGLISH_MONTHS) + r")\b")

    def said(text: str) -> str:
        return pattern.sub(lambda m: swap[m.group(1)], text)

    class Formatter(base):  # type: ignore[misc, valid-type]
        def __call__(self, x, pos=None):
            return said(super().__call__(x, pos))

        def format_ticks(self, values):
            return [said(t) for t in super().format_ticks(values)]

        def get_offset(self):
            return said(super().get_offset())

    return Formatter


def render_balance_chart(
    points: Sequence[Point],
    *,
    title: str,
    y_labels: tuple[str, str] = ("less balanced", "more balanced"),
    months: Sequence[str] = (),
) -> bytes:
    """Render the ratings over time as a phone-sized PNG (1080×810 px).

    ``y_labels`` are the (bottom, top) captions of the y axis; ``months`` the twelve short month names of the
    reader's language (matplotlib's own are English).
    Raises ValueError for no points or a rating outside 1..5.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    series = _checked(points)
    if not series:
        raise ValueError("no points to chart")
    times = [t for t, _ in series]
    ratings = [r for _, r in series]
    tz = times[0].tzinfo

    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    many = len(series) > 60
    ax.plot(
        times,
        ratings,
        color=LINE_COLOR,
        linewidth=1.5 if many else 2.5,
        marker="o",
        markersize=3 if many else 7,
        markeredgecolor="white",
        markeredgewidth=0.5 if many else 1.2,
        clip_on=False,
        zorder=3,
    )

    locator = AutoDateLocator(tz=tz, minticks=3, maxticks=6)
    formatter = _in_language(ConciseDateFormatter, months)(locator, tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlim(*_x_limits(times[0], times[-1]))

    ax.set_ylim(RATING_MIN - 0.25, RATING_MAX + 0.25)
    ax.set_yticks(range(RATING_MIN, RATING_MAX + 1))

    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(MUTED)
    ax.grid(axis="y", color="#e4e4e4", linewidth=1)
    ax.grid(axis="x", visible=False)
    ax.set_axisbelow(True)
    ax.tick_params(
        labelsize=TICK_PT, labelfontfamily=FONT, labelcolor=INK, color=MUTED
    )
    ax.xaxis.get_offset_text().set(fontsize=CAPTION_PT, fontfamily=FONT, color=MUTED)

    ax.set_title(title, fontsize=TITLE_PT, fontfamily=FONT, color=INK, loc="left", pad=12)
    low, high = y_labels
    caption = dict(
        xycoords="axes fraction",
        textcoords="offset points",
        rotation=90,
        ha="right",
        fontsize=CAPTION_PT,
        fontfamily=FONT,
        color=MUTED,
    )
    ax.annotate(low, xy=(0, 0), xytext=(-26, 0), va="bottom", **caption)
    ax.annotate(high, xy=(0, 1), xytext=(-26, 0), va="top", **caption)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=_PNG_METADATA)
    return buffer.getvalue()


def summarise(points: Sequence[Point]) -> Summary:
    """Count, first and last rating, average (1 decimal) and trend.

    Trend compares the mean of the last third with the first third
    (at least one point each): a difference of ≥ 0.5 is "up"/"down".
    An empty series gives count 0, None values and "steady".
    """
    ratings = [r for _, r in _checked(points)]
    if not ratings:
        return Summary(count=0, first=None, last=None, average=None, trend="steady")
    third = max(1, len(ratings) // 3)
    change = fmean(ratings[-third:]) - fmean(ratings[:third])
    trend: Trend = "steady"
    if change >= TREND_THRESHOLD:
        trend = "up"
    elif change <= -TREND_THRESHOLD:
        trend = "down"
    return Summary(
        count=len(ratings),
        first=ratings[0],
        last=ratings[-1],
        average=round(fmean(ratings), 1),
        trend=trend,
    )
