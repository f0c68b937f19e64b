"""Train and measure the learned `check` net and its hard-kind head (flows/safety_net.py) from tests/data.

    pip install -e '.[train]'                   # scikit-learn: training only, never needed to run the bot
    python benchmarks/triage_net.py cv          # JSON: 5-fold cross-validated figures per language
    python benchmarks/triage_net.py train       # writes content/safety/model.json (threshold chosen by CV)

Trains on every tests/data/triage_*.yaml except the holdouts not yet run (round FIRST_UNSPENT_HOLDOUT and later:
triage_r10a_holdout.yaml, triage_r10b_holdout.yaml …: evaluated once, never trained on before that) and any tuning side named in
NOT_YET (a new set, until its unseen figures are recorded; empty now: round 6's are in 0404dfd, round 7's in be3a32c, round 8's in 6d5f4f4, round 9's in 55d9c89). The other tuning
sides are in.
A message is danger when its label is not `ok`; the bot's own option labels (outside the danger flows) are
benign examples too, and for the hard-kind head so are the everyday plans worded like threats in
benchmarks/triage_net_neutral.yaml; both are left out of the figures. Features come from flows.safety_net.window_features, the very
function the bot scores with. Benign messages give every sentence window as a benign example; a danger message
of several windows gives the window the model finds most dangerous (two rounds: first trained on one-window
messages), since the label says the message holds danger, not where.

Cross-validation: folds stratified by language and label; each item scored by a model that never saw it (max
over its windows, as the bot does). The threshold is the out-of-fold benign score quantile that leaves at most
TARGET (6 %) of benign messages of the worst language above it, so that rules' own false checks fit under 10 %.
Figures compare the rules alone with rules + net on the same out-of-fold predictions.

The hard-kind head (may open the crisis screen): messages labelled with a hard `kind` (strangulation,
threat_to_kill, weapon, injury_now, overdose_now) against benign messages and the danger messages of the sets that
label kinds (a set without `kind` labels says nothing about which of its messages are hard, so its danger messages
are left out of this head's training). Same features, the same two rounds for windows; a 5-way model on the most
dangerous window names the kind. Its threshold is the lowest at which, out of fold, benign messages reach the crisis
screen through it at most HARD_TARGET (0.5 %) of all benign messages, and at most max(1, HARD_LANG_CAP = 1.5 %) of
any one language's. Caps counted per language let a single message set the threshold (round 6: 1.61 -> 2.79; round
8: 2.01 -> 2.73 between two retrains on nearly the same text, hard kinds by the head alone 0.39 -> 0.27); the
pooled cap hangs on about twenty messages instead (two fold seeds: 1.39 and 1.55, hard kinds 0.49 and 0.47).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT  # noqa: E402

from flows.safety import PRECEDENCE, Triage  # noqa: E402
from flows.safety_net import HARD_KINDS, MODEL_VERSION, NGRAMS, WINDOW_WORDS, windows, window_features  # noqa: E402

DATA = ROOT / "tests" / "data"
MODEL = ROOT / "content" / "safety" / "model.json"
# Everyday plans worded like threats ("he said he will call me tonight"): benign examples for the hard-kind head only
# (the check net may ask about them; the head must not open the crisis screen), not measured.
NEUTRAL = ROOT / "benchmarks" / "triage_net_neutral.yaml"
# Greetings, thanks, yes/no, one ordinary dose, in the eight languages: benign for the check net and the head, not
# measured.
EVERYDAY = ROOT / "benchmarks" / "triage_net_everyday.yaml"
TARGET = 0.06  # benign → check by the net alone, out of fold, in the worst language
C = 32.0  # inverse regularisation of the danger model (16-64 did best in cross-validation; 4 lost a fifth of recall)
KEEP = 30000  # features kept (largest |weight|); the rest score 0
CAT_KEEP = 6000  # features kept per category model
HARD_TARGET = 0.005  # benign → crisis through the hard-kind head, out of fold, all languages pooled (choose_threshold)
HARD_LANG_CAP = 0.015  # … and in any one language (the goal is 3 % with the rules' own false alarms)
HARD_C = 32.0
HARD_KEEP = 20000
FOLDS = 5
SEED = 13


# A new tuning side is measured as unseen text first (README, triage): name it here until those figures are
# recorded, then drop it so the net learns from it. triage_r6.yaml and triage_r7.yaml left on 1 December 2026.
NOT_YET: set[str] = set()


# A round's holdout is never trained on until it has been run, once, and its figure recorded (README, triage).
# After that it is only one more author's text, so it joins the training like the rounds before round 5 did: the
# holdouts of rounds 5-9 have been run (their figures are in README's crisis section), and training text by
# new authors is what moved unseen recall most (corpora 8 and 9). Raise this when a round's holdout has been run.
FIRST_UNSPENT_HOLDOUT = 15


def _never_trained_on(name: str) -> bool:
    """A holdout of round FIRST_UNSPENT_HOLDOUT or later: not yet run, or run since the last retrain."""
    m = re.match(r"triage_r(\d+)", name)
    return bool(m) and int(m.group(1)) >= FIRST_UNSPENT_HOLDOUT and "holdout" in name


def training_files() -> list[Path]:
    return sorted(p for p in DATA.glob("triage_*.yaml")
                  if not _never_trained_on(p.name) and p.name not in NOT_YET)


def load_items() -> list[dict]:
    items = []
    for path in training_files():
        found = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
        labels_kinds = any("kind" in i for i in found)
        for i in found:
            label = i["label"]
            cats = i.get("categories") or ([label] if label in PRECEDENCE else [])
            primary = next((c for c in PRECEDENCE if c in cats), None)
            kind = i.get("kind") if i.get("kind") in HARD_KINDS else None
            items.append({"text": i["text"], "danger": label != "ok", "lang": i.get("lang", "en"),
                          "category": primary, "file": path.name, "hard": kind,
                          # a danger message of a set that labels no kinds may be hard or not: not a negative
                          "hard_known": label == "ok" or labels_kinds})
    items += _unmeasured_benign(option_labels(), "content options")
    items += _unmeasured_benign(_listed(NEUTRAL), NEUTRAL.name, head_only=True)
    items += _unmeasured_benign(_listed(EVERYDAY), EVERYDAY.name)
    # Rules' traps are benign sentences written to look like danger: the head learns from them too, else one trap
    # ("she put her arms around my neck and hugged me") held its threshold far above the out-of-fold one.
    items += _unmeasured_benign(rule_traps(), "content/safety traps", head_only=True)
    return items


def _listed(path: Path) -> list[str]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def _unmeasured_benign(texts: Iterable[str], file: str, head_only: bool = False) -> list[dict]:
    """Benign training examples left out of every figure (option labels, everyday lines, traps); `head_only`: for
    the hard-kind head alone (the check net may still ask about them)."""
    return [{"text": text, "danger": False, "lang": "en", "category": None, "file": file, "measured": False,
             "hard": None, "hard_known": True, "head_only": head_only} for text in texts]


# Flows whose options speak of danger ("I'm not safe, show me help"): their labels are not benign examples.
DANGER_FLOWS = ("crisis", "check", "danger_check")


def option_labels() -> list[str]:
    """Every option label the bot offers outside the danger flows (content/en): people type them at the console,
    and "Keep it to myself for now" must not be taken for self-harm. Trained on as benign; never in the figures."""
    labels: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "options" and isinstance(value, dict):
                    labels.extend(v for v in value.values() if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "content").glob("[a-z][a-z]/*.yaml")):  # every language's labels (en, es, …)
        if path.stem not in DANGER_FLOWS:
            walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(set(labels))


def file_hashes() -> dict[str, str]:
    out = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in [*training_files(), NEUTRAL, EVERYDAY]}
    out["rule traps"] = hashlib.sha256("\n".join(rule_traps()).encode()).hexdigest()[:16]
    return out


class Featurizer:
    """Feature dicts → a sparse matrix over a vocabulary fixed by the training windows."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}

    def fit(self, dicts: list[dict[str, float]]) -> None:
        for d in dicts:
            for f in d:
                if f not in self.vocab:
                    self.vocab[f] = len(self.vocab)

    def matrix(self, dicts: list[dict[str, float]]):
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
        for r, d in enumerate(dicts):
            for f, v in d.items():
                j = self.vocab.get(f)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
                    vals.append(v)
        return csr_matrix((vals, (rows, cols)), shape=(len(dicts), len(self.vocab)))


def _prune(weights: dict[str, float], keep: int) -> dict[str, float]:
    ranked = sorted(weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:keep]
    return {f: round(w, 5) for f, w in sorted(ranked) if round(w, 5) != 0.0}


def _lr(c: float, multi: bool = False):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=4000, class_weight="balanced", tol=1e-6,
                              solver="lbfgs" if multi else "liblinear")


def _window_score(weights: dict[str, float], bias: float, feats: dict[str, float]) -> float:
    return bias + sum(weights.get(f, 0.0) * v for f, v in feats.items())


def _fit_binary(negative: list[list[dict]], positive: list[list[dict]], c: float, keep: int) \
        -> tuple[dict[str, float], float]:
    """Every window of a negative message is a negative example; a positive message of several windows gives the
    window the model finds highest (two rounds: first all its windows pooled)."""
    benign = [f for ws in negative for f in ws]
    single = [ws[0] for ws in positive if len(ws) == 1]
    multi = [ws for ws in positive if len(ws) > 1]
    weights: dict[str, float] = {}
    bias = 0.0
    for _ in range(2):
        picked = [max(ws, key=lambda f: _window_score(weights, bias, f)) for ws in multi] if weights else \
            [{k: v for w in ws for k, v in w.items()} for ws in multi]  # first round: all windows pooled
        x_dicts = benign + single + picked
        y = [0] * len(benign) + [1] * (len(single) + len(picked))
        feat = Featurizer()
        feat.fit(x_dicts)
        clf = _lr(c)
        clf.fit(feat.matrix(x_dicts), y)
        names = list(feat.vocab)
        weights = _prune({names[j]: float(w) for j, w in enumerate(clf.coef_[0])}, keep)
        bias = round(float(clf.intercept_[0]), 5)
    return weights, bias


def _fit_classes(dicts: list[dict], labels: list[str], keep: int, every: Iterable[str]) -> dict[str, dict]:
    """One small model per class; a class of `every` that no training message names gets one that can never win."""
    feat = Featurizer()
    feat.fit(dicts)
    clf = _lr(C, multi=True)
    clf.fit(feat.matrix(dicts), labels)
    names = list(feat.vocab)
    models = {str(cls): {"weights": _prune({names[j]: float(w) for j, w in enumerate(clf.coef_[k])}, keep),
                         "bias": round(float(clf.intercept_[k]), 5)} for k, cls in enumerate(clf.classes_)}
    for name in every:
        models.setdefault(name, {"weights": {"__none__": 0.0}, "bias": -1e6})
    return models


def fit(items: list[dict], hard_only: bool = False) -> dict:
    """Train the danger model, the category models and the hard-kind head on these items; return their data."""
    wins = [[window_features(w) for w in windows(i["text"])] for i in items]
    # A message without a word ("🔪🚪", "👍") gives the net nothing to read: the rules alone answer it.
    items, wins = [i for i, ws in zip(items, wins) if ws], [ws for ws in wins if ws]
    out: dict = {}
    if not hard_only:
        weights, bias = _fit_binary([ws for i, ws in zip(items, wins) if not i["danger"] and not i.get("head_only")],
                                    [ws for i, ws in zip(items, wins) if i["danger"]], C, KEEP)
        # Category models: the most dangerous window of each danger message whose category is known.
        picked = [(max(ws, key=lambda f: _window_score(weights, bias, f)), i["category"])
                  for i, ws in zip(items, wins) if i["danger"] and i["category"]]
        categories = _fit_classes([p[0] for p in picked], [p[1] for p in picked], CAT_KEEP, PRECEDENCE)
        out = {"weights": weights, "bias": bias, "categories": categories}
    # The hard-kind head: hard kinds against what is known not to be one.
    hw, hb = _fit_binary([ws for i, ws in zip(items, wins) if not i["hard"] and i["hard_known"]],
                         [ws for i, ws in zip(items, wins) if i["hard"]], HARD_C, HARD_KEEP)
    picked = [(max(ws, key=lambda f: _window_score(hw, hb, f)), i["hard"]) for i, ws in zip(items, wins) if i["hard"]]
    kinds = _fit_classes([p[0] for p in picked], [p[1] for p in picked], CAT_KEEP, HARD_KINDS)
    out["hard"] = {"weights": hw, "bias": hb, "kinds": kinds}
    return out


def score(model: dict, text: str) -> tuple[float, str | None]:
    """(max window margin, category of that window) — the same arithmetic as flows.safety_net.NetModel."""
    best, best_feats = -math.inf, None
    for w in windows(text):
        feats = window_features(w)
        s = _window_score(model["weights"], model["bias"], feats)
        if s > best:
            best, best_feats = s, feats
    if best_feats is None:
        return best, None
    cats = [(_window_score(c["weights"], c["bias"], best_feats), name) for name, c in model["categories"].items()]
    return best, max(cats)[1]


def score_hard(model: dict, text: str) -> tuple[float, str | None]:
    """(max window margin of the hard-kind head, kind of that window) — as flows.safety_net.HardHead."""
    hard = model["hard"]
    return score({"weights": hard["weights"], "bias": hard["bias"], "categories": hard["kinds"]}, text)


def folds(items: list[dict]) -> list[int]:
    """Fold of each item: stratified by language and label, deterministic."""
    import random

    rng = random.Random(SEED)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for n, i in enumerate(items):
        groups[(i["lang"], i["danger"], i.get("measured", True))].append(n)
    out = [0] * len(items)
    for key in sorted(groups):
        idx = groups[key]
        rng.shuffle(idx)
        for k, n in enumerate(idx):
            out[n] = k % FOLDS
    return out


def out_of_fold(items: list[dict], hard_only: bool = False) \
        -> tuple[list[tuple[float, str | None]], list[tuple[float, str | None]]]:
    """Each item's (check score, category) and (hard score, kind) from models that never saw it."""
    fold_of = folds(items)
    scores: list[tuple[float, str | None]] = [(0.0, None)] * len(items)
    hard: list[tuple[float, str | None]] = [(0.0, None)] * len(items)
    for k in range(FOLDS):
        model = fit([i for i, f in zip(items, fold_of) if f != k], hard_only)
        for n, (i, f) in enumerate(zip(items, fold_of)):
            if f == k:
                if not hard_only:
                    scores[n] = score(model, i["text"])
                hard[n] = score_hard(model, i["text"])
        print(f"fold {k + 1}/{FOLDS} done", file=sys.stderr)
    return scores, hard


def choose_threshold(items: list[dict], scores: list[tuple[float, str | None]], target: float = TARGET,
                     pooled: bool = False) -> float:
    """The lowest threshold at which no language's benign messages fire above `target` (the share of a language's
    benign messages at or above it).

    `pooled` (the hard-kind head, whose target is 0.5 %): at most `target` of all benign messages together, and at
    most max(1, ⌊HARD_LANG_CAP × n⌋) of any one language's n. A cap of 0.5 % per language (one message of a few
    hundred) let a single out-of-fold score move the threshold by 0.7 between retrains."""
    by_lang: dict[str, list[float]] = defaultdict(list)
    for i, (s, _) in zip(items, scores):
        if not i["danger"] and i.get("measured", True):
            by_lang[i["lang"]].append(s)
    candidates = sorted({s for v in by_lang.values() for s in v if math.isfinite(s)})  # -inf: no words at all
    every = [s for v in by_lang.values() for s in v]

    def fits(t: float) -> bool:
        if not pooled:
            return all(sum(s >= t for s in v) / len(v) <= target for v in by_lang.values())
        return sum(s >= t for s in every) <= math.floor(target * len(every)) \
            and all(sum(s >= t for s in v) <= max(1, math.floor(HARD_LANG_CAP * len(v))) for v in by_lang.values())

    for c in candidates:
        t = math.ceil((c + 1e-9) * 1e5) / 1e5  # just above this benign score, as stored in the file
        if fits(t):
            return t
    return math.ceil((candidates[-1] + 1e-9) * 1e5) / 1e5


def hard_figures(items: list[dict], hard: list[tuple[float, str | None]], threshold: float, rules: Triage) -> dict:
    """The hard-kind head out of fold: hard kinds reaching the crisis screen (rules alone, rules + head), benign
    messages it sends there, and whether it names the right kind where it alone opens the screen."""
    out: dict[str, dict] = {}
    rows = []
    for i, (s, kind) in zip(items, hard):
        if not i.get("measured", True) or not (i["hard"] or not i["danger"]):
            continue
        rows.append((i, rules.assess(i["text"]).tier, s >= threshold, kind))
    for lang in ["all", *sorted({r[0]["lang"] for r in rows})]:
        mine = [r for r in rows if lang == "all" or r[0]["lang"] == lang]
        hard_rows = [r for r in mine if r[0]["hard"]]
        benign = [r for r in mine if not r[0]["danger"]]
        alone = [r for r in hard_rows if r[1] != "crisis" and r[2]]
        out[lang] = {
            "hard": len(hard_rows), "benign": len(benign),
            "hard_as_crisis_rules": round(sum(r[1] == "crisis" for r in hard_rows) / len(hard_rows), 3),
            "hard_as_crisis_head_alone": round(sum(r[2] for r in hard_rows) / len(hard_rows), 3),
            "hard_as_crisis_rules_and_head": round(sum(r[1] == "crisis" or r[2] for r in hard_rows) / len(hard_rows), 3),
            "benign_crisis_head_alone": round(sum(r[2] for r in benign) / len(benign), 4),
            "benign_crisis_rules_and_head": round(sum(r[1] == "crisis" or r[2] for r in benign) / len(benign), 4),
            "head_kind_right": f"{sum(r[3] == r[0]['hard'] for r in alone)}/{len(alone)}",
        }
    return out


def figures(items: list[dict], scores: list[tuple[float, str | None]], threshold: float, rules: Triage) -> dict:
    out: dict[str, dict] = {}
    rows = []
    for i, (s, cat) in zip(items, scores):
        if not i.get("measured", True):
            continue
        verdict = rules.assess(i["text"])
        rows.append((i, verdict.tier, s >= threshold, cat))
    for lang in ["all", *sorted({i["lang"] for i in items})]:
        mine = [r for r in rows if lang == "all" or r[0]["lang"] == lang]
        danger = [r for r in mine if r[0]["danger"]]
        benign = [r for r in mine if not r[0]["danger"]]
        known = [r for r in danger if r[0]["category"] and r[1] == "ok" and r[2]]
        out[lang] = {
            "danger": len(danger), "benign": len(benign),
            "recall_rules": round(sum(r[1] != "ok" for r in danger) / len(danger), 3),
            "recall_net_alone": round(sum(r[2] for r in danger) / len(danger), 3),
            "recall_rules_and_net": round(sum(r[1] != "ok" or r[2] for r in danger) / len(danger), 3),
            "benign_check_rules": round(sum(r[1] == "check" for r in benign) / len(benign), 3),
            "benign_check_net_alone": round(sum(r[2] for r in benign) / len(benign), 3),
            "benign_check_rules_and_net": round(
                sum(r[1] == "check" or (r[1] == "ok" and r[2]) for r in benign) / len(benign), 3),
            "benign_crisis": round(sum(r[1] == "crisis" for r in benign) / len(benign), 3),
            "net_category_right": f"{sum(r[3] == r[0]['category'] for r in known)}/{len(known)}",
        }
    return out


def rule_traps() -> list[str]:
    """Every rule's traps (content/safety*.yaml): sentences written to be read as no danger."""
    spec = Triage.load(ROOT / "content" / "safety.yaml", self_check=False, net=False).spec
    return [t for cat in spec.categories.values() for rule in cat.rules for t in rule.traps]


def trap_floor(model: dict, threshold: float) -> float:
    """The head's threshold, raised if needed just above every rule trap's and everyday line's score: neither ever
    reaches the crisis screen through the head (tests walk both with the net on). The head is trained on them as
    benign (load_items), so this is a guard, rarely a raise; the out-of-fold threshold is the honest one. (Round 14's
    retrain scored "la corbata me aprieta el cuello" 1.545 against an out-of-fold threshold of 1.511.)"""
    top = max(score_hard(model, t)[0] for t in [*rule_traps(), *_listed(EVERYDAY)])
    return max(threshold, math.ceil((top + 1e-9) * 1e5) / 1e5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cv", "train"])
    parser.add_argument("--out", type=Path, default=MODEL)
    parser.add_argument("--hard-only", action="store_true", help="cv of the hard-kind head alone (faster)")
    args = parser.parse_args()
    items = load_items()
    scores, hard = out_of_fold(items, args.hard_only and args.what == "cv")
    hard_threshold = choose_threshold([i for i in items if i["hard"] or not i["danger"]],
                                      [h for i, h in zip(items, hard) if i["hard"] or not i["danger"]], HARD_TARGET,
                                      pooled=True)
    rules = Triage.load(ROOT / "content" / "safety.yaml", self_check=False, net=False)
    hard_cv = {"threshold": hard_threshold, "target_benign_crisis": HARD_TARGET,
               "by_language": hard_figures(items, hard, hard_threshold, rules)}
    if args.hard_only and args.what == "cv":
        print(json.dumps({"folds": FOLDS, "hard": hard_cv}))
        return
    threshold = choose_threshold(items, scores)
    cv = {"folds": FOLDS, "threshold": threshold, "target_benign_check": TARGET,
          "by_language": figures(items, scores, threshold, rules), "hard": hard_cv}
    if args.what == "cv":
        print(json.dumps(cv))
        return
    model = fit(items)
    hard_threshold_oof, hard_threshold = hard_threshold, trap_floor(model, hard_threshold)
    data = {
        "version": MODEL_VERSION,
        "features": {"ngrams": list(NGRAMS), "window_words": WINDOW_WORDS, "word_pairs": True},
        "threshold": threshold,
        "bias": model["bias"],
        "trained_on": file_hashes(),
        "trained": {"items": len(items), "option_labels": sum(not i.get("measured", True) for i in items),
                    "danger": sum(i["danger"] for i in items), "C": C, "keep": KEEP, "category_keep": CAT_KEEP,
                    "hard": sum(bool(i["hard"]) for i in items), "hard_C": HARD_C, "hard_keep": HARD_KEEP},
        "cv": {lang: {k: v for k, v in f.items() if k in ("recall_net_alone", "recall_rules_and_net",
                                                           "benign_check_net_alone", "benign_check_rules_and_net")}
               for lang, f in cv["by_language"].items()},
        "hard_cv": {lang: {k: v for k, v in f.items() if k in ("hard_as_crisis_head_alone",
                                                                "hard_as_crisis_rules_and_head",
                                                                "benign_crisis_head_alone")}
                    for lang, f in hard_cv["by_language"].items()},
        "categories": model["categories"],
        "hard": {**model["hard"], "threshold": hard_threshold, "threshold_out_of_fold": hard_threshold_oof},
        "weights": model["weights"],
    }
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
                        encoding="utf-8")
    print(json.dumps({"wrote": str(args.out), "bytes": args.out.stat().st_size,
                      "features": len(model["weights"]), "threshold": threshold,
                      "hard_features": len(model["hard"]["weights"]), "hard_threshold": hard_threshold, "cv": cv}))


if __name__ == "__main__":
    main()
