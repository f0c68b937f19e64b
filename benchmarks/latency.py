"""What a person waits for: time from a press or a message to the bot's first visible reaction, open loop.

    python benchmarks/latency.py                         # ours and bare PTB at 5/10/15/20 a second, and a sweep
    python benchmarks/latency.py --rates 20 --seconds 30 --variants ours
    python benchmarks/latency.py --root ../other-checkout # the bot from another checkout (before/after)

The bot runs in its own process (`python -m bot run`, long polling) against tests/support/fake_telegram.py on
127.0.0.1 with Telegram's caps turned on: 30 messages (send*/edit*) in any one second overall, and per chat one a
second with bursts of 3 (`fake.rate_limit(30, per_chat=1, chat_burst=3)`); over a cap the fake answers 429 with
retry_after, as Telegram does. `--people` people (agreed, at the menu) first each open the menu (untimed), then
interactions arrive at a steady rate (open loop: the k-th at start + k/rate, whether or not earlier ones were
answered), people taking turns in a shuffled order: 85% press a random button of the last message with buttons
in their chat, 12% write a sentence, 3% send /menu.

Reaction: the first send*/edit* in that person's chat that the fake accepts after the update was queued (for a
press, answering the callback alone stops the spinner but shows nothing, so it is reported apart, answer_*).

Variants (each its own bot process):
  ours   Fulcrum as `fulcrum run` starts it (rate limiter, check-in sweep job).
  bare   a bare PTB Application (its own polling, concurrent updates, no rate limiter) making the same calls as
         ours does for most interactions: a press → answerCallbackQuery + editMessageText into the next step with
         a keyboard; text → one sendMessage with a keyboard.
  sweep  ours while a check-in sweep sends `--prompts` reminders (due a few seconds into the timed phase), with
         interactions at `--sweep-rate`: worst and p99 reply delay while reminders were going out, the sweep's
         own rate, 429s.

The last line is one JSON object: {"machine", "settings", "ours": {rate: figures}, "bare": {...}, "sweep": {...}}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, percentile  # noqa: E402

import checkin_sweep  # noqa: E402
from checkin_send import TALKER_BASE, seed_talkers  # noqa: E402
from checkin_sweep import TOKEN, know_chats, seed, start_bot, stop_bot  # noqa: E402

TEXTS = ["I keep thinking about how the week went", "Mostly fine, a bit tired", "hmm", "not sure what to say",
         "We talked it through and it helped", "I would like more time for myself"]
PROMPT_BASE = 100000  # checkin_sweep.seed's people


def visible(method: str) -> bool:
    return method.startswith(("send", "edit")) and method != "sendChatAction"


class Load:
    """Drives people through the fake and times each interaction to the first visible reaction."""

    def __init__(self, fake, people: list[int], seed: int):
        self.fake, self.people = fake, people
        self.rng = random.Random(seed)
        self.pending: dict[int, tuple[float, str]] = {}  # chat → (queued at, kind)
        self.queries: dict[str, float] = {}  # callback query id → queued at
        self.results: list[tuple[float, float, str]] = []  # (queued at, seconds, kind)
        self.answers: list[float] = []
        self.lost: dict[str, int] = {}  # interactions that showed nothing (e.g. a press on a step that stays), by kind
        self.reminders: list[float] = []  # when each check-in reminder reached the fake
        fake.observe(self._seen)

    def _seen(self, method: str, params: dict, ok: bool) -> None:
        if not ok:
            return
        now = time.perf_counter()
        if method == "answerCallbackQuery":
            began = self.queries.pop(str(params.get("callback_query_id")), None)
            if began is not None:
                self.answers.append(now - began)
            return
        if not visible(method):
            return
        try:
            chat = int(params.get("chat_id"))
        except (TypeError, ValueError):
            return
        if chat >= PROMPT_BASE and chat < TALKER_BASE and method == "sendMessage":
            self.reminders.append(now)
        entry = self.pending.pop(chat, None)
        if entry is not None:
            self.results.append((entry[0], now - entry[0], entry[1]))

    def screen(self, uid: int):
        for rec in reversed(self.fake.sent(uid)):
            if not rec.deleted and (rec.reply_markup or {}).get("inline_keyboard"):
                return rec
        return None

    def act(self, uid: int) -> None:
        if uid in self.pending:  # the previous interaction never showed anything
            self._lose(self.pending.pop(uid)[1])
        rng, rec = self.rng, self.screen(uid)
        r = rng.random()
        began = time.perf_counter()
        if rec is not None and r < 0.85:
            data = rng.choice([d for _, d in self.fake.buttons(uid, rec.message_id) if d])
            update = self.fake.press(uid, rec.message_id, data)
            self.queries[update["callback_query"]["id"]] = began
            kind = "press"
        elif r < 0.97 and rec is not None:
            self.fake.user_text(uid, f"{rng.choice(TEXTS)} ({rng.randrange(10**6)})")
            kind = "text"
        else:
            self.fake.user_command(uid, "menu")
            kind = "command"
        self.pending[uid] = (began, kind)

    async def open_loop(self, rate: float, seconds: float, order: list[int]) -> tuple[float, float]:
        n = max(1, int(rate * seconds))
        start = time.perf_counter()
        for k in range(n):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.act(order[k % len(order)])
        await self.drain()
        return start, time.perf_counter()

    def _lose(self, kind: str) -> None:
        self.lost[kind] = self.lost.get(kind, 0) + 1

    async def drain(self, timeout: float = 15) -> None:
        deadline = time.perf_counter() + timeout
        while self.pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        for _, kind in self.pending.values():
            self._lose(kind)
        self.pending.clear()

    def figures(self, since: float, until: float, http_429: int) -> dict:
        took = sorted(s for at, s, _ in self.results if since <= at <= until)
        presses = sorted(s for at, s, kind in self.results if since <= at <= until and kind == "press")
        return {"interactions": len(took), "p50_ms": ms(percentile(took, 0.5)), "p99_ms": ms(percentile(took, 0.99)),
                "max_ms": ms(took[-1] if took else 0), "press_p99_ms": ms(percentile(presses, 0.99)),
                "http_429": http_429}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def warm_up(load: Load, people: list[int], rate: float = 20) -> None:
    """Everyone opens the menu (untimed), so each has a keyboard on screen."""
    for uid in people:
        load.fake.user_command(uid, "menu")
        await asyncio.sleep(1 / rate)
    await load.fake.wait_for(lambda: all(load.screen(uid) for uid in people), timeout=120, what="menus shown")
    load.pending.clear()


def start_bare(fake, tmp: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--bare-bot", fake.base_url],
                            cwd=str(tmp), stdout=subprocess.DEVNULL, stderr=open(tmp / "bot.err", "wb"))


async def run(kind: str, args: argparse.Namespace) -> dict:
    from tests.support.fake_telegram import FakeTelegram

    people = [TALKER_BASE + i for i in range(args.people)]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="fulcrum-latency-") as tmp:
        db = Path(tmp) / "latency.db"
        sweep_at = None
        if kind == "sweep":
            # Due a few seconds into the timed phase: the warm-up (people / 20 s) and start-up come first.
            sweep_at = now + timedelta(seconds=args.people / 20 + 20)
            seed(db, args.prompts, sweep_at, due_now=args.prompts, sealed=not args.root)  # an older bot reads plain rows
        seed_talkers(db, args.people, now)
        fake = FakeTelegram(token=TOKEN)
        fake.rate_limit(30, per_chat=1, chat_burst=3)
        await fake.start()
        know_chats(fake, people)
        if kind == "sweep":
            know_chats(fake, range(PROMPT_BASE, PROMPT_BASE + args.prompts))
        load = Load(fake, people, args.seed)
        order = people[:]
        random.Random(args.seed).shuffle(order)
        out: dict = {}
        try:
            if kind == "bare":
                proc = start_bare(fake, Path(tmp))
                await fake.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), timeout=60)
            else:
                checkin_sweep.ROOT = args.root  # the checkout whose bot runs (bot_env's PYTHONPATH)
                proc, _ = await start_bot(db, fake, sweep_seconds=1.0 if kind == "sweep" else 3600.0)
            await warm_up(load, people)
            if kind == "sweep":
                assert sweep_at is not None
                wait = (sweep_at - datetime.now(timezone.utc)).total_seconds() - 3
                if wait > 0:
                    await asyncio.sleep(wait)
                before = fake.http_429
                start = time.perf_counter()
                # Interactions until every reminder is out (or the time is up), at --sweep-rate.
                rate, k = args.sweep_rate, 0
                while len(load.reminders) < args.prompts and time.perf_counter() - start < args.sweep_timeout:
                    delay = start + k / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    load.act(order[k % len(order)])
                    k += 1
                await load.drain()
                rem = load.reminders
                during = load.figures(rem[0], rem[-1], fake.http_429 - before) if rem else {}
                during["http_429_per_chat"] = fake.http_429_chat
                out = {"prompts": args.prompts, "reminders_sent": len(rem), "rate": rate,
                       "reminders_per_s": round((len(rem) - 1) / (rem[-1] - rem[0]), 1) if len(rem) > 1 else None,
                       "worst_reply_ms": during.get("max_ms"), **{f"during_{k}": v for k, v in during.items()},
                       "nothing_shown": load.lost}
            else:
                for rate in args.rates:
                    before = fake.http_429
                    since, until = await load.open_loop(rate, args.seconds, order)
                    out[str(rate)] = {**load.figures(since, until, fake.http_429 - before),
                                      "answer_p99_ms": ms(percentile(sorted(load.answers), 0.99))}
                    load.answers.clear()
                    await asyncio.sleep(1.5)
                out["nothing_shown"] = load.lost
            await stop_bot(proc)
        finally:
            await fake.stop()
    return out


# ---- the bare PTB bot (its own process) -----------------------------------------------------------------------

def bare_bot(base_url: str) -> None:
    import html
    import itertools

    from telegram import InlineKeyboardMarkup, Update
    from telegram.constants import ParseMode
    from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

    from throughput import QUESTION, canned_keyboard

    turns = itertools.count(2)

    def markup() -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup.de_json(canned_keyboard("bare00", next(turns)), None)

    async def press(update: Update, context) -> None:
        query = update.callback_query
        await query.answer()
        await query.message.edit_text(html.escape(QUESTION), parse_mode=ParseMode.HTML, reply_markup=markup())

    async def text(update: Update, context) -> None:
        await context.bot.send_message(update.effective_chat.id, html.escape(QUESTION), parse_mode=ParseMode.HTML,
                                       reply_markup=markup())

    application = Application.builder().token(TOKEN).base_url(base_url).concurrent_updates(64).build()
    application.add_handler(CallbackQueryHandler(press))
    application.add_handler(MessageHandler(filters.TEXT, text))
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[5, 10, 15, 20], help="interactions a second")
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds per rate")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--variants", nargs="+", default=["ours", "bare", "sweep"], choices=["ours", "bare", "sweep"])
    parser.add_argument("--prompts", type=int, default=480, help="reminders in the sweep variant")
    parser.add_argument("--sweep-rate", type=float, default=20, help="interactions a second during the sweep")
    parser.add_argument("--sweep-timeout", type=float, default=90)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose bot runs (ours, sweep)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bare-bot", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_bot:
        bare_bot(args.bare_bot)
        return
    args.root = args.root.resolve()
    result: dict = {"machine": machine(), "settings": {
        "people": args.people, "seconds": args.seconds, "caps": "30/s overall (send*/edit*), 1/s per chat burst 3",
        "root": str(args.root)}}
    for kind in args.variants:
        result[kind] = asyncio.run(run(kind, args))
        print(kind, json.dumps(result[kind]), file=sys.stderr, flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
