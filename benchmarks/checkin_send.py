"""Check-in reminders under Telegram's limit while people keep talking.

    python benchmarks/checkin_send.py [--prompts 3000] [--talkers 20]

The real bot (`python -m bot run`, in its own process) runs against a local FakeTelegram that answers 429 when
more than 30 messages arrive within any one-second window (fake.rate_limit(30)). `--prompts` people are due at
once; `--talkers` other people keep talking (a command, wait for the answer, think 3–5 s, again). Reports the
sustained reminder rate, the p99 latency of the talkers' replies while the sweep runs, 429s and duplicates.
The last line is one JSON object: prompts, messages_per_s, reply_p99_ms, http_429, duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from checkin_sweep import TOKEN, know_chats, seed, start_bot, stop_bot  # noqa: E402

TALKER_BASE = 900_000


def seed_talkers(db: Path, n: int, now: datetime) -> None:
    from bot.core.clock import iso
    from bot.store.store import Store

    store = Store(db, secure_delete=False)
    stamp = iso(now)
    with store.transaction():
        for i in range(n):
            store.execute("INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state) "
                          "VALUES (?, ?, ?, ?, ?, '{}', ?)",
                          (f"tg:{TALKER_BASE + i}", TALKER_BASE + i, stamp, stamp, stamp,
                           json.dumps({"flow": "menu", "step": "home"})))
    store.close()


async def run(prompts: int, talkers: int) -> dict:
    from tests.support.fake_telegram import FakeTelegram

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "send.db"
        seed(db, prompts, now, due_now=prompts)
        seed_talkers(db, talkers, now)
        fake = FakeTelegram(token=TOKEN)
        fake.rate_limit(30)
        await fake.start()
        prompt_chats = set(range(100000, 100000 + prompts))
        know_chats(fake, [*prompt_chats, *range(TALKER_BASE, TALKER_BASE + talkers)])
        stamps: list[float] = []  # when each reminder reached the fake
        latencies: list[float] = []
        done = asyncio.Event()
        try:
            proc, _ = await start_bot(db, fake, sweep_seconds=1.0)

            def reminders() -> int:
                return sum(1 for m, p in fake.calls if m == "sendMessage" and int(p.get("chat_id", 0)) in prompt_chats)

            async def watch() -> None:
                seen = 0
                while not done.is_set():
                    count = reminders()
                    if count > seen:
                        stamps.extend([time.monotonic()] * (count - seen))
                        seen = count
                    if seen >= prompts:
                        done.set()
                    await asyncio.sleep(0.01)

            async def talker(i: int) -> None:
                uid, rng = TALKER_BASE + i, random.Random(i)
                await asyncio.sleep(rng.uniform(0, 3))
                commands = ["menu", "help", "progress", "checkins"]
                while not done.is_set():
                    before = len(fake.sent(uid))
                    started = time.monotonic()
                    fake.user_command(uid, rng.choice(commands))
                    try:
                        await fake.wait_for(lambda: len(fake.sent(uid)) > before, timeout=30)
                    except Exception:  # noqa: BLE001 - a lost reply counts as a very slow one
                        latencies.append(30.0)
                        continue
                    if stamps and not done.is_set():  # only replies while the sweep is sending
                        latencies.append(time.monotonic() - started)
                    await asyncio.sleep(rng.uniform(3, 5))

            await asyncio.wait_for(asyncio.gather(watch(), *(talker(i) for i in range(talkers))),
                                   timeout=prompts / 10 + 120)
            await asyncio.sleep(2)  # anything sent twice would show up now
            await stop_bot(proc)
            per_chat = Counter(int(p.get("chat_id", 0)) for m, p in fake.calls
                               if m == "sendMessage" and int(p.get("chat_id", 0)) in prompt_chats)
            # A 429 answer is recorded as a call too: count only sends that produced a message.
            delivered = Counter(chat for chat in prompt_chats for _ in fake.sent(chat))
        finally:
            await fake.stop()
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else float("nan")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return {
        "prompts": sum(1 for c in prompt_chats if delivered[c]),
        "messages_per_s": round((len(stamps) - 1) / span, 2) if span == span and span > 0 else None,
        "reply_p99_ms": round(p99 * 1000, 1),
        "http_429": fake.http_429,
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
        "replies_measured": len(latencies),
        "send_calls": sum(per_chat.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=3000)
    parser.add_argument("--talkers", type=int, default=20)
    args = parser.parse_args()
    result = asyncio.run(run(args.prompts, args.talkers))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
