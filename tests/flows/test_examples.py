"""Examples in the texts are plain and varied: not every one is a man holding power over a woman (the content
guide's clinical guardrails: men are victims too, women can be controlling, work and family are rooms too)."""

from __future__ import annotations

import re

EXAMPLE = re.compile(r"(?:for example|like)[:,]?\s+((?:\"[^\"]+\"(?:\s+or\s+)?)+)", re.IGNORECASE)
HE = re.compile(r"\b(he|his|him)\b", re.IGNORECASE)
SHE = re.compile(r"\b(she|her|hers)\b", re.IGNORECASE)


def examples(content) -> list[str]:
    found = []
    for flow in content.flows.values():
        for step in flow.text.steps.values():
            for text in [step.text, *step.blocks.values()]:
                for match in EXAMPLE.finditer(text):
                    found += re.findall(r"\"([^\"]+)\"", match.group(1))
    return found


def test_examples_are_not_all_about_a_man_in_charge(content):
    quoted = examples(content)
    assert len(quoted) >= 10
    masculine = [q for q in quoted if HE.search(q)]
    feminine = [q for q in quoted if SHE.search(q)]
    assert len(masculine) <= len(feminine) + 1, (masculine, feminine)
    assert not any("He earns more" in q for q in quoted)


def test_examples_reach_beyond_a_partner(content):
    quoted = " ".join(examples(content)).casefold()
    assert "manager" in quoted or "boss" in quoted  # work
    assert any(word in quoted for word in ("dad", "mum", "mom", "sister", "brother", "father", "mother"))  # family
