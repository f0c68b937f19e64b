"""Fewer names (privacy issue, item 10): where a topic asks about trusted people it suggests initials or a
nickname and says why, and the summary does not repeat the name typed (it stays in the private journal)."""

from __future__ import annotations

import pytest

from flows.model import Input
from tests.support.driver import Chat

NAME = "Marisol Okafor"


def _send_all(chat: Chat, lines: list[str]) -> str:
    out = ""
    for line in lines:
        out = chat.send(line)
    return out


@pytest.mark.parametrize("flow, step, before, after", [
    # support: agree, intro, tick a kind and Done, scale 3, "Yes"; the name; skip "easier", write a step
    ("support", "who", ["1", "1", "1", "7", "3", "1"], [NAME, "7", "Call her on Sunday"]),
    # walk_away: agree, intro, feels safe, same pattern, only me, health 2, just thinking, what matters; the name
    ("walk_away", "supporters", ["1", "1", "1", "2", "2", "2", "3", "Time for myself"], [NAME]),
])
def test_the_summary_does_not_repeat_a_typed_name(app, flow, step, before, after):
    chat = Chat(app)
    chat.handle(Input.open())
    chat.send(f"/flow {flow}")
    _send_all(chat, before)
    assert chat.at == f"{flow} {step}"
    prompt = chat.last.text
    assert "Initials" in prompt and "nickname" in prompt and "someone else reads this phone" in prompt
    out = _send_all(chat, after)
    assert chat.at == f"{flow} summary"
    assert "You named someone" in out and "journal" in out
    for part in NAME.split():
        assert part not in out, f"{flow} summary repeats the typed name"
    # It is still kept where the person put it: their private journal.
    assert NAME in chat.send("/journal")
