"""Dead letters in the store (bot/adapters/telegram/serve.py keeps there what it could not process): encrypted like every
other personal text, counted by `fulcrum status`, erased with the person, forgotten after DEAD_LETTER_DAYS."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.features import retention
from bot.ops import stats as ops
from bot.store import health as figures
from bot.store.crypto import Cipher, new_key
from bot.store.migrations import migrations
from bot.store.store import Store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
UPDATE = json.dumps({"update_id": 7, "message": {"text": "PRIVATE-dead-letter-text"}})


def test_the_migration_is_named_and_the_table_is_there(fresh_store: Store):
    assert "m004_dead_letters" in [m.name for m in migrations._migrations]
    assert fresh_store.dead_letter_count() == 0


def test_kept_encrypted_readable_with_the_key_and_once_per_update(store_path: Path):
    store = Store(store_path, Cipher(new_key()))
    try:
        with store.transaction():
            assert store.add_dead_letter(7, "tg:1", "text", "OperationalError", 4, UPDATE, NOW)
            assert not store.add_dead_letter(7, "tg:1", "text", "OperationalError", 4, UPDATE, NOW)
        payload, kid = store.execute("SELECT payload, key_id FROM dead_letters").fetchone()
        assert kid is not None and "PRIVATE" not in payload
        assert store.dead_letter_payload(7) == UPDATE and store.dead_letter_payload(8) is None
        assert store.dead_letters() == [{"update_id": 7, "kind": "text", "error": "OperationalError",
                                         "attempts": 4, "at": "2026-11-28T12:00:00+00:00"}]
        assert store.dead_letter_count() == 1
    finally:
        store.close()
    assert b"PRIVATE-dead-letter-text" not in store_path.read_bytes()


def test_status_counts_them_and_erasing_the_person_removes_them(fresh_store: Store, content):
    with fresh_store.transaction():
        fresh_store.add_dead_letter(7, "tg:1", "text", "RuntimeError", 4, UPDATE, NOW)
        fresh_store.add_dead_letter(8, "tg:2", "command", "RuntimeError", 4, UPDATE, NOW)
    body = figures.status(fresh_store, content, NOW)
    assert body["dead_letters"] == 2
    assert "updates that could not be processed" in ops.format_status(body)
    assert "PRIVATE" not in json.dumps(body) + ops.format_status(body)
    with fresh_store.transaction():
        fresh_store.erase("tg:1")
    assert [d["update_id"] for d in fresh_store.dead_letters()] == [8]


def test_daily_housekeeping_forgets_them_after_a_while(fresh_store: Store):
    with fresh_store.transaction():
        fresh_store.add_dead_letter(7, "tg:1", "text", "RuntimeError", 4, UPDATE,
                                    NOW - timedelta(days=retention.DEAD_LETTER_DAYS + 1))
        fresh_store.add_dead_letter(8, "tg:1", "text", "RuntimeError", 4, UPDATE, NOW - timedelta(days=1))
    retention.prune(fresh_store, NOW)
    assert [d["update_id"] for d in fresh_store.dead_letters()] == [8]
