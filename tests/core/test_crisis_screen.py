"""The crisis moment: the emergency number first in every configuration, a calm check question for signals
that may be idioms, and no reply to a person's own words that says it did not catch them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from flows.model import Input, Result
from flows.resources import text_in
from tests.conftest import ROOT, make_app
from tests.support.driver import Chat

NOW = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
PHONE = re.compile(r"\d[\d \-]{1,}\d|\b\d{3}\b")
DISMISSALS = ("catch", "understand", "didn't get", "not sure what you mean")


def agreed(app, user: str = "a") -> Chat:
    chat = Chat(app, user, start=NOW)
    chat.send("/start")
    chat.press("agree")
    return chat


def place(app, chat: Chat, flow: str, step: str) -> None:
    """Put an agreed person at a step, as if they had walked there."""
    person = app.store.load(chat.pid)
    conv = person.conversation
    conv.flow, conv.step, conv.history, conv.draft, conv.arg = flow, step, [], [], ""
    conv.turn += 1
    with app.store.transaction():
        app.store.save(chat.pid, Result(conversation=conv), NOW, content_version=app.content.version)
    chat.last = app.view(chat.pid, NOW)


@pytest.mark.parametrize("country", [None, "US", "GB", "IE", "CA", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "IN", "ZA",
                                     "MX", "AR", "CO", "CL"])
def test_the_first_number_on_the_crisis_screen_is_the_emergency_number(store_path, content, country):
    settings = {"default_country": country} if country else {}
    app = make_app(store_path, content, **settings)
    chat = agreed(app)
    out = chat.send("he is hitting me right now")
    assert chat.at == "crisis respond"
    first, second = out.split("\n")[:2]
    assert first == "Thank you for telling me."
    entry = app.resources.for_country(country)
    number = entry.emergency.first if entry.emergency else "112"
    assert number in second and PHONE.search(second), second
    assert PHONE.search(out[: out.index(second)] + second).group(0).strip() in second  # nothing earlier
    if country:
        assert f"Not in {text_in(entry.name)}?" in out  # the country came from the default: offer another
    else:
        assert chat.last.options[0].id == "country"  # no country at all: choosing one comes first
    app.store.close()


def test_a_chosen_country_is_not_second_guessed(store_path, content):
    app = make_app(store_path, content, default_country="GB")
    chat = agreed(app)
    chat.send("he is hitting me right now")
    chat.press("country")
    chat.press("es")
    assert chat.at == "crisis respond"
    assert "112" in chat.outputs[-1].split("\n")[1] and "Not in" not in chat.outputs[-1]
    app.store.close()


def test_a_harm_disclosure_lists_the_abuse_line_before_the_suicide_line(store_path, content):
    app = make_app(store_path, content, default_country="GB")
    chat = agreed(app)
    out = chat.send("my husband hit me again last night")
    assert out.index("Domestic Abuse") < out.index("Samaritans")
    chat.send("/menu")
    out = chat.send("i want to kill myself")
    assert out.index("Samaritans") < out.index("Domestic Abuse")
    app.store.close()


def test_several_categories_show_a_block_each(store_path, content):
    app = make_app(store_path, content, default_country="GB")
    verdict = app.triage.assess("he raped me and now i want to die")
    assert verdict.tier == "crisis" and {"sexual_violence", "self_harm"} <= set(verdict.categories)
    chat = agreed(app)
    out = chat.send("he raped me and now i want to die")
    texts = app.content.flows["crisis"].text.steps["respond"].blocks
    assert texts["sexual_violence"] in out and texts["self_harm"] in out
    app.store.close()


def test_run_stops_with_one_line_without_a_default_country(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN="123:abc", FULCRUM_DB=str(tmp_path / "r.db"), FULCRUM_ALLOW_PLAINTEXT="true")
    out = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "FULCRUM_DEFAULT_COUNTRY" in lines[0], out.stderr


# ---- the check question -----------------------------------------------------------------------------------


def test_the_check_question_shows_the_number_and_returns_exactly_where_they_were(store_path, content):
    from flows.safety import Verdict

    app = make_app(store_path, content, default_country="US")
    chat = agreed(app)
    chat.send("/flow signs")
    chat.press(chat.last.options[0].id)
    where, shown = chat.at, chat.last
    outcome = app.handle(chat.pid, Input.command("__danger__", "check:violence"), NOW)
    reply = outcome.replies[-1]
    assert (reply.flow, reply.step) == ("check", "ask")
    assert "911" in reply.text.split("\n")[1]
    assert isinstance(outcome.verdict, Verdict) and outcome.verdict.tier == "check"
    chat.last = reply
    chat.press("safe")
    assert chat.at == where and chat.last.text == shown.text


def test_not_safe_on_the_check_question_opens_the_crisis_screen_with_what_was_found(store_path, content):
    app = make_app(store_path, content, default_country="US")
    chat = agreed(app)
    outcome = app.handle(chat.pid, Input.command("__danger__", "check:violence"), NOW)
    chat.last = outcome.replies[-1]
    out = chat.press("not_safe")
    assert chat.at == "crisis respond"
    assert app.content.flows["crisis"].text.steps["respond"].blocks["violence"] in out


def test_a_check_the_learned_net_raised_speaks_to_both_kinds_of_harm_when_not_safe(store_path, content):
    """The net's category is a guess: 'not safe' after its check shows the violence and the self-harm words and
    lines, with the guess first."""
    app = make_app(store_path, content, default_country="US")
    chat = agreed(app)
    outcome = app.handle(chat.pid, Input.command("__danger__", "check:self_harm,unsure"), NOW)
    chat.last = outcome.replies[-1]
    assert (chat.last.flow, chat.last.step) == ("check", "ask")
    out = chat.press("not_safe")
    blocks = app.content.flows["crisis"].text.steps["respond"].blocks
    assert chat.at == "crisis respond"
    assert blocks["self_harm"] in out and blocks["violence"] in out and "unsure" not in out
    lines = [line.name for line in app.resources.lines_for("US", ("self_harm", "violence"))]
    assert all(text_in(name) in out for name in lines[:2]), lines


def test_the_learned_net_marks_its_checks_unsure_and_the_rules_do_not():
    from flows.safety import UNSURE
    from tests.conftest import shared_rules

    triage, _ = shared_rules()
    net = [t for t in ("he threatend to stabb me", "he beeted me up", "ive ben cuting myself")
           if triage.assess(t).tier == "check"]
    assert net and all(triage.assess(t).kinds == (UNSURE,) for t in net)
    assert UNSURE not in triage.assess("he is hitting me right now").kinds


# ---- no dismissal -------------------------------------------------------------------------------------------


def _choice_steps(content):
    for flow in content.flows.values():
        for step in flow.steps.values():
            if step.kind in ("choice", "checklist", "scale", "message", "summary") and flow.id != "onboarding":
                yield flow.id, step.id


def test_free_text_at_every_choice_step_is_read_acknowledged_and_kept_on_request(store_path, content):
    """Every choice step of every flow: the text is acknowledged (never 'didn't catch that'), the step comes
    again with `Keep it in my journal` before the way-outs, and keeping it saves it to the journal."""
    app = make_app(store_path, content, default_country="GB")
    chat = agreed(app)
    steps = list(_choice_steps(content))
    assert len(steps) > 40
    for n, (flow, step) in enumerate(steps):
        place(app, chat, flow, step)
        words = f"it was a long day at the office, note {n}"
        chat.send(words)
        replies = chat.outcome.replies
        assert not any(w in r.text.lower() for r in replies for w in DISMISSALS), (flow, step)
        assert replies[-1].is_step and (replies[-1].flow, replies[-1].step) == (flow, step), (flow, step)
        ids = [o.id for o in replies[-1].options]
        assert "/keep_note" in ids, (flow, step)
        tail = ids[ids.index("/keep_note") + 1:]
        assert all(i in ("back", "resume", "menu") for i in tail), (flow, step, ids)
    chat.press("/keep_note")
    saved = [e["text"] for e in app.store.journal(chat.pid, offset=0, limit=5)]
    assert saved[0] == f"it was a long day at the office, note {len(steps) - 1}"
    app.store.close()


def test_held_text_is_never_stored_until_the_person_keeps_it(store_path, content):
    from tests.support.people import raw_bytes

    app = make_app(store_path, content)
    chat = agreed(app)
    chat.send("QZX-held-words-4411")
    assert b"QZX-held-words-4411" not in raw_bytes(store_path)
    app.store.close()


def test_text_on_the_crisis_screen_is_triaged_again_and_answered_with_presence(store_path, content):
    app = make_app(store_path, content, default_country="GB")
    chat = agreed(app)
    chat.send("he is hitting me right now")
    out = chat.send("i cant call he will hear me")
    assert chat.at == "crisis respond"
    assert out.startswith("I'm still here")
    assert "999" in out  # the screen, numbers and all, comes again
    app.store.close()


def test_a_press_on_a_danger_question_asks_the_adapter_to_leave_no_mark_of_the_answer(tmp_path, now):
    """Outcome.hide_answer: every step of the crisis and check flows, and a step content marks `sensitive: true`."""
    import shutil

    import yaml

    from flows.content import load_content
    from flows.model import Input
    from tests.conftest import CONTENT, make_app
    from tests.support.people import agreed

    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    signs = yaml.safe_load((root / "flows" / "signs.yaml").read_text())
    feel = [s for s in signs["steps"] if s["id"] == "feel"][0]
    feel["sensitive"] = True
    (root / "flows" / "signs.yaml").write_text(yaml.safe_dump(signs, sort_keys=False))
    app = make_app(tmp_path / "f.db", load_content(root))
    try:
        chat = agreed(app)
        chat.send("/flow signs")
        assert not chat.outcome.hide_answer
        chat.press("continue")  # intro → pick: an ordinary step
        assert not chat.outcome.hide_answer
        chat.press("done")
        chat.press("3")
        assert chat.last.step == "feel" and not chat.outcome.hide_answer
        chat.press("clear")  # answered at the step marked sensitive
        assert chat.outcome.hide_answer
        chat.send("how many paracetamol is too many")
        assert chat.last.flow == "check" and not chat.outcome.hide_answer  # typed at an ordinary step
        chat.press("safe")
        assert chat.outcome.hide_answer  # answered the check question
        chat.send("he is hitting me right now")
        assert chat.last.flow == "crisis"
        chat.press("country")
        assert chat.outcome.hide_answer
    finally:
        app.store.close()


def test_typing_a_button_on_screen_is_that_choice_not_words_to_triage(store_path, content):
    """'A domestic abuse service' is a support option; typed at that step it ticks it, it does not open the
    crisis screen. The same words typed elsewhere are still triaged."""
    app = make_app(store_path, content, default_country="GB")
    chat = agreed(app)
    chat.send("/menu")
    chat.press("support")
    chat.press("partner")  # who it is about, asked before the first topic
    while chat.at != "support kinds":
        chat.press(chat.last.options[0].id)
    label = app.content.flows["support"].text.steps["kinds"].options["specialist"]
    assert app.triage.assess(label).tier == "crisis"  # the words alone would open it
    chat.send(label)
    assert chat.at == "support kinds"
    assert any(o.id == "specialist" and o.ticked for o in chat.last.options)
    chat.send("/menu")
    chat.send(label)
    assert chat.at == "crisis respond"


def test_where_danger_is_written_on_purpose_the_check_question_is_not_asked(store_path, content):
    """A safety plan's warning signs ('se queda callado, me revisa el teléfono') are not met with 'are you safe?';
    a crisis typed there still opens the crisis screen."""
    app = make_app(store_path, content, default_country="GB")
    signs = ["Se queda callado, me revisa el teléfono", "he reads my messages again tonight"]
    assert all(app.triage.assess(words).tier == "check" for words in signs)  # asked anywhere else
    chat = agreed(app)
    chat.send("/flow safety_plan")
    chat.press(chat.last.options[0].id)
    while chat.at != "safety_plan signs":
        chat.press(chat.last.options[0].id)
    chat.send(" / ".join(signs))
    assert chat.at == "safety_plan people"
    chat.send("he is strangling me right now")
    assert chat.at == "crisis respond"
