"""Hindi in Devanagari is read as Hindi typed in Latin letters (flows/devanagari.py): before it, every message
below read `ok`. These are the probes the reading was written from, not a measurement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.devanagari import HAS_DEVANAGARI, romanise
from flows.safety import Triage
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def triage() -> Triage:
    return Triage.load(ROOT / "content" / "safety.yaml", self_check=False)


@pytest.mark.parametrize(("devanagari", "long", "short"), [
    ("मेरा पति मुझे मारता है", "mera pati mujhe maarta hai", "mera pati mujhe marta hai"),
    ("वो मुझे जान से मार देगा", "vo mujhe jaan se maar dega", "vo mujhe jan se mar dega"),
    ("करता", "karta", "karta"),            # the inherent vowel dropped between two spoken ones
    ("समझ", "samajh", "samajh"),          # ... and at the end of a word
    ("अस्पताल", "aspataal", "aspatal"),   # ... but not beside a cluster
    ("ज़बरदस्ती", "zabardasti", "zabardasti"),
    ("नहीं", "nahin", "nahi"),
    ("में", "mein", "me"),
    ("बॉस", "boss", "boss"),              # English words keep their English spelling
    ("मैं ठीक हूँ, धन्यवाद। १२", "main theek hoon, dhanyavaad. 12", "mai thik hu, dhanyavad. 12"),
])
def test_romanise_spells_hindi_as_it_is_typed(devanagari: str, long: str, short: str) -> None:
    assert romanise(devanagari) == long
    assert romanise(devanagari, long=False) == short


def test_text_without_devanagari_is_unchanged() -> None:
    for text in ("he hit me", "mujhe dar lag raha hai", "me pegó", "ich habe Angst 😢"):
        assert romanise(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=0x0900, max_codepoint=0x097F), max_size=40))
def test_no_devanagari_is_left_and_nothing_raises(text: str) -> None:
    assert not HAS_DEVANAGARI.search(romanise(text))
    assert not HAS_DEVANAGARI.search(romanise(text, long=False))


@pytest.mark.parametrize(("text", "category"), [
    ("मेरा पति मुझे मारता है", "violence"),
    ("वो मुझे जान से मार देगा", "violence"),
    ("उसने मेरा गला दबाया", "violence"),
    ("मैं मरना चाहती हूँ", "self_harm"),
    ("मैंने बहुत सारी गोलियां खा ली हैं", "self_harm"),
    ("मेरे सौतेले पिता रात को मेरे कमरे में आते हैं", "child_at_risk"),
    ("पति ज़बरदस्ती करता है, मना करने पर भी", "sexual_violence"),
    ("मेरे सिर से खून बह रहा है", "violence"),
    ("उसने चाकू दिखाया और बोला आज तुझे खत्म कर दूंगा", "violence"),
    ("मेरे पति ने मुझे कमरे में बंद कर दिया है और फ़ोन छीन लिया", "violence"),
    ("he said वो मुझे जान से मार देगा tonight", "violence"),  # mixed scripts
])
def test_danger_in_devanagari_reaches_the_crisis_screen(triage: Triage, text: str, category: str) -> None:
    verdict = triage.assess(text)
    assert verdict.tier == "crisis" and category in verdict.categories, (text, verdict)


@pytest.mark.parametrize("text", [
    "मैं ठीक हूँ, धन्यवाद।",
    "मेरी सास हर बात में टोकती है",
    "क्रिकेट मैच में हमने उन्हें मार दिया",
    "मम्मी ने कहा खाना खा लो",
    "आज बहुत गर्मी है, मर गए",
    "मेरा बॉस मुझे मार डालेगा अगर मैं देर से पहुंची",
])
def test_everyday_devanagari_is_not_danger(triage: Triage, text: str) -> None:
    assert triage.assess(text).tier == "ok", text
