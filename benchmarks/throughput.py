"""Benchmark: updates per second through the whole Telegram stack, without a network; last line is one JSON object.

    python benchmarks/throughput.py --users 100000            # Fulcrum only
    python benchmarks/throughput.py --users 1000 100000 --all # Fulcrum, PTB's floor and the PicklePersistence baseline

What one timed update is (the same in every variant): `Update.de_json` of a dict shaped like Telegram's, then
`application.update_processor.process_update(update, application.process_update(update))` — the call
PTB's Application (and our Poller) makes — through handlers and every Bot API call they make, answered by
tests/support/offline.py's OfflineRequest (canned JSON, no socket). The rate limiter is left out in every
variant: it holds sending to Telegram's 30 messages a second on purpose, and the question is our headroom.

Variants, each in its own process (so ru_maxrss is its own):
  ours      build_application + Fulcrum on a real SQLite file (WAL, synchronous=NORMAL) in a temp dir, N
            people pre-seeded (agreed, spread over the menu's flows), then M updates over random people:
            85% presses of a button really on their screen (callback data captured from the replies), the
            rest free text (a reflection at a text step, otherwise words the step does not expect) or /menu.
            With FULCRUM_DATA_KEY set (as `fulcrum run` requires), unless --plaintext.
  floor     the same processor and the same calls per update (answer the callback and edit the pressed
            message into the next step with a keyboard, as ours does for most presses; text → one message),
            canned texts, no engine, no store.
  baseline  the journey the way PTB's examples write it: ConversationHandler (choose / type states),
            answers in user_data, PicklePersistence file (default update_interval, 60 s) pre-seeded with N
            people, PTB's default update processor.

updates_per_s = M / (sum of the timed sections); the updates are fed one after the other (one core).
updates_per_cpu_s = M / (this process's CPU seconds in those sections): on a machine shared with other work,
where waiting for a core inflates the wall clock, it moves much less (compare runs with it when not quiet).
With --floor, ours and floor run three times interleaved (ours, floor, ours, floor, ours, floor) and
floor_ratio is the median of the three pairs' ratios; floor_pairs lists all three.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import asyncio
import gc
import html
import itertools
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, peak_rss_mb, percentile, run_together, run_variant  # noqa: E402

from tests.support.offline import EDITS, OfflineRequest, Updates, buttons, chat_dict, offline  # noqa: E402

TOKEN = "123456:BENCHMARK"
BENCH_KEY = "nlwfsx7HJTgawxJBInIwGRY_KhASP7WxpEFGXRDv7ks"  # a benchmark's FULCRUM_DATA_KEY, never a real one
FIRST_USER = 10_000_000
TEXTS = ["I keep thinking about how the week went", "Mostly fine, a bit tired", "hmm", "not sure what to say",
         "We talked it through and it helped", "I would like more time for myself"]


# ---- the stream: the same driver for every variant --------------------------------------------------------

class Screens:
    """What each person saw before the stream, built when asked: holding 100k message dicts would put the
    benchmark's own bookkeeping into the bot's peak RSS."""

    def __init__(self, build: Callable[[int], dict]):
        self.build = build

    def __getitem__(self, uid: int) -> dict:
        return self.build(uid)


class ScreenRequest(OfflineRequest):
    """OfflineRequest that also takes an edit of a message it never sent (a person's first, pre-seeded screen,
    edited in place into the next step) as that chat's newest message, so the driver presses what is on screen."""

    def answer(self, endpoint: str, p: dict) -> object:
        result = super().answer(endpoint, p)
        if endpoint in EDITS and self.remember and isinstance(result, dict):
            self.last.setdefault(int(p.get("chat_id", 0)), result)
        return result


class Driver:
    """Picks a random person and what they do next, from what is on their screen (the last message sent)."""

    def __init__(self, request: OfflineRequest, updates: Updates, users: int, screens: "Screens", seed: int):
        self.request, self.updates, self.users, self.screens = request, updates, users, screens
        self.rng = random.Random(seed)

    def next(self) -> dict:
        rng = self.rng
        uid = FIRST_USER + rng.randrange(self.users)
        screen = self.request.last.get(uid) or self.screens[uid]
        options = buttons(screen)
        r = rng.random()
        if options and r < 0.85:
            return self.updates.press_data(uid, screen, rng.choice(options)[1])
        if r < 0.97 or not options:
            return self.updates.text_data(uid, f"{rng.choice(TEXTS)} ({rng.randrange(10**6)})")
        return self.updates.text_data(uid, "/menu")


class Latencies(list):
    """Wall-clock seconds of each timed update, and the process's CPU seconds over the same sections (`cpu`)."""
    cpu = 0.0


async def timed_stream(application, driver: Driver, m: int, warmup: int) -> Latencies:
    bot, processor = application.bot, application.update_processor
    from telegram import Update

    latencies = Latencies()
    clock, cpu = time.perf_counter, time.process_time
    for n in range(warmup + m):
        data = driver.next()
        began, began_cpu = clock(), cpu()
        update = Update.de_json(data, bot)
        await processor.process_update(update, application.process_update(update))
        await asyncio.sleep(0)  # as between updates from the network: due timers (the JobQueue's jobs) run, timed
        if n >= warmup:
            latencies.append(clock() - began)
            latencies.cpu += cpu() - began_cpu
    return latencies


def figures(latencies: Latencies, users: int, m: int, request: OfflineRequest, seconds_setup: float) -> dict:
    ordered = sorted(latencies)
    return {"users": users, "updates": m, "updates_per_s": round(m / sum(latencies)),
            "updates_per_cpu_s": round(m / latencies.cpu) if latencies.cpu else None,
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 3), "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
            "rss_mb": peak_rss_mb(), "api_calls": dict(sorted(request.calls.items())),
            "setup_s": round(seconds_setup, 1)}


# ---- ours ---------------------------------------------------------------------------------------------

def seed_people(app, users: int, now: datetime) -> "Screens":
    """N agreed people straight into the database, each at the first step of a menu flow (or the menu); returns
    the screen each of them last saw (text and keyboard of that step, with its real callback data)."""
    from bot.core.clock import iso
    from bot.core.feature import LANGUAGE_KEY
    from bot.adapters.telegram import render
    from flows.model import Conversation, Input, Person

    flows = sorted((f for f in app.content.flows.values() if getattr(f.spec, "menu", None)), key=lambda f: f.id)
    starts = [("menu", app.content.flows["menu"].spec.start)] + [(f.id, f.spec.start) for f in flows]
    ctx = app.context(now)
    screens_by_state = {}
    for flow, step in starts:
        person = Person(conversation=Conversation(flow=flow, step=step, turn=1), agreed=True)
        reply = app.engine.handle(person, Input.open(), ctx).replies[-1]
        markup = render.keyboard(reply, app.content.version)
        state = json.dumps(Conversation(flow=flow, step=step, turn=reply.turn).to_dict(), sort_keys=True)
        screens_by_state[(flow, step)] = (state, reply.text, markup.to_dict() if markup else None)
    stamp = iso(now)
    profile = json.dumps({LANGUAGE_KEY: app.content.lang})  # as every agreed person's: chosen at first contact
    rows = []
    for i in range(users):
        uid = FIRST_USER + i
        state, _, _ = screens_by_state[starts[i % len(starts)]]
        pid = f"tg:{uid}"
        seal = app.store.seal  # as the bot writes them: sealed with FULCRUM_DATA_KEY unless --plaintext
        rows.append((pid, uid, stamp, stamp, stamp, seal(profile, pid, "profile")[0], seal(state, pid, "state")[0],
                     seal("{}", pid, "answers")[0], seal("[]", pid, "completed")[0], app.store.cipher.current,
                     app.content.version))

    def screen(uid: int) -> dict:
        _, text, markup = screens_by_state[starts[(uid - FIRST_USER) % len(starts)]]
        built = {"message_id": 1, "date": int(now.timestamp()), "chat": chat_dict(uid), "text": text}
        if markup:
            built["reply_markup"] = markup
        return built

    screens = Screens(screen)
    with app.store.transaction():
        app.store.conn.executemany(
            "INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state, answers, completed, "
            "key_id, content_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return screens


async def run_ours(users: int, m: int, warmup: int, seed: int) -> dict:
    from dataclasses import replace

    from bot.compose import build, features
    from flows.content import ContentError
    from bot.core.settings import Settings
    from bot.adapters.telegram import build_application
    from bot.features.retention import WAL_JOB

    with tempfile.TemporaryDirectory(prefix="fulcrum-bench-") as tmp:
        began = time.perf_counter()
        settings = Settings(db=Path(tmp) / "bench.db", telegram_bot_token=TOKEN, _env_file=None)
        without = set(filter(None, os.environ.get("FULCRUM_BENCH_WITHOUT", "").split(",")))
        try:
            app = build(settings, with_features=[f for f in features(settings) if f.name not in without])
        except ContentError:  # content names its actions or commands: keep those, drop what runs every turn
            app = build(settings, with_features=[replace(f, after_turn=(), views={}, guard=None)
                                                 if f.name in without else f for f in features(settings)])
        if "triage" in without:  # what triage costs (`--cost triage`): here only; the bot always triages
            from flows.safety import Verdict
            app.triage.assess = lambda text: Verdict()
        screens = seed_people(app, users, datetime.now(timezone.utc))
        # Of the periodic jobs only the WAL fold, as `fulcrum run` has it (the others run once a minute or day).
        application = build_application(settings, app, jobs=[j for j in app.jobs if j.name == WAL_JOB])
        ids = itertools.count(100)
        request = offline(application, ScreenRequest(ids=ids))
        driver = Driver(request, Updates(application.bot, ids=ids), users, screens, seed)
        async with application:
            await application.start()
            setup = time.perf_counter() - began
            gc.collect()
            latencies = await timed_stream(application, driver, m, warmup)
            await application.stop()
        result = figures(latencies, users, m, request, setup)
        result["db_mb"] = round(sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 2**20, 1)
        app.store.close()
    return result


# ---- PTB's floor: the same calls, nothing of ours -------------------------------------------------------

# Fulcrum's keyboards carry about six buttons on average over this stream (PTB's cost of a message grows with
# its buttons), so the canned ones have six.
def canned_keyboard(prefix: str, turn: int, n: int = 6) -> dict:
    return {"inline_keyboard": [[{"text": f"Option {i + 1}", "callback_data": f"{prefix}:{turn}:opt{i}"}]
                                for i in range(n)]}


def canned_screens(users: int, prefix: str) -> Screens:
    keyboard, date = canned_keyboard(prefix, 1), int(time.time())
    return Screens(lambda uid: {"message_id": 1, "date": date, "chat": chat_dict(uid),
                                "text": "Where would you like to start?", "reply_markup": keyboard})


QUESTION = "A question about how things are at home, and four answers to choose from."


async def run_floor(users: int, m: int, warmup: int, seed: int) -> dict:
    from telegram import InlineKeyboardMarkup, Update
    from telegram.constants import ParseMode
    from telegram.ext import ApplicationBuilder, TypeHandler

    from bot.adapters.telegram.processor import PersonOrderedProcessor

    began = time.perf_counter()
    application = (ApplicationBuilder().token(TOKEN).updater(None)
                   .concurrent_updates(PersonOrderedProcessor(64)).build())
    turns = itertools.count(2)

    async def handle(update: Update, context) -> None:
        query = update.callback_query
        chat_id = update.effective_chat.id
        markup = InlineKeyboardMarkup.de_json(canned_keyboard("floor0", next(turns)), None)
        if query is not None:  # as ours: answer, then the pressed message becomes the next step
            await query.answer()
            await query.message.edit_text(html.escape(QUESTION), parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        await context.bot.send_message(chat_id, html.escape(QUESTION), parse_mode=ParseMode.HTML, reply_markup=markup)

    application.add_handler(TypeHandler(Update, handle))
    return await run_canned(application, "floor0", users, m, warmup, seed, began)


async def run_canned(application, prefix: str, users: int, m: int, warmup: int, seed: int, began: float) -> dict:
    """Time the stream through an Application whose people start on a canned screen (floor and baseline)."""
    ids = itertools.count(100)
    request = offline(application, ScreenRequest(ids=ids))
    driver = Driver(request, Updates(application.bot, ids=ids), users, canned_screens(users, prefix), seed)
    async with application:
        await application.start()
        setup = time.perf_counter() - began
        gc.collect()
        latencies = await timed_stream(application, driver, m, warmup)
        await application.stop()
    return figures(latencies, users, m, request, setup)


# ---- the baseline: ConversationHandler + PicklePersistence, as in PTB's examples ----------------------------

CHOOSING, TYPING = range(2)


async def run_baseline(users: int, m: int, warmup: int, seed: int) -> dict:
    from telegram import InlineKeyboardMarkup, Update
    from telegram.constants import ParseMode
    from telegram.ext import (ApplicationBuilder, CallbackQueryHandler, CommandHandler, ConversationHandler,
                              MessageHandler, PicklePersistence, filters)

    with tempfile.TemporaryDirectory(prefix="fulcrum-bench-") as tmp:
        began = time.perf_counter()
        path = Path(tmp) / "conversation.pickle"
        with path.open("wb") as fh:  # N people already there: their answers so far and the state they are in
            pickle.dump({"conversations": {"journey": {(FIRST_USER + i, FIRST_USER + i): CHOOSING
                                                       for i in range(users)}},
                         "user_data": {FIRST_USER + i: {"answers": {}, "journal": [], "turn": 1} for i in range(users)},
                         "chat_data": {}, "bot_data": {}, "callback_data": None}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        persistence = PicklePersistence(filepath=path)
        application = ApplicationBuilder().token(TOKEN).updater(None).persistence(persistence).build()

        async def ask(update: Update, context, *, typing: bool) -> int:
            data = context.user_data
            data["turn"] = data.get("turn", 1) + 1
            markup = None if typing else InlineKeyboardMarkup.de_json(canned_keyboard("base00", data["turn"]), None)
            await context.bot.send_message(update.effective_chat.id, html.escape(QUESTION), parse_mode=ParseMode.HTML,
                                           reply_markup=markup)
            return TYPING if typing else CHOOSING

        async def menu(update: Update, context) -> int:
            """/menu: the first question again."""
            return await ask(update, context, typing=False)

        async def choose(update: Update, context) -> int:
            """A button: answer it first, keep the answer, mark the question answered, ask the next one."""
            query = update.callback_query
            await query.answer()
            label = next((b.text for row in query.message.reply_markup.inline_keyboard for b in row
                          if b.callback_data == query.data), "")
            context.user_data.setdefault("answers", {})[query.data.rsplit(":", 1)[-1]] = label
            await query.message.edit_text(html.escape(query.message.text) + f"\n\n→ <i>{html.escape(label)}</i>",
                                          parse_mode=ParseMode.HTML, reply_markup=None)
            return await ask(update, context, typing=context.user_data["turn"] % 4 == 0)

        async def typed(update: Update, context) -> int:
            """Free text at a text step: kept in the journal; then the next question."""
            context.user_data.setdefault("journal", []).append(update.message.text)
            return await ask(update, context, typing=False)

        async def not_understood(update: Update, context) -> int:
            await update.message.reply_text("Please choose one of the buttons.")
            return await ask(update, context, typing=False)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # per_message=False with CallbackQueryHandler: intended here
            conversation = ConversationHandler(
                entry_points=[CommandHandler("menu", menu), CallbackQueryHandler(choose),
                              MessageHandler(filters.TEXT & ~filters.COMMAND, not_understood)],
                states={CHOOSING: [CallbackQueryHandler(choose),
                                   MessageHandler(filters.TEXT & ~filters.COMMAND, not_understood)],
                        TYPING: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed)]},
                fallbacks=[CommandHandler("menu", menu)], name="journey", persistent=True)
        application.add_handler(conversation)
        return await run_canned(application, "base00", users, m, warmup, seed, began)


VARIANTS = {"ours": run_ours, "floor": run_floor, "baseline": run_baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 100_000], help="people (one run per value)")
    parser.add_argument("--updates", type=int, default=20_000, help="timed updates per run")
    parser.add_argument("--warmup", type=int, default=500, help="untimed updates first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--floor", action="store_true",
                        help="also PTB's floor, interleaved ours/floor x3: floor_ratio = median of the three pairs' "
                             "ratios (the figures shown are that pair's), floor_pairs = all three")
    parser.add_argument("--baseline", action="store_true", help="also the PicklePersistence baseline: ratio")
    parser.add_argument("--all", action="store_true", help="--floor and --baseline")
    parser.add_argument("--baseline-timeout", type=float, default=600, help="seconds before the baseline is given up")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="run one variant in this process (internal)")
    parser.add_argument("--cost", nargs="+", metavar="FEATURE", default=[],
                        help="what each named feature costs: ours with and without it, alternating, 3 pairs each; "
                             "feature_cost = 1 - median(with / without). A feature of bot/compose.py's features() "
                             "(left out; or, when content names its actions or commands, without its after-turn "
                             "hooks, views and guard), "
                             "`encryption` (without FULCRUM_DATA_KEY) or `triage` (stubbed in the benchmark only)")
    parser.add_argument("--together", action="store_true",
                        help="--cost: run each pair's two processes at the same time (on a machine shared with other "
                             "work both then see the same load; compare feature_cost_cpu)")
    parser.add_argument("--plaintext", action="store_true",
                        help="ours without FULCRUM_DATA_KEY (by default it runs with a key, as `fulcrum run` must)")
    args = parser.parse_args()
    if not args.variant:  # the variants' processes inherit it; Settings reads FULCRUM_DATA_KEY from the environment
        os.environ.pop("FULCRUM_DATA_KEY", None)
        if not args.plaintext:
            os.environ["FULCRUM_DATA_KEY"] = BENCH_KEY
    if args.variant:
        result = asyncio.run(VARIANTS[args.variant](args.users[0], args.updates, args.warmup, args.seed))
        print(json.dumps(result))
        return
    script = Path(__file__).resolve()
    runs = []
    for users in args.users:
        common = ["--users", str(users), "--updates", str(args.updates), "--warmup", str(args.warmup),
                  "--seed", str(args.seed)]
        pairs = []
        if args.floor or args.all:  # ours, floor, ours, floor, ours, floor: a disturbance hits one pair, not the figure
            for _ in range(3):
                pairs.append((run_variant(script, "--variant", "ours", *common),
                              run_variant(script, "--variant", "floor", *common)))
            ratios = [o["updates_per_s"] / f["updates_per_s"] for o, f in pairs]
            cpu_ratios = sorted(o["updates_per_cpu_s"] / f["updates_per_cpu_s"] for o, f in pairs)
            middle = sorted(range(3), key=lambda i: ratios[i])[1]
            result, floor = dict(pairs[middle][0]), pairs[middle][1]
            result.update(floor_updates_per_s=floor["updates_per_s"], floor_p99_ms=floor["p99_ms"],
                          floor_rss_mb=floor["rss_mb"], floor_ratio=round(ratios[middle], 2),
                          floor_ratio_cpu=round(cpu_ratios[1], 2),
                          floor_pairs=[{"ours": o["updates_per_s"], "floor": f["updates_per_s"],
                                        "ratio": round(r, 3), "ours_cpu": o["updates_per_cpu_s"],
                                        "floor_cpu": f["updates_per_cpu_s"]} for (o, f), r in zip(pairs, ratios)])
        else:
            result = run_variant(script, "--variant", "ours", *common)
        for name in args.cost:
            ratios, cpu_ratios = [], []
            env = dict(os.environ)
            if name == "encryption":  # the same stream without FULCRUM_DATA_KEY
                env.pop("FULCRUM_DATA_KEY", None)
            else:  # a feature of bot/compose.py's features(), or "triage" (stubbed in run_ours, only here)
                env["FULCRUM_BENCH_WITHOUT"] = name
            for _ in range(3):
                if args.together:
                    with_it, without = run_together(script, ["--variant", "ours", *common], dict(os.environ),
                                                    ["--variant", "ours", *common], env)
                else:
                    with_it = run_variant(script, "--variant", "ours", *common)
                    without = run_variant(script, "--variant", "ours", *common, env=env)
                ratios.append(with_it["updates_per_s"] / without["updates_per_s"])
                cpu_ratios.append(with_it["updates_per_cpu_s"] / without["updates_per_cpu_s"])
            result.setdefault("feature_cost", {})[name] = round(1 - sorted(ratios)[1], 3)
            result.setdefault("feature_cost_cpu", {})[name] = round(1 - sorted(cpu_ratios)[1], 3)
            result.setdefault("feature_ratios", {})[name] = [round(r, 3) for r in ratios]
        base = None
        if args.baseline or args.all:
            try:
                base = run_variant(script, "--variant", "baseline", *common, timeout=args.baseline_timeout)
            except subprocess.TimeoutExpired:  # PicklePersistence re-pickles everything per conversation change
                result.update(baseline_updates_per_s=None, ratio=None,
                              baseline_note=f"did not finish in {args.baseline_timeout:.0f} s")
                base = None
        if base is not None:
            result.update(baseline_updates_per_s=base["updates_per_s"], baseline_p99_ms=base["p99_ms"],
                          baseline_rss_mb=base["rss_mb"],
                          ratio=round(result["updates_per_s"] / base["updates_per_s"], 2))
        print(json.dumps(result), file=sys.stderr)
        runs.append(result)
    out = runs[0] if len(runs) == 1 else {"runs": runs}
    print(json.dumps({**out, "encrypted": not args.plaintext, "machine": machine()}))


if __name__ == "__main__":
    _ = ROOT
    main()
