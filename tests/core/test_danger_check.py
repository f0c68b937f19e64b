"""The danger check (content/flows/danger_check.yaml): warning signs of serious harm, named without a score;
only the resulting signal is kept, never the answers. Real engine, service and SQLite file (plaintext, so a
stored answer would show in the file's bytes)."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.support.people import agreed, raw_bytes

QUESTIONS = ["choking", "weapon", "threat", "worse", "leaving", "pregnant", "control", "own_life"]
ANSWER_IDS = (b"sign_yes", b"sign_no", b"sign_unsure")


@pytest.fixture
def app(store_path, content):
    application = make_app(store_path, content, default_country="GB")
    yield application
    application.store.close()


def into_check(chat) -> None:
    """The check opened from the crisis screen after violence (its one door that needs no topic)."""
    chat.send("he hit me last night")
    assert chat.at == "crisis respond"
    chat.press("danger")
    assert chat.at == "danger_check intro"


def answer_all(chat, answers: dict[str, str]) -> str:
    chat.press("begin")
    out = ""
    for step in QUESTIONS:
        assert chat.at == f"danger_check {step}"
        out = chat.press(answers.get(step, "sign_no"))
    return out


@pytest.mark.parametrize("step", QUESTIONS)
@pytest.mark.parametrize("answer", ["sign_yes", "sign_unsure"])
def test_any_yes_or_not_sure_is_named_as_a_warning_sign_with_lines_and_the_plan(app, step, answer):
    chat = agreed(app)
    into_check(chat)
    out = answer_all(chat, {step: answer})
    assert chat.at == "danger_check warning"
    assert "At least one of your answers was a yes or a not sure" in out
    assert "warning sign of serious harm" in out
    assert "In danger now? Call 999" in out  # {emergency}, first on the screen
    assert out.index("In danger now?") < out.index("Thank you for answering")
    assert "National Domestic Abuse Helpline" in out  # the specialist line comes first after violence
    ids = [o.id for o in chat.last.options]
    assert ids[:2] == ["plan", "more_help"]
    for word in ("score:", "you are safe", "low risk", "high risk", "out of"):
        assert word not in out.lower()


def test_every_no_still_says_it_is_not_a_measure_of_risk_and_shows_the_lines(app):
    chat = agreed(app)
    into_check(chat)
    out = answer_all(chat, {})
    assert chat.at == "danger_check no_signs"
    assert "isn't a measure of how safe you are" in out
    assert "In danger now? Call 999" in out and "National Domestic Abuse Helpline" in out
    assert "warning sign" not in out and "you are safe" not in out.lower()
    assert [o.id for o in chat.last.options][:1] == ["plan"]


def test_a_warning_sign_shows_the_emergency_number_on_the_questions_that_follow(app):
    chat = agreed(app)
    into_check(chat)
    chat.press("begin")
    out = chat.press("sign_no")
    assert "You've named a warning sign" not in out
    out = chat.press("sign_yes")
    assert chat.at == "danger_check threat" and "You've named a warning sign. In danger now? Call 999" in out


def test_stopping_early_shows_help_at_once(app):
    chat = agreed(app)
    into_check(chat)
    chat.press("begin")
    chat.press("sign_unsure")
    chat.press("stop")
    assert chat.at == "danger_check warning"
    into_check(chat)
    chat.press("begin")
    chat.press("stop")
    assert chat.at == "danger_check no_signs"


def test_no_answer_is_stored_only_the_signal_and_it_starts_clear_each_time(app, store_path):
    chat = agreed(app)
    into_check(chat)
    answer_all(chat, {"choking": "sign_yes", "leaving": "sign_unsure"})
    app.store.checkpoint()
    person = app.store.load(chat.pid)
    assert "danger_check" not in person.answers and "crisis" not in person.answers
    assert person.profile["danger_signal"] == "present"
    assert not any(a in raw_bytes(store_path) for a in ANSWER_IDS)
    # the history saved with the conversation is the same whatever was answered
    assert person.conversation.return_to is not None
    # a second run with every answer "no" knows nothing of the first
    into_check(chat)
    out = answer_all(chat, {})
    assert chat.at == "danger_check no_signs" and "warning sign" not in out
    assert app.store.load(chat.pid).profile["danger_signal"] is None
    app.store.checkpoint()
    assert not any(a in raw_bytes(store_path) for a in ANSWER_IDS)


def test_the_step_history_does_not_depend_on_the_answers(app):
    chat = agreed(app, "one")
    into_check(chat)
    answer_all(chat, {"weapon": "sign_yes"})
    other = agreed(app, "two")
    into_check(other)
    answer_all(other, {})
    first = app.store.load(chat.pid).conversation
    second = app.store.load(other.pid).conversation
    assert first.history == second.history == ["intro", *QUESTIONS]


def test_questions_are_sensitive_kept_out_of_answers_and_never_marked(app, content):
    flow = content.flows["danger_check"]
    for step in QUESTIONS:
        spec = flow.steps[step]
        assert spec.sensitive and not spec.keep, step
    chat = agreed(app)
    into_check(chat)
    chat.press("begin")
    chat.press("sign_yes")
    assert chat.outcome.hide_answer  # the adapter leaves nothing of the chosen answer on the question


def test_the_crisis_screen_offers_it_after_violence_only(app):
    chat = agreed(app)
    chat.send("he hit me")
    assert "danger" in [o.id for o in chat.last.options]
    other = agreed(app, "b")
    other.send("i want to kill myself")
    assert other.at == "crisis respond"
    assert "danger" not in [o.id for o in other.last.options]


def test_signs_offers_it_at_the_end_when_fear_was_ticked(app):
    chat = agreed(app)
    chat.send("/flow signs")
    chat.press("continue")
    chat.press("fear")
    chat.press("done")
    chat.press("3")
    chat.press("clear")
    chat.send("A moment")
    chat.press("go_on")
    assert chat.at == "signs summary"
    assert "danger" in [o.id for o in chat.last.options]
    chat.press("danger")
    assert chat.at == "danger_check intro"
    calm = agreed(app, "calm")
    calm.send("/flow signs")
    calm.press("continue")
    calm.press("decisions")
    calm.press("done")
    calm.press("3")
    calm.press("clear")
    calm.send("A moment")
    assert calm.at == "signs summary"
    assert "danger" not in [o.id for o in calm.last.options]


def test_it_stays_open_while_the_chat_is_locked(app, content):
    assert content.flows["danger_check"].spec.open_when_locked
    chat = agreed(app)
    chat.send("/lock")
    chat.send("2580")
    chat.send("2580")
    chat.send("/lock now")
    chat.send("he hit me")  # danger is answered before the lock
    assert chat.at == "crisis respond"
    chat.press("danger")
    assert chat.at == "danger_check intro" and chat.last.kind != "pad"
    out = answer_all(chat, {"threat": "sign_yes"})
    assert chat.at == "danger_check warning" and "warning sign of serious harm" in out
    chat.press("plan")  # the plan itself stays behind the PIN
    assert chat.last.kind == "pad"




@pytest.mark.parametrize("answers, expected", [({}, None), ({"threat": "sign_unsure"}, "danger")])
def test_a_warning_sign_sets_the_safety_signal_and_an_all_no_ending_does_not(app, answers, expected):
    """The warning ending carries into every topic as the safety signal (bot/features/signal), as a fear answer
    does; answering every question "no" sets nothing. The crisis screen that opened the check set the signal
    itself, so it is cleared here first, as "Things have changed" in /about would."""
    chat = agreed(app)
    into_check(chat)
    with app.store.transaction():
        app.store.set_profile(chat.pid, safety_signal="")
    answer_all(chat, answers)
    assert (app.store.load(chat.pid).profile.get("safety_signal") or None) == expected
