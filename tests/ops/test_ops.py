"""Operations: retention purge, daily maintenance, backups, status/health and weekly figures.

Figures and status never show anything a person wrote; purge leaves no bytes of an erased person's text.
"""

from __future__ import annotations

import json
import re
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.ops import stats as ops
from bot.store import health as figures
from bot.features import retention
from bot.store.store import Store
from tests.conftest import ROOT, make_app
from tests.support.people import PERSON_TABLES, agree_and_reflect, raw_bytes

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def fulcrum(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**base, **(env or {})})


# ---- retention ---------------------------------------------------------------------------------------


def test_purge_erases_exactly_the_inactive_and_leaves_no_bytes_of_their_text(store_path: Path, content):
    app = make_app(store_path, content)
    gone, kept = "GONE-MARKER-7f3a", "KEPT-MARKER-91c2"
    old = agree_and_reflect(app, "old", NOW - timedelta(days=400), f"what I felt {gone} then")
    new = agree_and_reflect(app, "new", NOW - timedelta(days=10), f"what I felt {kept} now")
    assert gone.encode() in raw_bytes(store_path)  # stored in plain text (no FULCRUM_DATA_KEY): the worst case

    erased = retention.purge(app.store, NOW, 365)

    assert erased == 1
    assert not app.store.exists(old.pid)
    assert app.store.exists(new.pid)
    for table in PERSON_TABLES:
        assert app.store.execute(f"SELECT count(*) FROM {table} WHERE person = ?", (old.pid,)).fetchone()[0] == 0
    assert any(kept in e["text"] for e in app.store.journal(new.pid, limit=50))
    app.store.close()
    data = raw_bytes(store_path)
    assert gone.encode() not in data
    assert kept.encode() in data  # the scan does see plain text: the kept person's is still there


def test_purge_keeps_someone_seen_exactly_at_the_limit(app):
    agree_and_reflect(app, "edge", NOW - timedelta(days=30), "fine")
    last = app.store.execute("SELECT last_seen FROM people").fetchone()[0]
    limit = datetime.fromisoformat(last)
    assert retention.purge(app.store, limit + timedelta(days=30), 30) == 0
    assert retention.purge(app.store, limit + timedelta(days=30, seconds=1), 30) == 1


def test_purge_refuses_a_period_under_a_day(fresh_store):
    with pytest.raises(ops.OpsError):
        retention.purge(fresh_store, NOW, 0)


async def test_daily_maintenance_purges_and_prunes(app):
    agree_and_reflect(app, "old", NOW - timedelta(days=400), "x")
    agree_and_reflect(app, "new", NOW - timedelta(hours=1), "y")
    new_pid = "cli:new"
    with app.store.transaction():
        app.store.record_update(1, NOW - timedelta(days=4))
        app.store.record_update(2, NOW - timedelta(hours=1))
        app.store.track_message(new_pid, 5, 100, NOW - timedelta(hours=49))
        app.store.track_message(new_pid, 5, 101, NOW - timedelta(hours=1))

    done = await retention.daily_maintenance(app.env, now=NOW)

    assert done == {"erased": 1, "updates": 1, "messages": 1}
    assert [r[0] for r in app.store.execute("SELECT update_id FROM processed_updates")] == [2]
    assert [r[0] for r in app.store.execute("SELECT message_id FROM messages")] == [101]


def test_retention_declares_a_daily_job_and_a_wal_fold_every_second():
    daily, fold = retention.feature().jobs
    assert (daily.name, daily.interval, daily.first) == ("daily-maintenance", 24 * 3600, 600)
    assert daily.run is retention.daily_maintenance
    assert (fold.name, fold.interval, fold.run) == ("fold-wal", 1.0, retention.fold_wal)


async def test_the_wal_fold_copies_committed_turns_into_the_database_file_without_the_turns_lock(
        tmp_path: Path, content):
    """The job's fold runs on its own connection: it works while the turn's connection holds its lock, and
    afterwards the database file alone (WAL set aside) holds the committed turns."""
    import shutil

    db = tmp_path / "f.db"
    app = make_app(db, content)
    app.store.checkpoint()  # the tables are in the file
    app.store.conn.execute("PRAGMA wal_autocheckpoint=0")  # only the fold may copy pages from here on
    agree_and_reflect(app, "a", datetime.now(timezone.utc), "FOLDED-TEXT")
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)  # the file without its WAL: the turn is not in it yet
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM people").fetchone()[0] == 0
    with app.store._lock:  # noqa: SLF001 - a turn in progress on the main connection
        copied = await retention.fold_wal(app.env)
    assert copied > 0
    shutil.copy(db, copy)
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM people").fetchone()[0] == 1
    app.store.close()
    assert app.store._fold_conn is None  # noqa: SLF001 - closed with the store


def test_purge_cli_uses_retention_days_and_prints_only_the_count(tmp_path: Path, content):
    db = tmp_path / "p.db"
    app = make_app(db, content)
    agree_and_reflect(app, "a", datetime.now(timezone.utc) - timedelta(days=40), "SECRET-PURGE-TEXT")
    agree_and_reflect(app, "b", datetime.now(timezone.utc) - timedelta(days=5), "SECRET-PURGE-TEXT")
    app.store.close()
    out = fulcrum("purge", "--db", str(db), env={"FULCRUM_RETENTION_DAYS": "30"})
    assert out.returncode == 0, out.stderr
    assert out.stdout == "erased 1 people inactive for more than 30 days\n"
    assert "SECRET" not in out.stdout + out.stderr and "cli:" not in out.stdout + out.stderr
    out = fulcrum("purge", "--db", str(db), "--older-than", "1")
    assert out.stdout.startswith("erased 1 ")


# ---- backup ----------------------------------------------------------------------------------------


def test_backup_while_a_thread_keeps_writing_is_consistent_and_owner_only(tmp_path: Path):
    src = Store(tmp_path / "live.db")
    stop = threading.Event()
    warmed_up = threading.Event()  # set after 200 rows, or when the writer dies: never wait on a dead thread
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            writer_store = Store(tmp_path / "live.db")
            i = 0
            try:
                while not stop.is_set():
                    with writer_store.transaction():
                        for _ in range(20):
                            i += 1
                            writer_store.bump("flow_started", NOW, flow=f"f{i % 50}")
                            writer_store.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "v" * 200))
                    if i >= 200:
                        warmed_up.set()
            finally:
                writer_store.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failure.append(exc)
        finally:
            warmed_up.set()

    thread = threading.Thread(target=writer, daemon=True)
    old = os.umask(0o022)
    copies = []
    try:
        thread.start()
        assert warmed_up.wait(timeout=60), "the writer thread wrote fewer than 200 rows in 60 s"
        assert not failure, f"the writer thread died: {failure[0]!r}"
        for n in range(3):
            dest = tmp_path / f"copy{n}.db"
            ops.backup(src.path, dest)
            copies.append(dest)
        assert thread.is_alive() and not failure, failure  # it kept writing while the copies were taken
    finally:
        stop.set()
        thread.join(timeout=60)
        os.umask(old)
        src.close()
    assert not thread.is_alive(), "the writer thread did not stop"
    assert not failure, f"the writer thread died: {failure[0]!r}"
    assert len(copies) == 3
    for dest in copies:
        assert stat.S_IMODE(dest.stat().st_mode) == 0o600
        assert not Path(f"{dest}-wal").exists()
        conn = sqlite3.connect(dest)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        metas = conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'k%'").fetchone()[0]
        assert metas >= 200 and metas % 20 == 0  # all that was written before, in whole transactions only
        conn.close()


def test_backup_refuses_to_overwrite_unless_forced(tmp_path: Path):
    Store(tmp_path / "a.db").close()
    dest = tmp_path / "b.db"
    dest.write_bytes(b"precious")
    out = fulcrum("backup", str(dest), "--db", str(tmp_path / "a.db"))
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "already exists" in out.stderr and "--force" in out.stderr
    assert dest.read_bytes() == b"precious"
    out = fulcrum("backup", str(dest), "--force", "--db", str(tmp_path / "a.db"))
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert sqlite3.connect(dest).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_of_a_missing_database_is_one_line(tmp_path: Path):
    out = fulcrum("backup", str(tmp_path / "x.db"), "--db", str(tmp_path / "none.db"))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "no database" in out.stderr
    assert not (tmp_path / "x.db").exists()


# ---- status, health and figures --------------------------------------------------------------------


def planted(tmp_path: Path, content) -> tuple[Path, str]:
    """A database where six people wrote reflections carrying a marker, one of them a crisis message."""
    db = tmp_path / "s.db"
    app = make_app(db, content)
    marker = "PLANTED-PRIVATE-4e1b"
    now = datetime.now(timezone.utc)
    for i in range(6):
        agree_and_reflect(app, f"p{i}", now - timedelta(hours=2, minutes=i), f"{marker} number {i}")
    with app.store.transaction():
        app.store.record_update(42, now - timedelta(minutes=3))
        app.store.execute("INSERT INTO schedules (person, frequency, next_due) VALUES (?, 'daily', ?)",
                          ("cli:p0", (now + timedelta(minutes=20)).isoformat(timespec="seconds")))
        app.store.execute("INSERT INTO schedules (person, frequency, next_due) VALUES (?, 'daily', ?)",
                          ("cli:p1", (now + timedelta(hours=5)).isoformat(timespec="seconds")))
    app.store.close()
    return db, marker


def test_status_and_stats_never_print_what_a_person_wrote(tmp_path: Path, content):
    db, marker = planted(tmp_path, content)
    outputs = []
    for args in (["status"], ["status", "--json"], ["stats"], ["stats", "--json"], ["stats", "--weeks", "2"]):
        out = fulcrum(*args, "--db", str(db))
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout + out.stderr)
    text = "\n".join(outputs)
    assert marker not in text and "number" not in text
    assert "cli:" not in text and "p0" not in text
    body = json.loads(outputs[1])
    assert body["people"] == 6 and body["active_7d"] == 6 and body["checkins_due_1h"] == 1
    assert body["last_update_at"] and body["db_bytes"] > 0
    assert re.fullmatch(r"[0-9a-f]{8}", body["content_version"])  # content may change under a running suite
    assert set(body) == {"people", "active_7d", "checkins_due_1h", "db_bytes", "last_update_at", "dead_letters",
                         "content_version"}
    assert body["dead_letters"] == 0


def test_health_is_the_same_counts_plus_ok(fresh_store, content):
    body = figures.health(fresh_store, content, NOW)
    assert body["ok"] is True and body["people"] == 0 and body["content_version"] == content.version
    json.dumps(body)


def test_health_reports_a_broken_database_without_data(tmp_path: Path, content):
    store = Store(tmp_path / "h.db")
    store.close()
    body = figures.health(store, content, NOW)
    assert body["ok"] is False and body["error"].startswith("database:")


def _bump(store: Store, metric: str, count: int, *, flow: str = "", total: float = 0.0, when: datetime = NOW):
    with store.transaction():
        store.bump(metric, when, flow=flow, count=count, total=total)


def test_small_counts_are_shown_as_under_five_and_thin_averages_hidden(fresh_store, content):
    _bump(fresh_store, "flow_started", 3, flow="signs")
    _bump(fresh_store, "flow_completed", 7, flow="signs")
    _bump(fresh_store, "flow_started", 1, flow="seek_help")
    _bump(fresh_store, "help_directory", 4)
    _bump(fresh_store, "crisis", 2, flow="violence")
    _bump(fresh_store, "crisis", 2, flow="self_harm")  # 4 in all: still under five
    _bump(fresh_store, "checkin_answered", 4, total=12)
    _bump(fresh_store, "checkin_answered", 6, total=21, when=NOW - timedelta(days=7))

    report = ops.weekly_stats(fresh_store, content, NOW, weeks=2)
    last, this = report["weeks"]
    assert this["week"] == "2026-W48" and last["week"] == "2026-W47"
    assert this["flows"]["signs"] == {"started": "<5", "finished": 7}
    assert this["reached_seek_help"] == "<5" and this["help_directory"] == "<5" and this["crisis"] == "<5"
    assert this["checkins_answered"] == "<5" and this["average_rating"] is None
    assert last["checkins_answered"] == 6 and last["average_rating"] == 3.5
    assert this["flows"]["walk_away"] == {"started": 0, "finished": 0}
    table = ops.format_stats(report)
    assert "<5" in table and "3.5" in table and "3.0" not in table
    for line in table.splitlines()[:-2]:  # the last line explains the rule
        assert not any(f" {n} " in f" {line} " for n in ("1", "2", "3", "4")), line


def test_stats_json_carries_the_suppressed_string(tmp_path: Path):
    store = Store(tmp_path / "j.db")
    _bump(store, "flow_started", 2, flow="signs", when=datetime.now(timezone.utc))
    store.close()
    out = fulcrum("stats", "--json", "--weeks", "1", "--db", str(tmp_path / "j.db"))
    assert out.returncode == 0, out.stderr
    week = json.loads(out.stdout)["weeks"][-1]
    assert week["flows"]["signs"]["started"] == "<5"


def test_recent_weeks_cross_a_year_boundary():
    assert ops.recent_weeks(datetime(2027, 1, 6, tzinfo=timezone.utc), 3) == ["2026-W52", "2026-W53", "2027-W01"]
