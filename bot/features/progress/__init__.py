"""/progress and the weekly summary.

    report.py  the report under the `progress` step, the chart reply, the weekly summary, `feature()`
    chart.py   the balance chart (matplotlib, imported only when a chart is drawn)
"""

from bot.features.progress.report import chart_png, draw_progress, feature, streak, weekly_summary

__all__ = ["chart_png", "draw_progress", "feature", "streak", "weekly_summary"]
