"""Locking after the idle time (on the next input, and by the sweep job that clears the chat), the weekly
summary held back while locked, and the visits /about lists. Time is the injected `now`, never a sleep."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.features.checkins.sweeper import SWEEP_JOB
from bot.features.lock import idle, state
from bot.features.progress import weekly_summary
from flows.model import Reply
from tests.support.lock import PIN, is_locked, on_pad, set_pin
from tests.support.people import agreed

IDLE = 15  # Settings.lock_idle_minutes, by default


class FakeSender:
    """The adapter's side of a job (bot.core.feature.Sender): what was sent and deleted, at a set time."""

    def __init__(self, now: datetime):
        self.now = now
        self.sent: list[tuple[int, Reply]] = []
        self.deleted: list[tuple[int, int]] = []

    def clock(self) -> datetime:
        return self.now

    async def send_reply(self, chat_id: int, reply: Reply) -> list[int]:
        self.sent.append((chat_id, reply))
        return [len(self.sent)]

    async def delete_messages(self, ids) -> None:
        self.deleted += list(ids)

    def is_busy(self) -> bool:
        return False


def with_pin(app):
    chat = agreed(app)
    chat.send("/journal a private line")
    set_pin(chat)
    assert not is_locked(app, chat.pid)
    return chat


# ---- idle ----------------------------------------------------------------------------------------------

def test_after_the_idle_time_the_next_input_shows_the_pad(app):
    chat = with_pin(app)
    chat.now += timedelta(minutes=IDLE - 1)
    out = chat.send("/journal")
    assert "a private line" in out  # under the idle time: still open
    chat.now += timedelta(minutes=IDLE)
    out = chat.send("/journal")
    assert on_pad(chat) and "a private line" not in out
    assert is_locked(app, chat.pid)
    out = chat.send(PIN)
    assert out.startswith("Unlocked.") and "a private line" in out  # the held-back /journal, carried out


def test_a_chosen_idle_time_is_kept(app):
    chat = with_pin(app)
    chat.send("/lock")
    assert chat.at == "lock settings"
    chat.press("lock:idle:60")
    chat.now += timedelta(minutes=IDLE + 5)
    chat.send("/journal")
    assert chat.at == "journal page"
    chat.now += timedelta(minutes=61)
    chat.send("/journal")
    assert on_pad(chat)


def test_the_idle_sweep_clears_the_chat_and_locks(app):
    chat = with_pin(app)
    other = agreed(app, "nopin")  # no PIN: never locked, their messages stay
    with app.store.transaction():
        for mid in (11, 12, 13):
            app.store.track_message(chat.pid, 77, mid, chat.now)
        app.store.track_message(other.pid, 78, 21, chat.now)
    sender = FakeSender(chat.now + timedelta(minutes=IDLE - 1))
    asyncio.run(idle.idle_sweep(IDLE)(app.env, sender))
    assert sender.deleted == [] and not is_locked(app, chat.pid)  # not idle long enough yet
    sender.now = chat.now + timedelta(minutes=IDLE)
    asyncio.run(idle.idle_sweep(IDLE)(app.env, sender))
    assert sorted(sender.deleted) == [(77, 11), (77, 12), (77, 13)]
    assert is_locked(app, chat.pid)
    assert app.store.tracked_messages(chat.pid, sender.now) == []
    assert app.store.tracked_messages(other.pid, sender.now) == [(78, 21)]
    # a second sweep has nothing more to do
    sender.deleted.clear()
    asyncio.run(idle.idle_sweep(IDLE)(app.env, sender))
    assert sender.deleted == []
    chat.now = sender.now
    chat.send("/journal")
    assert on_pad(chat)


def test_the_idle_sweep_is_the_composed_job(app):
    assert "lock-idle" in {job.name for job in app.jobs}


# ---- the weekly summary --------------------------------------------------------------------------------

def test_the_weekly_summary_is_neutral_while_locked(app):
    chat = with_pin(app)
    chat.send("/checkins")
    for option in ("daily", "t0800", "Europe/London", "done", "more", "summary_on"):
        chat.press(option)
    assert "Weekly summary: on" in chat.outputs[-1]
    sweep = next(job for job in app.jobs if job.name == SWEEP_JOB)

    def sent_summary(now: datetime) -> Reply:
        with app.store.transaction():
            app.store.execute("UPDATE people SET chat_id = 4040 WHERE id = ?", (chat.pid,))
            app.store.execute("UPDATE schedules SET next_summary = ?, next_due = NULL WHERE person = ?",
                              (now.isoformat(), chat.pid))
        sender = FakeSender(now)
        asyncio.run(sweep.run(app.env, sender))
        assert len(sender.sent) == 1, sender.sent
        return sender.sent[0][1]

    later = chat.now + timedelta(minutes=1)
    drawn = weekly_summary(app.env, chat.pid, later)
    assert sent_summary(later).text == drawn.text  # unlocked: the summary itself
    chat.send("/lock now")
    neutral = sent_summary(chat.now + timedelta(minutes=1))
    assert neutral.text != drawn.text
    assert neutral.text == app.content.note("summary_prompt")
    assert [o.id for o in neutral.options][0] == "/progress"  # its button asks for the PIN (the guard)
    chat.send("hello")
    chat.press("/progress")
    assert on_pad(chat)


# ---- visits --------------------------------------------------------------------------------------------

def visits(app, pid: str) -> list[str]:
    return app.store.load(pid).profile.get("visits", [])


def test_about_lists_the_last_five_visits_after_gaps_of_half_an_hour(app):
    chat = agreed(app)
    chat.send("/menu")  # the first turn after agreeing is the first visit kept
    start = chat.now
    assert len(visits(app, chat.pid)) == 1
    chat.now = start + timedelta(minutes=20)
    chat.send("/menu")  # less than 30 minutes since the last turn: the same visit
    assert len(visits(app, chat.pid)) == 1
    for hours in range(1, 7):
        chat.now = start + timedelta(hours=hours)
        chat.send("/menu")
    kept = visits(app, chat.pid)
    assert len(kept) == 5
    assert kept[0].startswith("2026-11-28T18:0") and kept[-1].startswith("2026-11-28T14:0")  # newest first
    out = chat.send("/about")
    assert "28 Nov 18:00" in out and "28 Nov 14:00" in out
    assert "28 Nov 13:00" not in out and "28 Nov 12:0" not in out  # older than the five


def test_delete_erases_the_visits(app):
    chat = agreed(app)
    chat.send("/menu")
    chat.now += timedelta(hours=2)
    chat.send("/menu")
    assert len(visits(app, chat.pid)) == 2
    chat.send("/delete")
    chat.press("delete_all")
    assert app.store.load(chat.pid) is None
    chat.send("/start")
    chat.send("1")
    assert len(visits(app, chat.pid)) <= 1  # only the visit of this new start
    assert "28 Nov 12:0" not in chat.send("/about")
