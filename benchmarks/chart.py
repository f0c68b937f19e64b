"""Benchmark: render a year of daily check-ins; last line is one JSON object."""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.features.progress.chart import render_balance_chart  # noqa: E402

POINTS = 365
RUNS = 7  # timed renders after one warm-up
SEED = 20240101


def year_of_points(seed: int = SEED) -> list[tuple[datetime, int]]:
    """A year of daily ratings 1..5, random but seeded."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 20, 0)
    return [(start + timedelta(days=i), rng.randint(1, 5)) for i in range(POINTS)]


def main() -> None:
    """Warm up once, time RUNS renders, print the median as JSON."""
    points = year_of_points()
    png = render_balance_chart(points, title="Balance over the year")
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        png = render_balance_chart(points, title="Balance over the year")
        timings.append((time.perf_counter() - began) * 1000)
    print(json.dumps({
        "points": POINTS,
        "render_ms": round(statistics.median(timings), 1),
        "runs": RUNS,
        "png_bytes": len(png),
    }))


if __name__ == "__main__":
    main()
