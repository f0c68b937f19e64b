"""/progress: finished topics, the place to go back to, the check-in streak, and a chart from three check-ins."""

from __future__ import annotations

import io
import os
import stat
import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.adapters.console import Console
from bot.features.progress import chart_png, streak, weekly_summary
from bot.core.clock import iso
from flows.model import Input
from tests.support.driver import Chat
from tests.support.people import agreed

PNG = b"\x89PNG\r\n\x1a\n"


def add_checkins(app, pid: str, times_ratings: list[tuple[datetime, int | None]]) -> None:
    with app.store.transaction():
        for at, rating in times_ratings:
            app.store.execute("INSERT INTO checkins (person, at, rating) VALUES (?, ?, ?)", (pid, iso(at), rating))


def progress(chat: Chat):
    chat.send("/progress")
    return chat.outcome.replies


def test_no_data_at_all_gives_gentle_notes_and_no_chart(app):
    chat = agreed(app)
    replies = progress(chat)
    assert all(r.image is None and r.draw is None for r in replies)
    step = replies[-1]
    assert (step.flow, step.step) == ("progress", "report")
    assert "0 of 12 topics explored." in step.text
    assert "haven't finished a topic yet" in step.text
    assert "none yet" in step.text
    assert [o.id for o in step.options] == ["journal", "resume", "menu"]


def test_two_checkins_give_a_note_instead_of_a_chart(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(days=1), 2), (chat.now, 3)])
    replies = progress(chat)
    assert all(r.image is None and r.draw is None for r in replies)
    assert "After three check-ins you'll see a chart" in replies[-1].text and "So far: 2." in replies[-1].text


def test_three_checkins_on_one_day_give_a_png_with_a_one_sentence_summary(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(hours=h), r) for h, r in ((3, 2), (2, 3), (1, 5))])
    replies = progress(chat)
    charts = [r for r in replies if r.draw is not None]
    assert len(charts) == 1
    chart = charts[0]
    png = chart.draw()  # drawn by the adapter after the commit, off the event loop
    assert png.startswith(PNG) and not chart.is_step
    assert chart.text == ("Your last 3 check-ins averaged 3.3 out of 5, and recently they've been "
                          "moving towards more balance.")
    assert replies[-1].is_step and replies[-1].draw is None  # the buttons come last, after the photo
    from PIL import Image  # matplotlib depends on Pillow

    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_the_chart_is_drawn_only_when_opening_not_on_every_redraw(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(hours=h), 4) for h in (3, 2, 1)])
    progress(chat)
    chat.send("something unclear")
    assert all(r.image is None and r.draw is None for r in chat.outcome.replies)
    assert "averaged 4 out of 5" in chat.outcome.replies[-1].text  # the facts are still there in words
    assert app.view(chat.pid, chat.now).options == chat.last.options


def test_finished_topics_and_the_topic_they_are_in(app):
    chat = agreed(app)
    with app.store.transaction():
        app.store.execute("INSERT INTO completions (person, flow, completed_at) VALUES (?, 'signs', ?)",
                          (chat.pid, iso(datetime(2026, 11, 20, 9, tzinfo=timezone.utc))))
        app.store.execute("INSERT INTO completions (person, flow, completed_at) VALUES (?, 'signs', ?)",
                          (chat.pid, iso(datetime(2026, 11, 27, 9, tzinfo=timezone.utc))))
    chat.send("/flow contexts")
    chat.send("1")
    text = progress(chat)[-1].text
    assert "Topics you've finished:\n• Noticing the signs (27 Nov)" in text
    assert "You were in the middle of: Where it shows up." in text
    chat.press("resume")
    assert chat.last.flow == "contexts"


def test_a_finished_topic_walk_is_counted(app):
    chat = agreed(app)
    chat.send("/flow signs")
    for line in ("1", "9", "3", "1"):  # start, done (no ticks), often 3, feel
        chat.send(line)
    chat.send("The holiday was booked without asking me.")
    assert chat.at == "signs summary"
    assert "1 of 12 topics explored." in chat.last.text
    text = progress(chat)[-1].text
    assert "• Noticing the signs (28 Nov)" in text


def test_progress_offers_the_journal(app):
    chat = agreed(app)
    progress(chat)
    chat.press("journal")
    assert chat.at == "journal page"


@pytest.mark.parametrize(("days", "period", "expected"), [
    ([], "day", 0),
    ([0], "day", 1),
    ([0, 0, 0], "day", 1),  # several on one day count once
    ([1, 2, 3], "day", 3),  # up to yesterday: still alive today
    ([0, 1, 2, 4], "day", 3),
    ([2, 3], "day", 0),  # a whole day without one ends it
    ([0, 7, 14, 28], "week", 3),
])
def test_streak(days, period, expected):
    now = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)  # a Saturday
    assert streak([now - timedelta(days=d) for d in days], now, timezone.utc, period) == expected


def test_streak_line(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(days=d), 3) for d in (0, 1, 2)])
    assert "Check-ins: 3 days in a row." in progress(chat)[-1].text


def test_skipped_checkins_are_not_ratings(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(hours=h), None) for h in (1, 2, 3)])
    replies = progress(chat)
    assert all(r.image is None and r.draw is None for r in replies) and "none yet" in replies[-1].text


def test_chart_renders_in_worker_threads(content):
    points = [(datetime(2026, 11, d, tzinfo=timezone.utc), d % 5 + 1) for d in range(1, 8)]
    out: list[bytes] = []
    threads = [threading.Thread(target=lambda: out.append(chart_png(content, points))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 3 and all(b.startswith(PNG) for b in out)


def test_console_writes_the_chart_owner_only_and_prints_its_path(app):
    out = io.StringIO()
    clock = iter(datetime(2026, 11, 28, 12, tzinfo=timezone.utc) + timedelta(seconds=s) for s in range(100))
    console = Console(app, "graph", out=out, clock=lambda: next(clock))
    console.run(["/start", "1"])
    add_checkins(app, "cli:graph", [(datetime(2026, 11, 28, h, tzinfo=timezone.utc), 3) for h in (1, 2, 3)])
    console.feed("/progress")
    lines = out.getvalue().splitlines()
    paths = [line.split(": ", 1)[1] for line in lines if line.startswith("chart: ")]
    assert len(paths) == 1
    path = paths[0]
    assert os.path.isabs(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert open(path, "rb").read().startswith(PNG)
    assert all(not line.startswith("[") or line[1:].split("]")[0].isdigit() for line in lines)


def test_weekly_summary_with_checkins_and_a_topic(app):
    chat = agreed(app)
    now = chat.now
    add_checkins(app, chat.pid, [(now - timedelta(days=d), r) for d, r in ((1, 2), (2, 4), (9, 1))])
    with app.store.transaction():
        app.store.execute("INSERT INTO completions (person, flow, completed_at) VALUES (?, 'signs', ?)",
                          (chat.pid, iso(now - timedelta(days=2))))
        app.store.execute("INSERT INTO completions (person, flow, completed_at) VALUES (?, 'causes', ?)",
                          (chat.pid, iso(now - timedelta(days=20))))
        app.store.add_journal(chat.pid, "journal", "note", "x", now - timedelta(days=1))
    reply = weekly_summary(app, chat.pid, now)
    lines = reply.text.splitlines()
    assert lines[0] == "Your week in review"
    assert "Topics you finished this week: Noticing the signs." in lines
    assert "Check-ins this week: 2, averaging 3 out of 5." in lines
    assert "Journal entries this week: 1." in lines
    assert not reply.options and reply.image is None


def test_weekly_summary_without_checkins(app):
    chat = agreed(app)
    reply = weekly_summary(app, chat.pid, chat.now)
    lines = reply.text.splitlines()
    assert lines[0] == "Your week in review"
    assert "No check-ins this week." in lines
    assert "You didn't finish a topic this week, and that's fine." in lines
    first = lines[0].lower()
    assert not any(w in first for w in ("abuse", "partner", "power", "help", "check-in"))


def test_every_topic_summary_says_how_many_topics_are_explored(content):
    for flow in content.menu_flows():
        for step in flow.steps.values():
            if step.kind != "summary":
                continue
            st = flow.text.steps[step.id]
            always = [st.text, *(st.blocks[b.key] for b in step.blocks if b.when is None)]
            assert any("{progress}" in piece for piece in always), f"{flow.id}.{step.id}"


def test_progress_before_agreeing_goes_to_onboarding(app, now):
    outcome = app.handle("cli:new", Input.command("progress"), now)
    assert outcome.replies[-1].flow == "onboarding"


def test_a_finished_topic_is_not_called_unfinished(app):
    """At a topic's summary the topic is finished: /progress lists it and never says "in the middle of" it."""
    chat = agreed(app)
    chat.send("/flow signs")
    for line in ("1", "9", "3", "1", "The holiday was booked without asking me."):
        chat.send(line)
    assert chat.at == "signs summary"
    text = progress(chat)[-1].text
    assert "• Noticing the signs" in text and "in the middle of" not in text


def test_no_streak_is_mentioned_that_is_not_shown(app):
    chat = agreed(app)
    add_checkins(app, chat.pid, [(chat.now - timedelta(days=5), 3)])
    text = progress(chat)[-1].text
    assert "streak" not in text.lower()


def test_a_monthly_rhythm_gets_a_count_not_a_run_of_days(app):
    from bot.features.checkins import apply_plan

    chat = agreed(app)
    with app.store.transaction():
        apply_plan(app, chat.pid, {"checkins": "monthly", "checkins_time": "08:00", "checkins_tz": "UTC"}, [], chat.now)
    add_checkins(app, chat.pid, [(chat.now - timedelta(days=d), 3) for d in (60, 30)])
    text = progress(chat)[-1].text
    assert "Check-ins: 2 so far, the last on 29 Oct." in text and "in a row" not in text
