"""What an operator and a health check may see: counts and times only, never an id, a name or a word anyone
wrote. Read by `fulcrum status` and the webhook server's GET /healthz (so it lives below the adapters)."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso
from bot.store.store import Store


def _count(store: Store, sql: str, params: Any = ()) -> int:
    return int(store.execute(sql, params).fetchone()[0] or 0)


def db_size(store: Store) -> int:
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += os.stat(f"{store.path}{suffix}").st_size
        except FileNotFoundError:
            pass
    return total


def status(store: Store, content: Any, now: datetime) -> dict[str, Any]:
    """Counts and times only: never an id, a name or anything a person wrote."""
    row = store.execute("SELECT value FROM meta WHERE key = 'last_update_at'").fetchone()
    return {
        "people": _count(store, "SELECT count(*) FROM people"),
        "active_7d": _count(store, "SELECT count(*) FROM people WHERE last_seen >= ?",
                            (iso(now - timedelta(days=7)),)),
        "checkins_due_1h": _count(store, "SELECT count(*) FROM schedules WHERE next_due IS NOT NULL AND next_due <= ?",
                                  (iso(now + timedelta(hours=1)),)),
        "db_bytes": db_size(store),
        "last_update_at": row[0] if row else None,
        "dead_letters": store.dead_letter_count(),
        "content_version": getattr(content, "version", None),
    }


def health(store: Store, content: Any, now: datetime) -> dict[str, Any]:
    """For an HTTP health endpoint (GET /healthz): `ok` plus the same counts as `fulcrum status`.

    `ok` is False (with a short `error` naming the kind of failure, never data) when the database cannot be read.
    """
    try:
        body = status(store, content, now)
    except sqlite3.Error as exc:
        return {"ok": False, "error": f"database: {type(exc).__name__}",
                "content_version": getattr(content, "version", None), "now": iso(now)}
    return {"ok": True, **body, "now": iso(now)}
