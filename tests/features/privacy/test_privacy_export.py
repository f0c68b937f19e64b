"""/export round-trips what a person stored; /exit clears the chat with one neutral message."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

from bot.adapters.console import Console
from flows.model import Input
from tests.support.people import agree, to_reflection
from tests.support.driver import Chat


def _export(chat: Chat) -> dict:
    chat.send("/export")
    assert chat.last.flow == "export"
    assert [o.label for o in chat.last.options] == ["Send it", "Cancel"]
    assert "/exit" in chat.last.text
    chat.press("send")
    docs = [r for r in chat.outcome.replies if r.document is not None]
    assert len(docs) == 1
    name, body = docs[0].document
    assert name == "fulcrum-export.json"
    assert chat.outcome.replies[-1].is_step  # and the person is back where they were
    return json.loads(body.decode("utf-8"))


def test_export_round_trips_answers_journal_profile_and_progress(app):
    chat = Chat(app, "x")
    agree(chat)
    to_reflection(chat)
    chat.send("what I wrote — with ünïcode")
    with app.store.transaction():
        app.store.set_profile(chat.pid, country="gb")
    where = chat.at
    data = _export(chat)
    assert chat.at == where

    person = app.store.load(chat.pid)
    stored = {f: a for f, a in person.answers.items() if f != "export"}  # "Send it" is saved after the file is made
    assert data["answers"] == stored and any(f == "signs" for f in stored)
    assert data["profile"] == person.profile
    assert person.profile["country"] == "gb" and len(person.profile["visits"]) == 1  # the lock's visit record
    assert [(j["flow"], j["step"], j["text"]) for j in data["journal"]] == \
        [(j["flow"], j["step"], j["text"]) for j in reversed(app.store.journal(chat.pid, limit=100))]
    assert data["journal"][0]["text"] == "what I wrote — with ünïcode"
    assert data["conversation"]["return_to"]["step"] == chat.last.step
    assert {c["flow"] for c in data["completions"]} == set(person.completed)
    assert data["checkins"] == [] and data["schedule"] is None
    assert "account" in data and data["account"]["agreed_at"]


def test_export_includes_completions(app):
    chat = Chat(app, "done")
    agree(chat)
    for _ in range(30):
        if chat.last.kind == "summary":
            break
        if chat.last.kind == "reflection":
            chat.send("x")
        elif chat.last.kind == "checklist":
            chat.press("done")
        else:
            chat.press(next(o.id for o in chat.last.options if o.id not in ("back", "menu", "resume")))
    data = _export(chat)
    assert [c["flow"] for c in data["completions"]] == ["signs"]


def test_cancel_sends_nothing(app):
    chat = Chat(app, "c")
    agree(chat)
    where = chat.at
    chat.send("/export")
    chat.press("cancel")
    assert all(r.document is None for r in chat.outcome.replies)
    assert chat.at == where


def test_console_writes_the_export_owner_only_and_prints_its_absolute_path(app):
    out = io.StringIO()
    console = Console(app, "con", out=out, err=io.StringIO())
    console.run(["1", "/export", "1"])
    lines = [line for line in out.getvalue().splitlines() if line.startswith("export: ")]
    assert len(lines) == 1
    path = Path(lines[0].removeprefix("export: "))
    assert path.is_absolute() and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["answers"]["onboarding"]["notice"] == "agree"


# ---- /exit ----------------------------------------------------------------------------------------------------


def test_exit_in_the_console_prints_only_the_neutral_message(app, content):
    out = io.StringIO()
    console = Console(app, "e", out=out, err=io.StringIO())
    console.run(["1"])
    out.seek(0)
    out.truncate()
    console.feed("/exit")
    expected = f"{content.note('chat_cleared')}\n\n{content.note('chat_cleared_older')}\n\n"
    assert out.getvalue() == expected
    assert out.getvalue().startswith("Chat cleared.")
    for word in ("power", "abuse", "partner", "help", "relationship", "Fulcrum"):
        assert word.lower() not in out.getvalue().lower()


def test_exit_returns_exactly_the_tracked_ids_younger_than_48_hours_and_forgets_them(app, now):
    chat = Chat(app, "t", start=now - timedelta(hours=60))
    agree(chat)
    to_reflection(chat)
    where = (chat.last.flow, chat.last.step, chat.last.turn)
    pid, store = chat.pid, app.store
    with store.transaction():
        store.track_message(pid, 500, 1, now - timedelta(hours=50))
        store.track_message(pid, 500, 2, now - timedelta(hours=48, seconds=1))
        store.track_message(pid, 500, 3, now - timedelta(hours=47, minutes=59))
        store.track_message(pid, 500, 4, now - timedelta(minutes=1))
        store.track_message("cli:someone-else", 501, 9, now)  # not stored: they do not exist

    outcome = app.handle(pid, Input.command("exit"), now)

    assert outcome.delete_messages == [(500, 3), (500, 4)]
    assert len(outcome.replies) == 1 and not outcome.replies[0].is_step
    assert store.execute("SELECT count(*) FROM messages WHERE person = ?", (pid,)).fetchone()[0] == 0
    conv = store.load(pid).conversation
    assert (conv.flow, conv.step, conv.turn) == where  # their place is kept
    # the next message gets a neutral start, showing nothing of before; what it said is kept where it was typed
    nxt = app.handle(pid, Input.text("carrying on"), now + timedelta(seconds=5))
    assert [r.flow for r in nxt.replies if r.is_step] == ["welcome"]
    assert store.load(pid).answers[where[0]][where[1]] == "carrying on"
    assert nxt.delete_messages == []


def test_exit_before_agreeing_stores_nothing(app, now):
    app.handle("cli:new", Input.open(), now)
    outcome = app.handle("cli:new", Input.command("exit"), now)
    assert outcome.replies[0].text.startswith("Chat cleared.")
    assert outcome.delete_messages == []
    assert app.store.execute("SELECT count(*) FROM people").fetchone()[0] == 0


def test_exit_and_about_are_listed_commands_with_neutral_descriptions(content):
    commands = content.common.commands
    for name in ("exit", "delete", "export", "about"):
        assert name in commands
    assert commands["exit"] == "Clear this chat"


def test_commands_that_tell_what_is_kept_are_hidden_from_the_command_menu(content):
    """Telegram's command menu shows to anyone holding the phone. Whoever adds one of these commands (a PIN lock,
    an incident record, a safety plan) marks it `hidden: true` in content/en/common.yaml, or this fails."""
    sensitive = {"journal", "export", "delete", "lock", "unlock", "record", "plan"}
    present = sensitive & set(content.common.commands)
    assert {"journal", "export", "delete"} <= present
    assert present <= set(content.common.unlisted)
    assert not present & set(content.common.listed_commands)


def test_a_hidden_command_entry_is_data(tmp_path, content):
    from flows.content import CommonText

    common = CommonText.model_validate({"version": 1, "options": {}, "notes": {}, "commands": {
        "menu": "Main menu", "plan": {"description": "Later", "hidden": True}, "lock": {"description": "L"}}})
    assert common.commands == {"menu": "Main menu", "plan": "Later", "lock": "L"}
    assert common.unlisted == ["plan"] and list(common.listed_commands) == ["menu", "lock"]


def test_about_shows_privacy_and_intake_links_only_when_set(store_path, content, now):
    from tests.conftest import make_app

    bare = make_app(store_path, content)
    text = bare.handle("cli:a", Input.command("about"), now).replies[-1].text
    assert "our counselling practice" in text and "/delete" in text and "/export" in text
    assert "https://" not in text
    bare.store.close()
    linked = make_app(store_path, content, privacy_url="https://example.org/privacy",
                      intake_url="https://example.org/intake", practice_name="Harbour Counselling")
    text = linked.handle("cli:b", Input.command("about"), now).replies[-1].text
    assert "https://example.org/privacy" in text and "https://example.org/intake" in text
    assert "Harbour Counselling" in text
    linked.store.close()
