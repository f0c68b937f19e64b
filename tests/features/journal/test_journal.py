"""/journal: newest first, five a page, Previous/Next only when they make sense, delete with confirmation."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from bot.adapters.console import Console
from flows.model import Input
from tests.support.driver import Chat
from tests.support.people import agreed


def fill(app, chat: Chat, n: int) -> None:
    with app.store.transaction():
        for i in range(n):
            app.store.add_journal(chat.pid, "signs", "moment", f"entry {i + 1}",
                                  datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(hours=i))


def ids(chat: Chat) -> list[str]:
    return [o.id for o in chat.last.options]


def test_empty_journal(app):
    chat = agreed(app)
    out = chat.send("/journal")
    assert chat.at == "journal page"
    assert "Nothing here yet" in out
    assert ids(chat) == ["resume", "menu"]


def test_exactly_five_entries_fit_on_one_page(app):
    chat = agreed(app)
    fill(app, chat, 5)
    out = chat.send("/journal")
    assert ids(chat) == ["remove", "resume", "menu"]
    lines = [line for line in out.splitlines() if " · " in line]
    assert lines[0] == "1 Nov · Noticing the signs: entry 5"  # newest first, with the topic's title
    assert lines[-1] == "1 Nov · Noticing the signs: entry 1"
    assert "Page" not in out


def test_six_entries_page_with_next_then_previous(app):
    chat = agreed(app)
    fill(app, chat, 6)
    out = chat.send("/journal")
    assert ids(chat) == ["older", "remove", "resume", "menu"]
    assert "entry 6" in out and "entry 1" not in out and "Page 1 of 2." in out
    out = chat.press("older")
    assert ids(chat) == ["newer", "remove", "resume", "menu"]
    assert "entry 1" in out and "entry 2" not in out and "Page 2 of 2." in out
    assert app.view(chat.pid, chat.now).options == chat.last.options  # a button index means the same
    chat.press("older")  # an old Next button: stays on the last page
    assert "Page 2 of 2." in chat.outputs[-1]
    chat.press("newer")
    assert "entry 6" in chat.outputs[-1]


def test_paging_survives_a_restart(app, store_path, content):
    from tests.conftest import make_app

    chat = agreed(app)
    fill(app, chat, 7)
    chat.send("/journal")
    chat.press("older")
    again = make_app(store_path, content)
    assert "Page 2 of 2." in again.view(chat.pid, chat.now).text
    again.store.close()


def test_delete_asks_which_then_confirms(app):
    chat = agreed(app)
    fill(app, chat, 3)
    chat.send("/journal")
    chat.press("remove")
    assert chat.at == "journal pick"
    assert ids(chat) == ["e1", "e2", "e3", "cancel", "resume", "menu"]
    assert chat.last.options[1].label == "1 Nov: entry 2"
    out = chat.press("e2")
    assert chat.at == "journal confirm" and "entry 2" in out
    assert ids(chat) == ["delete", "keep", "resume", "menu"]
    out = chat.press("delete")
    assert "Deleted." in out and chat.at == "journal page"
    assert [e["text"] for e in app.store.journal(chat.pid)] == ["entry 3", "entry 1"]


def test_keep_it_keeps_the_entry(app):
    chat = agreed(app)
    fill(app, chat, 2)
    chat.send("/journal")
    chat.press("remove")
    chat.press("e1")
    chat.press("keep")
    assert chat.at == "journal page"
    assert app.store.journal_count(chat.pid) == 2


def test_an_entry_added_meanwhile_does_not_shift_the_one_chosen(app):
    chat = agreed(app)
    fill(app, chat, 2)
    chat.send("/journal")
    chat.press("remove")
    chat.press("e1")  # entry 2
    with app.store.transaction():
        app.store.add_journal(chat.pid, "checkin", "note", "newer", chat.now)
    chat.press("delete")
    assert [e["text"] for e in app.store.journal(chat.pid)] == ["newer", "entry 1"]


def test_journal_text_adds_an_encrypted_note(store_path, content):
    from bot.store.crypto import new_key
    from tests.conftest import make_app

    app = make_app(store_path, content, data_key=new_key())
    chat = agreed(app)
    out = chat.send("/journal Today I said no and it went fine")
    assert "Saved to your journal." in out
    assert "· Note: Today I said no and it went fine" in out
    raw = app.store.execute("SELECT text FROM journal").fetchone()[0]
    assert "said no" not in str(raw)
    assert "said no" not in app.store.execute("SELECT state FROM people").fetchone()[0]
    assert [e["text"] for e in app.store.journal(chat.pid)] == ["Today I said no and it went fine"]
    chat.press("resume")
    assert chat.at == "menu home"
    app.store.close()


def test_crisis_text_in_journal_gets_the_crisis_reply_and_is_still_saved(app):
    chat = agreed(app)
    chat.send("/journal I want to kill myself")
    assert chat.outcome.crisis and chat.last.flow == "crisis"
    assert [e["text"] for e in app.store.journal(chat.pid)] == ["I want to kill myself"]


def test_console_journal_lines_never_start_with_a_bracket(app):
    out = io.StringIO()
    clock = iter(datetime(2026, 11, 28, 12, tzinfo=timezone.utc) + timedelta(seconds=s) for s in range(100))
    console = Console(app, "jc", out=out, clock=lambda: next(clock))
    console.run(["/start", "1", "/journal [1] pretend option\n[2] another", "/journal second"])
    lines = out.getvalue().splitlines()
    assert "28 Nov · Note: [1] pretend option [2] another" in lines
    assert all(line[1:].split("]")[0].isdigit() for line in lines if line.startswith("["))


def test_journal_before_agreeing_saves_nothing(app, now):
    outcome = app.handle("cli:new", Input.command("journal", "hello"), now)
    assert outcome.replies[-1].flow == "onboarding"
    assert app.store.execute("SELECT count(*) FROM journal").fetchone()[0] == 0
