"""Round-11 everyday probes (tests/data/triage_everyday11.yaml, helper fa11): benign messages in eight languages,
written before any change. Their first run, rules and net as shipped, sent 4 of 795 to the crisis screen (a toddler
hitting with a toy car in Spanish, German and Dutch; "le boulot m'étouffe") and 49 in all to crisis or check. The
rules' false alarms were fixed as shapes (content/safety/fa11_LANG.yaml); what is left are the net's check questions,
which wait for a retrain. This is now a tuned-on set: it guards against regressions, it does not measure."""

from __future__ import annotations

from collections import defaultdict

import pytest
import yaml

from flows.safety import Triage
from tests.conftest import ROOT
from tests.support.labelled_sets import LANGS

ITEMS = yaml.safe_load((ROOT / "tests" / "data" / "triage_everyday11.yaml").read_text(encoding="utf-8"))["items"]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[tuple[str, str]]]:
    triage = Triage.load(ROOT / "content" / "safety.yaml", self_check=False)
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in ITEMS:
        by_lang[item["lang"]].append((item["text"], triage.assess(item["text"]).tier))
    return by_lang


def test_the_set_is_benign_and_covers_every_language() -> None:
    assert all(i["label"] == "ok" and i["categories"] == [] for i in ITEMS)
    for lang in LANGS:
        assert sum(i["lang"] == lang for i in ITEMS) >= 95, lang


@pytest.mark.parametrize("lang", LANGS)
def test_no_everyday_message_opens_the_crisis_screen(verdicts: dict, lang: str) -> None:
    assert [text for text, tier in verdicts[lang] if tier == "crisis"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_check_question_stays_within_the_goal(verdicts: dict, lang: str) -> None:
    asked = [text for text, tier in verdicts[lang] if tier == "check"]
    assert len(asked) / len(verdicts[lang]) <= 0.10, asked
