"""Operations: retention, housekeeping, backups, health and anonymous figures.

Nothing here reads or prints what a person wrote. Figures come from the `stats` table (weekly aggregates)
or from counts over rows, never from the text in them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.core.clock import week_of
from bot.core.figures import known_names
from bot.features.retention import OpsError
from bot.store.store import Store, connect

log = logging.getLogger("fulcrum.ops")

SMALL = 5  # counts under this are shown as "<5"; averages from fewer ratings are hidden
SUPPRESSED = "<5"


# ---- backup ---------------------------------------------------------------------------------------


def backup(db: str | Path, dest: str | Path, *, force: bool = False) -> int:
    """Copy the database consistently through SQLite's online backup API, while the bot may be writing.

    The copy is created owner-only (0600) before anything is written to it, is a single file (rollback
    journal mode, no -wal), and keeps encrypted text encrypted. Returns its size in bytes.
    """
    src_path = Path(db).expanduser().resolve()
    out = Path(dest).expanduser().absolute()
    if not src_path.is_file():
        raise OpsError(f"{src_path}: no database here")
    if not out.parent.is_dir():
        raise OpsError(f"{out}: the folder {out.parent} does not exist")
    if out.resolve() == src_path:
        raise OpsError(f"{out}: that is the database itself")
    if out.exists() or out.is_symlink():
        if not force:
            raise OpsError(f"{out}: already exists (use --force to overwrite it)")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{out}{suffix}").unlink(missing_ok=True)
    try:
        fd = os.open(out, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise OpsError(f"{out}: cannot create the backup ({exc.strerror})") from None
    os.fchmod(fd, 0o600)
    os.close(fd)
    old_umask = os.umask(0o077)
    src = dst = None
    try:
        src = connect(src_path, secure_delete=True)
        dst = sqlite3.connect(str(out), isolation_level=None)
        src.backup(dst)  # one step: a read transaction on the source gives one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise OpsError(f"{out}: the copy failed its check ({ok})")
    except sqlite3.Error as exc:
        if dst is not None:
            dst.close()
            dst = None
        out.unlink(missing_ok=True)
        raise OpsError(f"{out}: backup failed ({exc})") from None
    finally:
        if dst is not None:
            dst.close()
        if src is not None:
            src.close()
        os.umask(old_umask)
    return out.stat().st_size


# ---- health and status ------------------------------------------------------------------------------


STATUS_LABELS = {
    "people": "people",
    "active_7d": "active in the last 7 days",
    "checkins_due_1h": "check-ins due in the next hour",
    "db_bytes": "database size",
    "last_update_at": "last handled update",
    "dead_letters": "updates that could not be processed",
    "content_version": "content version",
}


def format_status(body: dict[str, Any]) -> str:
    width = max(len(v) for v in STATUS_LABELS.values())
    lines = []
    for key, label in STATUS_LABELS.items():
        value = body.get(key)
        if key == "db_bytes":
            value = _human_bytes(int(value or 0))
        lines.append(f"{label:<{width}}  {value if value is not None else 'never'}")
    return "\n".join(lines)


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


# ---- anonymous weekly figures ------------------------------------------------------------------------


def shown(count: int | float) -> int | str:
    """A count as it may be shown: 1 to 4 become "<5" so no single person can be picked out."""
    count = int(count)
    return SUPPRESSED if 0 < count < SMALL else count


def recent_weeks(now: datetime, weeks: int) -> list[str]:
    """The last `weeks` ISO weeks, oldest first, ending with the week of `now`."""
    labels: list[str] = []
    day = now.astimezone(timezone.utc)
    while len(labels) < weeks:
        label = week_of(day)
        if label not in labels:
            labels.append(label)
        day -= timedelta(days=7)
    return labels[::-1]


def weekly_stats(store: Store, content: Any, now: datetime, weeks: int = 8) -> dict[str, Any]:
    """Per week: people who started and finished each flow, reached seek_help, opened the help directory,
    had a crisis interruption, answered check-ins, and the average balance rating. Read only from the
    `stats` aggregates; small counts are suppressed here, so callers never see them."""
    if weeks < 1:
        raise OpsError("--weeks must be 1 or more")
    labels = recent_weeks(now, weeks)
    raw: dict[tuple[str, str, str], tuple[int, float]] = {}
    marks = ",".join("?" for _ in labels)
    # With a key, names are stored as keyed tags: tag every name that can occur to read them back.
    names = known_names(content)
    named = {name: name for name in names} | {store.cipher.tag(name): name for name in names}
    for week, metric, flow, count, total in store.execute(
            f"SELECT week, metric, flow, count, total FROM stats WHERE week IN ({marks})", labels):
        key = (week, named.get(metric, metric), named.get(flow, flow))
        before = raw.get(key, (0, 0.0))  # a name kept plain before the key was set, and its tag, add up
        raw[key] = (before[0] + int(count), before[1] + float(total))
    flow_ids = _flow_order(content, {f for (_, m, f) in raw if m in ("flow_started", "flow_completed")})

    def get(week: str, metric: str, flow: str = "") -> tuple[int, float]:
        return raw.get((week, metric, flow), (0, 0.0))

    out = []
    for week in labels:
        crisis = sum(c for (w, m, _), (c, _) in raw.items() if w == week and m == "crisis")
        ratings, total = get(week, "checkin_answered")
        average = round(total / ratings, 2) if ratings >= SMALL else None
        out.append({
            "week": week,
            "flows": {f: {"started": shown(get(week, "flow_started", f)[0]),
                          "finished": shown(get(week, "flow_completed", f)[0])} for f in flow_ids},
            "reached_seek_help": shown(get(week, "flow_started", "seek_help")[0]),
            "help_directory": shown(get(week, "help_directory")[0]),
            "crisis": shown(crisis),
            "checkins_answered": shown(ratings),
            "average_rating": average,
        })
    return {"weeks": out, "suppressed_below": SMALL}


def _flow_order(content: Any, seen: set[str]) -> list[str]:
    ordered: list[str] = []
    if content is not None:
        ordered = [f.id for f in content.menu_flows()]
    return ordered + sorted(f for f in seen if f not in ordered)


def format_stats(report: dict[str, Any]) -> str:
    """A table: one column per week, one row per figure."""
    weeks = report["weeks"]
    header = ["", *(w["week"] for w in weeks)]
    rows: list[list[str]] = []
    flow_ids = list(weeks[0]["flows"]) if weeks else []
    for f in flow_ids:
        rows.append([f"{f} started", *(str(w["flows"][f]["started"]) for w in weeks)])
        rows.append([f"{f} finished", *(str(w["flows"][f]["finished"]) for w in weeks)])
    rows.append(["reached seek_help", *(str(w["reached_seek_help"]) for w in weeks)])
    rows.append(["opened help directory", *(str(w["help_directory"]) for w in weeks)])
    rows.append(["crisis interruptions", *(str(w["crisis"]) for w in weeks)])
    rows.append(["check-ins answered", *(str(w["checkins_answered"]) for w in weeks)])
    rows.append(["average balance rating",
                 *("—" if w["average_rating"] is None else f"{w['average_rating']:.1f}" for w in weeks)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
             for r in [header, *rows]]
    lines.append("")
    lines.append(f"Counts from 1 to {SMALL - 1} are shown as {SUPPRESSED}; an average from fewer than "
                 f"{SMALL} ratings is shown as —.")
    return "\n".join(line.rstrip() for line in lines)
