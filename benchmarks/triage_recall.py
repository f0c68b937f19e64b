"""How well triage finds danger on a labelled set, per language (JSON). Run a holdout once, and say so.

    python benchmarks/triage_recall.py tests/data/triage_r5_holdout.yaml

Labels: `crisis` must reach help (the crisis screen or the check question) and its hard kinds the crisis
screen; `check` must reach help (a crisis answer counts: it asks more, not less); `ok` should reach neither.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import yaml

from _common import ROOT, machine  # noqa: F401  (puts the repository on sys.path)
from flows.safety import Triage

HARD = ("strangulation", "threat_to_kill", "weapon", "injury_now", "overdose_now")


def figures(triage: Triage, items: list[dict]) -> dict[str, float | int]:
    verdicts = [(i, triage.assess(i["text"])) for i in items]
    danger = [v for i, v in verdicts if i["label"] == "crisis"]
    check = [v for i, v in verdicts if i["label"] == "check"]
    benign = [v for i, v in verdicts if i["label"] == "ok"]
    hard = [v for i, v in verdicts if i["label"] == "crisis" and i.get("kind") in HARD]

    def share(part: list, of: list) -> float:
        return round(len(part) / len(of), 3) if of else 0.0

    return {
        "n": len(items),
        "danger_recall": share([v for v in danger if v], danger),
        "check_recall": share([v for v in check if v], check),
        "hard_as_crisis": share([v for v in hard if v.tier == "crisis"], hard),
        "benign_crisis": share([v for v in benign if v.tier == "crisis"], benign),
        "benign_check": share([v for v in benign if v.tier == "check"], benign),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", help="a labelled set (tests/data/triage_*.yaml)")
    args = parser.parse_args()
    items = yaml.safe_load((ROOT / args.set).read_text(encoding="utf-8"))["items"]
    triage = Triage.load(ROOT / "content" / "safety.yaml", self_check=False)
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_lang[item["lang"]].append(item)
    print(json.dumps({"set": args.set, "all": figures(triage, items),
                      **{lang: figures(triage, mine) for lang, mine in sorted(by_lang.items())}}))


if __name__ == "__main__":
    main()
