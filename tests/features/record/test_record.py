"""/record: quick entries and the walk, numbered lists with short buttons, changes that keep the written-down
time, deletion, the lock, the check-in offer, /progress's count, and that entries never sit among answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.adapters.telegram import render
from tests.support.driver import Chat
from tests.support.people import agreed

WHAT = "Ravelstoke said I was useless in front of the team"


def ids(chat: Chat) -> list[str]:
    return [o.id for o in chat.last.options]


def fill(app, chat: Chat, n: int) -> None:
    with app.store.transaction():
        for i in range(n):
            app.store.add_record(chat.pid, {"happened": f"2026-11-{i + 1:02d}", "what": f"entry text {i + 1}"},
                                 datetime(2026, 11, 20, tzinfo=timezone.utc) + timedelta(hours=i))


def test_quick_entry_is_saved_dated_now_and_leaves_the_chat(app):
    chat = agreed(app)
    out = chat.send(f"/record {WHAT}")
    assert chat.at == "record page"
    assert chat.outcome.delete_incoming
    [entry] = app.store.records(chat.pid)
    assert entry["what"] == WHAT and entry["happened"] == "2026-11-28 12:00"
    assert "Saved to your record as No. 1, dated 28 Nov 2026, 12:00." in out
    assert WHAT not in out  # the list names entries by number and date only
    assert [o.label for o in chat.last.options][:2] == ["Add an entry", "No. 1 · 28 Nov 2026"]
    assert "record" not in app.store.load(chat.pid).answers


def test_the_walk_saves_each_answer_and_keeps_none_among_answers(app):
    chat = agreed(app)
    chat.send("/record")
    chat.press("add")
    assert chat.at == "record_entry when"
    chat.press("other")
    assert "couldn't read that as a date" in chat.send("the thirty-first of Smarch")
    assert "hasn't come yet" in chat.send("2 Dec 2026")  # the driver's clock is 28 Nov 2026
    assert chat.at == "record_entry when_typed"
    chat.send("26/11/2026 18:30")
    assert chat.at == "record_entry what"
    chat.send(WHAT)
    assert chat.outcome.delete_incoming
    [entry] = app.store.records(chat.pid)  # saved as soon as there are words: stopping here loses nothing
    assert entry["happened"] == "2026-11-26 18:30" and entry["what"] == WHAT
    chat.send("in the Monday meeting")
    chat.press("pass")  # who saw: skipped
    chat.send("I couldn't sleep")
    assert "I don't store photos or files" in chat.outputs[-1]
    chat.send("forwarded to my personal email")
    assert chat.at == "record_entry saved"
    [entry] = app.store.records(chat.pid)
    assert {k: entry.get(k) for k in ("what", "place", "who", "impact", "evidence")} == {
        "what": WHAT, "place": "in the Monday meeting", "who": None, "impact": "I couldn't sleep",
        "evidence": "forwarded to my personal email"}
    person = app.store.load(chat.pid)
    assert "record_entry" not in person.answers and "record" not in person.answers


def test_list_pages_five_with_short_buttons_and_no_words(app):
    chat = agreed(app)
    fill(app, chat, 7)
    out = chat.send("/record")
    assert ids(chat) == ["add", "e1", "e2", "e3", "e4", "e5", "older", "pdf", "resume", "menu"]
    assert "entry text" not in out and "Page 1 of 2." in out
    assert chat.last.options[1].label == "No. 7 · 7 Nov 2026"  # the most recent happening first
    version = app.content.version
    for i, option in enumerate(chat.last.options):
        data = render.encode(version, 10_000_000, option.id, i)
        assert len(data.encode()) <= render.DATA_LIMIT and not data.split(":")[2].startswith("#")
    out = chat.press("older")
    assert ids(chat) == ["add", "e1", "e2", "newer", "pdf", "resume", "menu"]
    assert "No. 1 · 1 Nov 2026" in out and "Page 2 of 2." in out


def test_a_change_keeps_the_written_down_time_and_says_edited_on(app):
    chat = agreed(app)
    chat.send(f"/record {WHAT}")
    written = app.store.records(chat.pid)[0]["created_at"]
    chat.press("e1")
    assert chat.at == "record entry" and WHAT in chat.outputs[-1] and "Edited on" not in chat.outputs[-1]
    chat.press("edit")
    chat.press("what")
    assert WHAT in chat.outputs[-1]  # the words being replaced are shown
    chat.now += timedelta(days=2)
    out = chat.send("Ravelstoke called me useless in front of the whole team")
    assert chat.outcome.delete_incoming
    [entry] = app.store.records(chat.pid)
    assert entry["created_at"] == written and entry["edited_at"].startswith("2026-11-30T12:00")
    assert entry["what"] == "Ravelstoke called me useless in front of the whole team"
    assert "Written down: 28 Nov 2026, 12:00" in out and "Edited on: 30 Nov 2026, 12:00" in out
    chat.press("edit")
    chat.press("when")
    chat.press("yesterday")
    assert app.store.records(chat.pid)[0]["happened"] == "2026-11-29"
    assert app.store.records(chat.pid)[0]["created_at"] == written


def test_delete_asks_first_and_then_it_is_gone(app):
    chat = agreed(app)
    fill(app, chat, 2)
    chat.send("/record")
    chat.press("e1")
    chat.press("remove")
    assert chat.at == "record confirm"
    chat.press("keep")
    assert app.store.record_count(chat.pid) == 2
    chat.press("remove")
    out = chat.press("delete")
    assert "Deleted." in out and chat.at == "record page"
    assert [e["what"] for e in app.store.records(chat.pid)] == ["entry text 1"]


def test_record_while_locked_shows_the_pin_pad(app):
    chat = agreed(app)
    chat.send(f"/record {WHAT}")
    chat.send("/lock")
    chat.send("2580")  # the PIN, typed (its message leaves the chat), and the same again
    chat.send("2580")
    chat.send("/lock")
    chat.press(next(o.id for o in chat.last.options if o.label == app.content.label("lock_now")))
    out = chat.send("/record")  # the first message after locking gets the neutral start: nothing of the record
    assert chat.last.flow != "record" and WHAT not in out and "No. 1" not in out
    out = chat.send("/record")
    assert chat.last.kind == "pad" and WHAT not in out and "No. 1" not in out
    out = chat.send("/record_export")
    assert chat.last.kind == "pad"


def test_a_checkin_offers_to_add_to_the_record(app):
    chat = agreed(app)
    chat.send("/checkin")
    chat.press("1")
    chat.press("1")  # not afraid
    chat.press("skip")
    assert chat.at == "checkin thanks" and "Add to my record" in [o.label for o in chat.last.options]
    chat.press("record")
    assert chat.at == "record_entry when"
    chat.press("today")
    chat.send(WHAT)
    chat.press("pass"), chat.press("pass"), chat.press("pass"), chat.press("pass")
    chat.press("finish")
    assert app.store.records(chat.pid)[0]["happened"] == "2026-11-28"
    out = chat.send("/progress")
    assert "Entries in your record: 1." in out and WHAT not in out


def test_words_that_open_the_crisis_screen_are_still_kept(app):
    chat = agreed(app)
    chat.send("/record")
    chat.press("add")
    chat.press("today")
    chat.send("he choked me last night")
    assert chat.last.flow == "crisis"
    [entry] = app.store.records(chat.pid)
    assert entry["what"] == "he choked me last night"
    assert "record_entry" not in app.store.load(chat.pid).answers
    chat.press("resume")
    assert chat.at == "record_entry what"
    chat.send("then he left the room")  # added to what was kept, not written over it
    assert app.store.records(chat.pid)[0]["what"] == "he choked me last night\n\nthen he left the room"
    assert chat.at == "record_entry place"
    chat.send("/record he hit me again")
    assert chat.last.flow == "crisis" and app.store.record_count(chat.pid) == 2
