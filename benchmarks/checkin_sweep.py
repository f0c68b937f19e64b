"""Check-in sweep at scale: due selection over N schedules, the bot's peak RSS and its start-up time.

    python benchmarks/checkin_sweep.py --users 100000

Seeds N agreed people with random schedules (random zones, times, frequencies, quiet days) in a temporary
database, then
- times the sweep's due selection (the indexed `WHERE next_due <= ? ORDER BY next_due LIMIT n` joined to people)
  at 20+ different moments and reports the median;
- starts the real bot (`python -m bot run`) in a subprocess against a local FakeTelegram, measures the time from
  process start to its first getUpdates, lets it run a few sweeps over the seeded people, stops it with SIGTERM
  and reads its peak RSS from wait4().
The last line is one JSON object: users, due_select_ms, rss_mb, startup_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney",
         "Asia/Kolkata", "America/Sao_Paulo", "Africa/Nairobi", "UTC"]
TIMES = ["08:00", "12:00", "18:00", "21:00", "07:30", "19:45"]
FREQS = ["daily", "few_days", "weekly"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TOKEN = "123456:BENCH"
KEY = "nlwfsx7HJTgawxJBInIwGRY_KhASP7WxpEFGXRDv7ks"  # FULCRUM_DATA_KEY for the bot under test: a benchmark key, never a real one


def seed(db: Path, users: int, now: datetime, *, due_now: int = 0, rng: random.Random | None = None,
         sealed: bool = True) -> None:
    """N agreed people at the menu with schedules computed by the real arithmetic; `due_now` of them due now.
    `sealed`: their state and profile encrypted with KEY, as the bot (which runs with KEY) writes them."""
    from bot.core.clock import iso
    from bot.features.checkins.schedule import Plan, first_slot
    from bot.store.crypto import Cipher
    from bot.store.store import Store

    rng = rng or random.Random(7)
    store = Store(db, Cipher(KEY) if sealed else None, secure_delete=False)
    kid = store.cipher.current
    stamp = iso(now - timedelta(days=3))
    state = json.dumps({"flow": "menu", "step": "home"})
    people, schedules = [], []
    for i in range(users):
        pid = f"tg:{100000 + i}"
        freq, tz, at = rng.choice(FREQS), rng.choice(ZONES), rng.choice(TIMES)
        quiet = sorted(rng.sample(DAYS, rng.choice([0, 0, 0, 1, 2])), key=DAYS.index)
        plan = Plan(freq, at, tz, frozenset(DAYS.index(d) for d in quiet))
        due = now - timedelta(seconds=1) if i < due_now else first_slot(plan, now + timedelta(hours=rng.uniform(0, 160)))
        profile = json.dumps({"checkins": freq, "checkins_time": at, "checkins_tz": tz})
        people.append((pid, 100000 + i, stamp, stamp, stamp, store.seal(profile, pid, "profile")[0],
                       store.seal(state, pid, "state")[0], kid))
        schedules.append((pid, freq, at, tz, json.dumps(quiet), iso(due)))
    with store.transaction():
        store.conn.executemany("INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state, "
                               "key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", people)
        store.conn.executemany("INSERT INTO schedules (person, frequency, local_time, tz, quiet_days, next_due) "
                               "VALUES (?, ?, ?, ?, ?, ?)", schedules)
    store.execute("ANALYZE")
    store.close()


def due_select_ms(db: Path, now: datetime, sweeps: int = 25, batch: int = 500) -> float:
    """The sweep's own selection query, timed at `sweeps` moments spread over the coming week."""
    from bot.core.clock import iso
    from bot.store.store import Store

    store = Store(db)
    times = []
    for k in range(sweeps):
        at = iso(now + timedelta(hours=k * 7))
        started = time.perf_counter()
        rows = store.execute(
            """SELECT s.person, s.frequency, s.local_time, s.tz, s.quiet_days, s.next_due, s.pending_slot,
                      p.chat_id, p.active, p.state, p.last_seen, p.profile
               FROM schedules s JOIN people p ON p.id = s.person
               WHERE s.next_due <= ? ORDER BY s.next_due LIMIT ?""", (at, batch)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
        assert len(rows) <= batch
    store.close()
    return statistics.median(times)


def bot_env(db: Path, base_url: str, sweep_seconds: float = 1.0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    env["FULCRUM_DEFAULT_COUNTRY"] = "GB"  # `fulcrum run` needs one: the crisis screen's first number
    env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url, "FULCRUM_DB": str(db),
                "FULCRUM_SWEEP_SECONDS": str(sweep_seconds), "FULCRUM_LOG_LEVEL": "WARNING", "FULCRUM_DATA_KEY": KEY,
                "PYTHONPATH": str(ROOT)})
    return env


def know_chats(fake, chat_ids) -> None:
    """The fake answers "chat not found" for chats that never wrote to the bot; these people have."""
    for chat_id in chat_ids:
        fake._chat(chat_id)  # noqa: SLF001 - test support's own registry of private chats


async def start_bot(db: Path, fake, *, sweep_seconds: float = 1.0) -> tuple[subprocess.Popen, float]:
    """`python -m bot run` against the fake; returns the process and seconds until its first getUpdates."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--db", str(db)], cwd=str(db.parent),
                            env=bot_env(db, fake.base_url, sweep_seconds), stdout=subprocess.DEVNULL,
                            stderr=open(db.parent / "bot.err", "wb"))
    await fake.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), timeout=60)
    return proc, time.monotonic() - started


async def stop_bot(proc: subprocess.Popen) -> float:
    """SIGTERM, wait (the fake keeps answering meanwhile), and the child's peak RSS in MB (ru_maxrss is KiB)."""
    proc.send_signal(signal.SIGTERM)
    _, status, usage = await asyncio.to_thread(os.wait4, proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


async def measure_bot(db: Path, seconds: float, users: int) -> tuple[float, float, int]:
    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    know_chats(fake, range(100000, 100000 + users))
    try:
        proc, startup = await start_bot(db, fake)
        await asyncio.sleep(seconds)
        rss = await stop_bot(proc)
        prompts = sum(1 for m, _ in fake.calls if m == "sendMessage")
        if proc.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
            err = (db.parent / "bot.err").read_text(errors="replace")
            print(f"bot exited with {proc.returncode}: {err[-2000:]}", file=sys.stderr)
    finally:
        await fake.stop()
    return startup, rss, prompts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=25)
    parser.add_argument("--run-seconds", type=float, default=6.0, help="how long the bot runs for the RSS figure")
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        seed(db, args.users, now, due_now=200)
        seeded = time.perf_counter() - t0
        select_ms = due_select_ms(db, now, args.sweeps)
        startup, rss, prompts = asyncio.run(measure_bot(db, args.run_seconds, args.users))
    print(f"seeded {args.users} in {seeded:.1f}s; bot sent {prompts} messages while measured", file=sys.stderr)
    print(json.dumps({"users": args.users, "due_select_ms": round(select_ms, 3), "rss_mb": round(rss, 1),
                      "startup_s": round(startup, 3)}))


if __name__ == "__main__":
    main()
