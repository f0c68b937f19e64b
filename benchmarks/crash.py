"""Benchmark: kill the bot with SIGKILL at random moments under steady traffic; nothing acknowledged may be lost
or applied twice. Last line is one JSON object.

    python benchmarks/crash.py                      # 20 kills of Fulcrum, then 20 of the PicklePersistence baseline
    python benchmarks/crash.py --kills 100 --users 12
    python benchmarks/crash.py --faults --no-baseline   # and Bot API calls failing now and then

The benchmark starts tests/support/fake_telegram.py's FakeTelegram on 127.0.0.1 in its own event loop and runs
`python -m bot run` against it (TELEGRAM_API_BASE_URL, a temp FULCRUM_DB, no FULCRUM_DATA_KEY so notes can be
read back: FULCRUM_ALLOW_PLAINTEXT=true). Several people each /start and agree (again until their agreement is committed: before it nothing
about them is kept, so a kill forgets it), then go round: `/journal MK<user>x<n>` (a note with a unique marker:
one journal row and one reply listing it first), /menu, a press of a menu button, a press of a button on that
step. Each sends
the next update once the previous one was acknowledged (or after a few seconds). Meanwhile the bot is killed
(SIGKILL, at a random moment 0.3–4 s after it was started; `--max-life` changes the 4) and started again, `--kills` times; then it runs
once more until every update is acknowledged and is stopped with SIGTERM.

Checks, over the updates the fake server saw acknowledged (getUpdates offset past them):
  lost       a note with no journal row, or any other update whose id is not in processed_updates; each one is
             named on stderr (and in `lost_updates`) by update id, kind (start, agree, note, menu, press) and the
             exception class the bot logged for it — never its text
  dead_letters  updates the bot gave up on after its retries (kept in the dead_letters table, the person told);
             acknowledged on purpose, so not counted as lost, but named the same way
  doubled    a note with more than one journal row
  integrity_ok  PRAGMA integrity_check
  replies_missing / replies_repeated  notes whose reply (the journal page listing that marker first) was never
             sent / sent more than once
The same traffic against benchmarks/pickle_bot.py (PTB's Updater + PicklePersistence, 60 s flush) gives
baseline_lost: acknowledged notes missing from the pickle's user_data after its final clean shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine  # noqa: E402

from tests.support.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "424242:CRASHbenchmarkTOKENxxxxxxxxxxxxxxxxxx"
MARK = re.compile(r"MK\d+x\d+")
FIRST_USER = 5000


@dataclass
class Sent:
    update_id: int
    user: int
    kind: str  # "start" | "agree" | "note" | "menu" | "press"
    marker: str | None = None


@dataclass
class Traffic:
    fake: FakeTelegram
    users: list[int]
    rng: random.Random
    sent: list[Sent] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    db: Path | None = None  # Fulcrum's database: notes are sent only once the person's agreement is committed

    def agreed(self, user: int) -> bool:
        """Whether the person's agreement is in the database. Until it is, Fulcrum keeps nothing about them (a
        kill forgets the onboarding in hand), so a /journal note then is rightly not stored: not a loss."""
        if self.db is None:
            return True
        try:
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
            try:
                row = conn.execute("SELECT agreed_at FROM people WHERE id = ?", (f"tg:{user}",)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return row is not None and row[0] is not None

    def acked(self, s: Sent) -> bool:
        return s.update_id < self.fake.acked_offset

    async def wait_acked(self, update_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.fake.acked_offset <= update_id and time.monotonic() < deadline and not self.stop.is_set():
            await asyncio.sleep(0.02)

    def newest_with_buttons(self, user: int):
        for rec in reversed(self.fake.sent(user)):
            if rec.from_bot and not rec.deleted and (rec.reply_markup or {}).get("inline_keyboard"):
                return rec
        return None

    def press(self, user: int, *, first: bool = False) -> dict | None:
        rec = self.newest_with_buttons(user)
        if rec is None:
            return None
        buttons = [(t, d) for t, d in self.fake.buttons(user, rec.message_id)
                   if d and not re.search(r"delete|exit|erase", t, re.I)]
        if not buttons:
            return None
        _, data = buttons[0] if first else self.rng.choice(buttons)
        return self.fake.press(user, rec.message_id, data, check=False)

    def record(self, update: dict | None, user: int, kind: str, marker: str | None = None) -> int | None:
        if update is None:
            return None
        self.sent.append(Sent(update["update_id"], user, kind, marker))
        return update["update_id"]

    async def person(self, user: int) -> None:
        """/start and agree (again, until the agreement is committed), then round and round until told to stop."""
        while not self.stop.is_set() and not self.agreed(user):
            await self.step(self.record(self.fake.user_command(user, "/start"), user, "start"), 15)
            deadline = time.monotonic() + 5
            while self.newest_with_buttons(user) is None and time.monotonic() < deadline and not self.stop.is_set():
                await asyncio.sleep(0.05)
            await self.step(self.record(self.press(user, first=True), user, "agree"), 15)
        n = 0
        while not self.stop.is_set():
            n += 1
            marker = f"MK{user}x{n}"
            await self.step(self.record(self.fake.user_command(user, "/journal", f"note {marker}"), user, "note",
                                        marker))
            await self.step(self.record(self.fake.user_command(user, "/menu"), user, "menu"))
            for _ in range(2):
                if self.stop.is_set():
                    break
                await self.step(self.record(self.press(user), user, "press"))

    async def step(self, update_id: int | None, timeout: float = 6) -> None:
        if update_id is not None:
            await self.wait_acked(update_id, timeout)
        await asyncio.sleep(self.rng.uniform(0.0, 0.05))


FAULTS = [  # (method, error): every attempt the adapter makes (1 + 3 retries) fails
    ("answerCallbackQuery", 500),  # the spinner cannot be stopped: the press must still be processed
    ("sendMessage", 500),          # the reply cannot be sent: after the commit, so nothing is retried
    ("editMessageText", 500),
]


async def inject_faults(fake: FakeTelegram, rng: random.Random, stop: asyncio.Event) -> Counter:
    """Every 0.5–2 s one Bot API method fails four times in a row (500), whoever calls it next (unless a fault
    for it is still waiting: they would pile up while the bot is down)."""
    injected: Counter = Counter()
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        method, error = rng.choice(FAULTS)
        if any(f["method"] == method for f in fake._faults):
            continue
        fake.fail_next(method, error=error, count=4)
        injected[method] += 1
    return injected


async def run(kind: str, kills: int, users: int, seed: int, tmp: Path, faults: bool = False,
              max_life: float = 4.0) -> dict:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    rng = random.Random(seed)
    db, pickle_path = tmp / f"{kind}.db", tmp / f"{kind}.pickle"
    traffic = Traffic(fake, [FIRST_USER + i for i in range(users)], rng, db=db if kind == "fulcrum" else None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    env["FULCRUM_DEFAULT_COUNTRY"] = "GB"  # `fulcrum run` needs one: the crisis screen's first number
    env["FULCRUM_ALLOW_PLAINTEXT"] = "true"  # the notes are read back from the file
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url, FULCRUM_DB=str(db),
               FULCRUM_LOG_LEVEL="WARNING", PICKLE_PATH=str(pickle_path), PYTHONPATH=str(ROOT))
    cmd = ([sys.executable, "-m", "bot", "run"] if kind == "fulcrum"
           else [sys.executable, str(ROOT / "benchmarks" / "pickle_bot.py")])
    log = (tmp / f"{kind}.log").open("ab")

    async def spawn() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(*cmd, cwd=tmp, env=env, stdout=log, stderr=log)

    people = [asyncio.create_task(traffic.person(u)) for u in traffic.users]
    faulty = asyncio.create_task(inject_faults(fake, random.Random(seed + 1), traffic.stop)) if faults else None
    began = time.monotonic()
    done = exits = 0
    try:
        for _ in range(kills):
            proc = await spawn()
            await asyncio.sleep(rng.uniform(0.3, max_life))
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                done += 1
            else:  # it stopped by itself: a failure worth reading
                exits += 1
                log.flush()
                tail = (tmp / f"{kind}.log").read_text(errors="replace").splitlines()[-3:]
                print(f"{kind} exited by itself ({proc.returncode}):", *tail, sep="\n", file=sys.stderr)
            await proc.wait()
        traffic.stop.set()
        await asyncio.gather(*people)
        proc = await spawn()  # the last life: everything sent so far is processed and acknowledged
        await fake.wait_for(lambda: not fake.pending_updates(), timeout=60, what="every update acknowledged")
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        for task in people:
            task.cancel()
        injected: Counter = Counter()
        if faulty is not None:
            traffic.stop.set()
            injected = await faulty
        log.close()
        await fake.stop()
    elapsed = time.monotonic() - began
    acked = [s for s in traffic.sent if traffic.acked(s)]
    notes = [s for s in acked if s.kind == "note"]
    result: dict = {"kills": done, "exited_by_itself": exits, "updates_sent": len(traffic.sent), "updates_acked": len(acked),
                    "notes_acked": len(notes), "seconds": round(elapsed, 1)}
    if faults:
        result["faults_injected"] = dict(injected)
        result["api_errors"] = dict(Counter(f"{m} {c}" for m, c, _ in fake.errors))
    if kind == "fulcrum":
        conn = sqlite3.connect(db)
        rows = Counter()
        for (text,) in conn.execute("SELECT text FROM journal"):
            for m in MARK.findall(text):
                rows[m] += 1
        processed = {r[0] for r in conn.execute("SELECT update_id FROM processed_updates")}
        try:
            dead = {r[0] for r in conn.execute("SELECT update_id FROM dead_letters")}
        except sqlite3.OperationalError:  # a version from before dead letters (to compare with)
            dead = set()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        missing = [s for s in notes if rows[s.marker] == 0 and s.update_id not in dead]
        missing += [s for s in acked if s.kind != "note" and s.update_id not in processed]
        lost = len(missing)
        seen = errors_seen((tmp / f"{kind}.log").read_text(errors="replace"))
        named = {"lost_updates": missing, "dead_letter_updates": [s for s in traffic.sent if s.update_id in dead]}
        for label, which in named.items():  # what was lost or given up on: id, kind, exception; never the text
            result[label] = [{"update_id": s.update_id, "kind": s.kind, "recorded": s.update_id in processed,
                              "errors": seen.get(s.update_id, [])} for s in which]
            for item in result[label]:
                print(f"{label[:-8]}: update {item['update_id']} ({item['kind']}, id "
                      f"{'' if item['recorded'] else 'not '}recorded), exceptions seen: "
                      f"{', '.join(item['errors']) or 'none logged'}", file=sys.stderr)
        replies = Counter()
        for user in traffic.users:
            for rec in fake.sent(user):
                if rec.from_bot and rec.text and "MK" in rec.text:
                    first = MARK.search(rec.edits[0].text if rec.edits else rec.text)
                    if first:
                        replies[first.group(0)] += 1
        result.update(lost=lost, dead_letters=len(dead), doubled=sum(1 for s in notes if rows[s.marker] > 1),
                      integrity_ok=integrity == "ok",
                      replies_missing=sum(1 for s in notes if replies[s.marker] == 0),
                      replies_repeated=sum(max(0, replies[s.marker] - 1) for s in notes))
    else:
        kept = Counter()
        if pickle_path.exists():
            with pickle_path.open("rb") as fh:
                data = pickle.load(fh)
            for user_data in data.get("user_data", {}).values():
                for text in user_data.get("journal", []):
                    for m in MARK.findall(text):
                        kept[m] += 1
        result.update(lost=sum(1 for s in notes if kept[s.marker] == 0),
                      doubled=sum(1 for s in notes if kept[s.marker] > 1))
    return result


FAILED = re.compile(r"update (\d+) person \S+ (?:failed: (\w+)|failed[^(]*\((\w+)\)|could not be processed: (\w+))")


def errors_seen(log_text: str) -> dict[int, list[str]]:
    """Update id → the exception classes the bot logged for it, in order, without repeats (class names only:
    the bot's log lines never carry what was written)."""
    seen: dict[int, list[str]] = {}
    for line in log_text.splitlines():
        match = FAILED.search(line)
        if match is None:
            continue
        name = match.group(2) or match.group(3) or match.group(4)
        names = seen.setdefault(int(match.group(1)), [])
        if name not in names:
            names.append(name)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-baseline", action="store_true", help="only Fulcrum")
    parser.add_argument("--max-life", type=float, default=4.0,
                        help="kill each life at a random moment from 0.3 s to this many seconds after its start")
    parser.add_argument("--faults", action="store_true",
                        help="also make Bot API calls fail (answerCallbackQuery, sendMessage, editMessageText: 500 "
                             "four times in a row, every 0.5-2 s)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="an empty folder to keep the databases and logs in (to look into a loss)")
    args = parser.parse_args()
    with contextlib.nullcontext(str(args.keep)) if args.keep else tempfile.TemporaryDirectory(
            prefix="fulcrum-crash-") as tmp:
        ours = asyncio.run(run("fulcrum", args.kills, args.users, args.seed, Path(tmp), args.faults, args.max_life))
        print(json.dumps(ours), file=sys.stderr)
        out = {k: ours[k] for k in ("kills", "exited_by_itself", "updates_acked", "lost", "dead_letters", "doubled",
                                    "integrity_ok", "replies_missing", "replies_repeated", "lost_updates")}
        out.update(notes_acked=ours["notes_acked"], seconds=ours["seconds"])
        if args.faults:
            out["faults_injected"] = ours["faults_injected"]
        if not args.no_baseline:
            base = asyncio.run(run("baseline", args.kills, args.users, args.seed, Path(tmp), max_life=args.max_life))
            print(json.dumps(base), file=sys.stderr)
            out.update(baseline_lost=base["lost"], baseline_kills=base["kills"], baseline_updates_acked=base["updates_acked"],
                       baseline_notes_acked=base["notes_acked"])
    print(json.dumps({**out, "machine": machine()}))


if __name__ == "__main__":
    main()
