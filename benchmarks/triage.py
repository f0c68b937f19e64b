"""How long triage takes on the longest message Telegram delivers (4,096 characters), and on everyday ones.

    python benchmarks/triage.py              # JSON: median, p99 and max milliseconds per message
    python benchmarks/triage.py --rounds 500

Messages are built from the labelled sets (tests/data/triage_r4.yaml, tuning side only): everyday sentences
joined up to 4,096 characters, with and without one crisis sentence buried in the middle, plus every set item
alone. The goal is under 5 ms for a 4,096-character message.

`long_4096_fresh_cpu`: 200 long messages never seen before (after 200 others), each triaged once, CPU time of
this process; `_ungated` is the same with every rule tried (no RE2 gate), interleaved message by message, and
`gate_speedup` the ratio of their medians. `long_4096` repeats the same 40 messages (`--rounds` times).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

import yaml

from _common import ROOT, machine


def messages(rng: random.Random, n: int = 20) -> tuple[list[str], list[str]]:
    items = yaml.safe_load((ROOT / "tests" / "data" / "triage_r4.yaml").read_text(encoding="utf-8"))["items"]
    benign = [i["text"] for i in items if i["label"] == "ok"]
    danger = [i["text"] for i in items if i["label"] == "crisis"]
    long: list[str] = []
    for with_crisis in (False, True):
        for _ in range(n):
            parts: list[str] = []
            while sum(len(p) + 1 for p in parts) < 4096:
                parts.append(rng.choice(benign))
            if with_crisis:
                parts.insert(len(parts) // 2, rng.choice(danger))
            long.append(" ".join(parts)[:4096])
    return long, [i["text"] for i in items]


def timed(assess, texts: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            assess(text)
            out.append((time.perf_counter() - started) * 1000)
    return out


def once(assess, texts: list[str]) -> list[float]:
    """Each text once, CPU time of this process (a new message is what the bot meets; RE2's automata and the
    net's word cache have seen other messages, not this one)."""
    out = []
    for text in texts:
        started = time.process_time()
        assess(text)
        out.append((time.process_time() - started) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3),
            "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 3), "max_ms": round(ms[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    from flows.safety import Triage

    started = time.perf_counter()
    triage = Triage.load(ROOT / "content" / "safety.yaml", self_check=False)
    load_ms = (time.perf_counter() - started) * 1000
    long, short = messages(random.Random(7))
    ungated = Triage(triage.spec, triage.net, gated=False)
    warm, _ = messages(random.Random(8), 100)
    fresh, _ = messages(random.Random(9), 100)
    for text in warm:
        triage.assess(text)
    gated_fresh, ungated_fresh = [], []
    for text in fresh:  # interleaved, so both meet the same machine
        gated_fresh += once(triage.assess, [text])
        ungated_fresh += once(ungated.assess, [text])
    report = {
        "machine": machine(),
        "load_ms": round(load_ms, 1),
        "long_4096_fresh_cpu": summary(gated_fresh),
        "long_4096_fresh_cpu_ungated": summary(ungated_fresh),
        "gate_speedup": round(statistics.median(ungated_fresh) / statistics.median(gated_fresh), 1),
        "long_4096": summary(timed(triage.assess, long, args.rounds)),
        "set_items": summary(timed(triage.assess, short, max(1, args.rounds // 10))),
        # The learned check net alone (content/safety/model.json), part of the figures above.
        "net_long_4096": summary(timed(triage.net.check, long, args.rounds)) if triage.net else None,
        "net_set_items": summary(timed(triage.net.check, short, max(1, args.rounds // 10))) if triage.net else None,
        # The net's hard-kind head and its check part together, as Triage.assess runs them on a message the rules
        # read `ok` (they share the message's windows).
        "net_and_hard_long_4096": summary(timed(lambda t: (triage.net.crisis(t), triage.net.check(t)), long,
                                                args.rounds)) if triage.net else None,
        "goal": "a 4,096-character message in under 5 ms",
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
