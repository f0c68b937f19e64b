"""Retention and housekeeping: erase people inactive past the retention period, forget old update and
message ids. Runs daily as a job (`feature()`), and on demand from `fulcrum purge`. Also folds the
database's write-ahead log every second, off the event loop (`fold_wal`).

Nothing here reads what a person wrote; logs carry counts only.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.core.clock import iso, utcnow
from bot.core.feature import Env, Feature, Job, Sender
from bot.store.store import Store

log = logging.getLogger("fulcrum.ops")

PURGE_BATCH = 200
UPDATES_DAYS = 3
MESSAGES_HOURS = 48
DEAD_LETTER_DAYS = 30
MAINTENANCE_JOB = "daily-maintenance"
WAL_JOB = "fold-wal"


class OpsError(Exception):
    """An operation that cannot be done; the message is one line."""



def purge(store: Store, now: datetime, days: int) -> int:
    """Erase everyone not seen for more than `days` days, exactly as /delete does. Returns how many.

    Each batch is one transaction that re-reads who is inactive, so someone who writes in between is kept.
    """
    if days < 1:
        raise OpsError("the retention period must be at least 1 day")
    cutoff = iso(now - timedelta(days=days))
    erased = 0
    while True:
        with store.transaction():
            ids = [r[0] for r in store.execute(
                "SELECT id FROM people WHERE last_seen < ? ORDER BY last_seen LIMIT ?", (cutoff, PURGE_BATCH))]
            for pid in ids:
                store.erase(pid)
        erased += len(ids)
        if len(ids) < PURGE_BATCH:
            break
    if erased:
        store.checkpoint()
    log.info("retention: erased %d inactive people", erased, extra={"erased": erased})
    return erased


def prune(store: Store, now: datetime) -> tuple[int, int]:
    """Forget processed update ids after a few days, tracked message ids after 48 hours and dead letters
    (updates that could not be processed, bot/adapters/telegram/serve.py) after DEAD_LETTER_DAYS."""
    with store.transaction():
        updates, messages = store.prune(now, updates_days=UPDATES_DAYS, messages_hours=MESSAGES_HOURS)
        dead = store.prune_dead_letters(now, days=DEAD_LETTER_DAYS)
    log.info("housekeeping: forgot %d update ids, %d message ids and %d dead letters", updates, messages, dead,
             extra={"updates": updates, "messages": messages, "dead_letters": dead})
    return updates, messages


def maintain(store: Store, now: datetime, days: int) -> dict[str, int]:
    """Purge and prune, synchronously."""
    erased = purge(store, now, days)
    updates, messages = prune(store, now)
    return {"erased": erased, "updates": updates, "messages": messages}


async def daily_maintenance(env: Env, sender: Sender | None = None, *, now: datetime | None = None) -> dict[str, int]:
    """The daily job: purge people inactive past FULCRUM_RETENTION_DAYS, prune update and message ids.
    The SQLite work runs in a thread, off the event loop."""
    try:
        return await asyncio.to_thread(maintain, env.store, now or utcnow(), env.settings.retention_days)
    except Exception:
        log.exception("daily maintenance failed")
        raise


async def fold_wal(env: Env, sender: Sender | None = None) -> int:
    """Every second: the WAL folded into the database off the event loop (Store.fold_wal)."""
    return await asyncio.to_thread(env.store.fold_wal)


def feature() -> Feature:
    """Retention as a job: once a day, the first run 10 minutes after start; and the WAL folded every second."""
    return Feature("retention", jobs=(Job(MAINTENANCE_JOB, interval=24 * 3600, first=600, run=daily_maintenance),
                                      Job(WAL_JOB, interval=1.0, first=1.0, run=fold_wal)))
