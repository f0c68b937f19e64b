"""Keeping your phone private (content/flows/tech_safety.yaml): ten checks, each answered Done or Not now.

Walked through the console harness as a person would; every screen short enough for a phone, every check
offering Done and Not now, the flow moving on either way, and no record kept of which was chosen.
"""

from __future__ import annotations

from itertools import cycle

from flows.model import Input
from tests.support.driver import Chat

CHECKS = ["devices", "two_step", "passcode", "previews", "auto_delete", "location", "cloud", "monitoring",
          "safer_device", "browser"]
MAX_SCREEN = 600  # docs: /work/shared/guides/content.md, "about 600 characters at most"


def test_the_flow_is_ten_checks_each_done_or_not_now_and_kept_nowhere(content):
    flow = content.flows["tech_safety"]
    checks = [s for s in flow.steps.values() if s.kind == "choice"]
    assert [s.id for s in checks] == CHECKS
    for step in checks:
        assert [o.id for o in step.option_specs()] == ["did_it", "not_now"], step.id
        assert flow.text.steps[step.id].options == {"did_it": "Done", "not_now": "Not now"}, step.id
        assert not step.keep, f"{step.id}: which settings someone changed must not be saved"
        # Either answer leads to the same next screen: nothing is judged.
        assert all(o.next is None for o in step.option_specs()) and step.next, step.id


def test_every_screen_is_short_and_names_its_number(content):
    flow = content.flows["tech_safety"]
    for sid, text in flow.text.steps.items():
        assert len(text.text) <= MAX_SCREEN, f"{sid}: {len(text.text)} characters"
    for n, sid in enumerate(CHECKS, 1):
        assert flow.text.steps[sid].text.startswith(f"{n}. "), sid


def _walk_to_the_checks(chat: Chat) -> None:
    chat.send("/flow seek_help")
    assert chat.at == "onboarding notice"
    chat.send("1")
    assert chat.at == "seek_help directory"
    chat.send(str(chat.option_number("phone")))
    assert chat.at == "tech_safety intro"
    chat.send("1")
    assert chat.at == "tech_safety caution"
    chat.send("1")


def test_walking_it_with_done_and_not_now_reaches_the_end_and_saves_no_answer(app):
    chat = Chat(app)
    chat.handle(Input.open())
    _walk_to_the_checks(chat)
    seen = []
    for choice in zip(CHECKS, cycle(["did_it", "not_now", "not_now", "did_it"])):
        sid, pick = choice
        assert chat.at == f"tech_safety {sid}"
        reply = chat.last
        assert len(reply.text) <= MAX_SCREEN, f"{sid}: {len(reply.text)} characters on screen"
        assert [o.id for o in reply.options][:2] == ["did_it", "not_now"], sid
        assert [o.label for o in reply.options][:2] == ["Done", "Not now"], sid
        assert {"back", "resume", "menu"} <= {o.id for o in reply.options}, f"{sid}: the usual way-outs"
        seen.append(sid)
        chat.send(str(chat.option_number(pick)))
    assert seen == CHECKS
    assert chat.at == "tech_safety done"
    assert "That's all ten" in chat.last.text
    assert len(chat.last.text) <= MAX_SCREEN
    rows = app.store.execute("SELECT count(*) FROM answers WHERE flow = 'tech_safety'").fetchone()[0]
    assert rows == 0, "which settings someone changed is never saved"
    chat.send(str(chat.option_number("help")))
    assert chat.at == "seek_help directory"


def test_back_to_where_i_was_from_any_check_returns_to_help_and_support(app):
    chat = Chat(app)
    chat.handle(Input.open())
    _walk_to_the_checks(chat)
    chat.send(str(chat.option_number("did_it")))
    assert chat.at == "tech_safety two_step"
    chat.send(str(chat.option_number("resume")))
    assert chat.at == "seek_help directory"


def test_reachable_from_help(app):
    chat = Chat(app)
    chat.handle(Input.open())
    chat.send("1")  # agree
    chat.send("/help")
    assert chat.at == "help help"
    chat.send(str(chat.option_number("phone")))
    assert chat.at == "tech_safety intro"


def test_usable_before_agreeing_from_the_crisis_screen_and_nothing_is_stored(app):
    chat = Chat(app, user="new")
    chat.send("/flow signs")
    assert chat.at == "onboarding notice"
    chat.send("i want to kill myself")
    assert chat.last.flow == "crisis"
    chat.send(str(chat.option_number("more_help")))
    assert chat.at == "seek_help directory"
    chat.send(str(chat.option_number("phone")))
    chat.send("1")
    chat.send("1")
    assert chat.at == "tech_safety devices"
    chat.send(str(chat.option_number("not_now")))
    assert chat.at == "tech_safety two_step", "the checks go on; they don't bounce back to the notice"
    assert app.store.load(chat.pid) is None
