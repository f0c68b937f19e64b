"""The safety plan (content/flows/safety_plan.yaml) and /plan (bot/features/plan): the real engine, service and
SQLite file, driven as the console drives them."""

from __future__ import annotations

from flows.model import Input
from tests.conftest import make_app
from tests.support.people import agreed

PIN = "2580"


def lock(chat) -> None:
    """A PIN set, the chat locked now (as /exit clears it), and the neutral start the next message gets."""
    chat.send("/lock")
    chat.send(PIN)
    chat.send(PIN)
    chat.send("/lock now")
    chat.send("/start")
    assert chat.last.flow == "welcome"


def fill(chat, answers: dict[str, str]) -> None:
    """Walk the plan from its start, typing `answers[step]` at a reflection and skipping the others; tick the
    first and third things to keep ready; Go on at the phone and leaving screens."""
    chat.send("/flow safety_plan")
    chat.press("begin")
    while chat.last.step != "summary":
        step = chat.last.step
        if chat.last.kind == "reflection":
            chat.send(answers[step]) if step in answers else chat.press("skip")
        elif step == "ready":
            chat.press("id_papers")
            chat.press("medication")
            chat.press("done")
        elif step == "tech":
            chat.press("later")
        elif step == "leaving":
            chat.press("go_on")
        else:
            raise AssertionError(f"unexpected step {step}")


def test_plan_with_nothing_in_it_opens_the_topic(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    out = chat.send("/plan")
    assert chat.at == "safety_plan intro"
    assert "Your safety plan" not in out
    assert [o.id for o in chat.last.options][:1] == ["begin"]
    assert "change" not in [o.id for o in chat.last.options]  # nothing to change yet
    app.store.close()


def test_plan_shows_only_the_filled_parts_as_one_message_that_expires(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    fill(chat, {"signs": "Goes quiet before a row", "code_word": "Blue umbrella to R", "money": "Cash at S's"})
    chat.send("/menu")
    chat.send("/plan")
    replies = chat.outcome.replies
    plans = [r for r in replies if r.text.startswith("Your safety plan")]
    assert len(plans) == 1 and not plans[0].is_step
    plan = plans[0]
    assert plan.expires_after == 10 * 60
    assert "Warning signs: Goes quiet before a row" in plan.text
    assert "Code word: Blue umbrella to R" in plan.text
    assert "Ready to take: ID, passport, papers; Medication or prescriptions" in plan.text
    assert "Money: Cash at S's" in plan.text
    for skipped in ("Safe people:", "Safe places:", "Children and pets:", "At work:"):
        assert skipped not in plan.text
    assert "leaves the chat in about 10 minutes" in plan.text
    assert replies[-1].is_step and chat.at == "menu home"  # the person's place, after the plan
    # the same message from the topic's own button, before the step that keeps the buttons
    chat.send("/flow safety_plan")
    chat.press("show")
    shown = chat.outcome.replies
    assert shown[0].text == plan.text and shown[0].expires_after == plan.expires_after
    assert shown[-1].is_step and chat.at == "safety_plan intro"
    app.store.close()


def test_changing_one_part_goes_back_to_the_end_and_keeps_the_rest(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    fill(chat, {"signs": "Old sign", "places": "Old place"})
    chat.press("change")
    chat.press("p_places")
    assert chat.at == "safety_plan places"
    assert 'What your plan says now: "Old place"' in chat.last.text
    chat.send("New place")
    assert chat.at == "safety_plan summary"
    answers = app.store.answers(chat.pid)["safety_plan"]
    assert answers["places"] == "New place" and answers["signs"] == "Old sign"
    # going through from the start again walks every part, and skipping keeps what was there
    chat.send("/flow safety_plan")
    chat.press("begin")
    assert chat.at == "safety_plan signs"
    chat.press("skip")
    assert chat.at == "safety_plan people"
    assert app.store.answers(chat.pid)["safety_plan"]["signs"] == "Old sign"
    app.store.close()


def test_the_plan_is_not_in_the_journal_but_is_in_export_and_gone_after_delete(store_path, content):
    from bot.features.privacy import export_data
    from tests.support.people import raw_bytes

    app = make_app(store_path, content)
    chat = agreed(app)
    fill(chat, {"signs": "QZX-PLAN-SIGN-7731"})
    assert not app.store.journal(chat.pid)
    exported = export_data(app.store, chat.pid, chat.now)
    assert exported["answers"]["safety_plan"]["signs"] == "QZX-PLAN-SIGN-7731"
    chat.send("/delete")
    chat.press(next(o.id for o in chat.last.options if o.id not in ("back", "menu", "resume")))
    assert app.store.load(chat.pid) is None
    assert b"QZX-PLAN-SIGN-7731" not in raw_bytes(store_path)
    app.store.close()


def test_plan_is_hidden_from_the_command_menu_but_works(content):
    assert "plan" in content.common.commands and "plan" in content.common.unlisted
    assert "plan" not in content.common.listed_commands


def test_plan_while_locked_shows_the_pad_and_after_the_pin_the_plan(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    fill(chat, {"signs": "Goes quiet before a row"})
    lock(chat)
    out = chat.send("/plan")
    assert "Goes quiet" not in out and "Your safety plan" not in out
    assert chat.last.flow == "lock" and chat.last.kind == "pad"
    out = chat.send(PIN)
    assert "Unlocked." in out
    plan = [r for r in chat.outcome.replies if r.text.startswith("Your safety plan")]
    assert len(plan) == 1 and "Warning signs: Goes quiet before a row" in plan[0].text
    assert plan[0].expires_after is not None
    app.store.close()


def test_the_topic_itself_is_behind_the_lock(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    fill(chat, {"signs": "Goes quiet before a row"})
    lock(chat)
    out = chat.send("/flow safety_plan")
    assert "Goes quiet" not in out and chat.last.kind == "pad"
    assert not content.flows["safety_plan"].spec.open_when_locked
    app.store.close()


def test_plan_reaches_the_danger_check_and_the_phone_checks(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    chat.send("/flow safety_plan")
    chat.press("begin")
    for _ in range(7):
        chat.press("skip") if chat.last.kind == "reflection" else chat.press("done")
    assert chat.at == "safety_plan tech"
    chat.press("checks")
    assert chat.at == "tech_safety intro"
    chat.press("resume")
    assert chat.at == "safety_plan tech"
    chat.press("later")
    chat.press("skip")
    assert chat.at == "safety_plan leaving"
    assert "most dangerous time" in chat.last.text and "Numbers for" in chat.last.text
    chat.press("danger")
    assert chat.at == "danger_check intro"
    chat.handle(Input.option("resume"))
    assert chat.at == "safety_plan leaving"
    app.store.close()


def test_progress_counts_the_parts_filled_and_never_shows_their_words(store_path, content):
    app = make_app(store_path, content)
    chat = agreed(app)
    assert "parts filled in" not in chat.send("/progress")  # nothing filled: no line
    fill(chat, {"signs": "He goes quiet and checks my phone", "code_word": "blue umbrella"})
    out = chat.send("/progress")
    total = sum(1 for sid in content.flows["safety_plan"].steps if f"plan_part_{sid}" in content.common.notes)
    assert f"Your safety plan: 3 of {total} parts filled in." in out  # two typed, and the things to keep ready
    assert "blue umbrella" not in out and "checks my phone" not in out
    app.store.close()
