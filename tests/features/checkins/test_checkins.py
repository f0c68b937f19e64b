"""Check-ins: settings flow, the check-in flow, follow-ups, and the sweep (due selection, intent before send,
catch-up, mid-flow deferral, blocked people, yielding to replies). Time comes from explicit `now` values."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.features.checkins import Sweeper, apply_plan, prompt_reply
from bot.core.clock import from_iso, iso
from flows.model import Input
from tests.conftest import make_app
from tests.support.driver import Chat

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


class FakeSender:
    def __init__(self, *, blocked: set[int] | None = None, delay: float = 0.0):
        self.sent: list[tuple[int, object]] = []
        self.busy = False
        self.blocked = blocked or set()
        self.delay = delay

    async def send_prompt(self, chat_id, reply):
        if self.delay:
            await asyncio.sleep(self.delay)
        if chat_id in self.blocked:
            return None
        self.sent.append((chat_id, reply))
        return len(self.sent)

    def is_busy(self):
        return self.busy


@pytest.fixture
def chat(app):
    c = Chat(app, "ana", start=NOW)
    c.handle(Input.command("menu"))
    c.send("1")  # agree to the notice
    return c


def seed(app, n: int, *, due: datetime, profile: dict | None = None, state: dict | None = None,
         last_seen: datetime | None = None, start: int = 0) -> list[str]:
    """People with a daily 08:00 UTC schedule whose next reminder is `due`."""
    store = app.store
    pids = []
    with store.transaction():
        for i in range(start, start + n):
            pid = f"tg:{1000 + i}"
            store.execute(
                "INSERT INTO people (id, chat_id, created_at, last_seen, agreed_at, profile, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pid, 1000 + i, iso(NOW - timedelta(days=30)), iso(last_seen or NOW - timedelta(days=2)),
                 iso(NOW - timedelta(days=30)), json.dumps(profile or {}), json.dumps(state or {"flow": "menu", "step": "home"})))
            apply_plan(app, pid, {"checkins": "daily", "checkins_time": "08:00", "checkins_tz": "UTC"}, [], due - timedelta(days=1))
            store.execute("UPDATE schedules SET next_due = ? WHERE person = ?", (iso(due), pid))
            pids.append(pid)
    return pids


def schedule(app, pid):
    row = app.store.execute("SELECT frequency, local_time, tz, quiet_days, next_due, pending_slot, last_slot, "
                            "weekly_summary, next_summary FROM schedules WHERE person = ?", (pid,)).fetchone()
    return dict(zip(("frequency", "local_time", "tz", "quiet", "next_due", "pending", "last", "summary",
                     "next_summary"), row)) if row else None


# ---- settings ----------------------------------------------------------------------------------------------

def test_setting_up_daily_check_ins_asks_time_zone_and_quiet_days(app, chat):
    out = chat.send("/checkins")
    assert chat.at == "checkins reminders" and "off right now" in out
    chat.press("daily")
    assert chat.at == "checkins time"
    chat.press("t0800")
    assert chat.at == "checkins zone"
    chat.press("Europe/Berlin")
    assert chat.at == "checkins quiet"
    chat.press("sat")
    chat.press("sun")
    out = chat.press("done")
    assert chat.at == "checkins reminders"
    assert "every day, at 08:00 (Europe/Berlin)" in out and "Quiet days: Saturday, Sunday" in out
    row = schedule(app, chat.pid)
    assert row["frequency"] == "daily" and row["tz"] == "Europe/Berlin" and json.loads(row["quiet"]) == ["sat", "sun"]
    due = from_iso(row["next_due"])
    # Nov 28 2026 is a Saturday: the first reminder is Monday 30th, 08:00 CET = 07:00 UTC.
    assert due == datetime(2026, 11, 30, 7, tzinfo=timezone.utc)
    # One tap changes it, one tap stops it.
    chat.press("weekly")
    assert chat.at == "checkins reminders" and schedule(app, chat.pid)["frequency"] == "weekly"
    out = chat.press("stop")
    assert "off right now" in out and schedule(app, chat.pid)["next_due"] is None


def test_typed_time_and_zone_are_validated_with_a_hint(app, chat):
    chat.send("/checkins")
    chat.press("few_days")
    chat.press("other")
    out = chat.send("25:99")
    assert "couldn't read that as a time" in out and chat.at == "checkins time_typed"
    chat.send("7:45pm")
    assert chat.at == "checkins zone"
    chat.press("other")
    out = chat.send("Mars/Olympus_Mons")
    assert "don't know that country or time zone" in out and chat.at == "checkins zone_typed"
    chat.send("america/chicago")
    assert chat.at == "checkins quiet"
    chat.press("done")
    row = schedule(app, chat.pid)
    assert (row["local_time"], row["tz"], row["frequency"]) == ("19:45", "America/Chicago", "few_days")


def test_weekly_summary_is_off_by_default_and_one_tap(app, chat):
    chat.send("/checkins")
    chat.press("daily"), chat.press("t1800"), chat.press("Europe/London"), chat.press("done")
    assert schedule(app, chat.pid)["summary"] == 0
    chat.press("more")
    out = chat.press("summary_on")
    assert "Weekly summary: on" in out
    row = schedule(app, chat.pid)
    assert row["summary"] == 1 and from_iso(row["next_summary"]).weekday() == 6


# ---- the check-in itself ----------------------------------------------------------------------------------

def test_checkin_records_the_rating_saves_the_note_and_returns_the_person(app, chat):
    chat.send("/flow signs")
    chat.send("1")
    before = chat.at
    out = chat.send("/checkin")
    assert chat.at == "checkin rating" and "balanced" in out
    chat.send("2")
    assert chat.at == "checkin fear"
    chat.send("1")
    assert chat.at == "checkin note"
    out = chat.send("We shared the shopping this week")
    assert chat.at == "checkin thanks" and "support is one tap away" in out
    chat.press("finish")
    assert chat.at == before
    rows = app.store.execute("SELECT rating, kind FROM checkins WHERE person = ?", (chat.pid,)).fetchall()
    assert rows == [(2, "checkin")]
    assert app.store.journal(chat.pid)[0]["text"] == "We shared the shopping this week"
    stat = app.store.execute("SELECT count, total FROM stats WHERE metric = 'checkin_answered'").fetchone()
    assert stat == (1, 2.0)


def test_the_reflection_question_rotates_with_each_check_in(app, chat):
    seen = []
    for _ in range(4):
        chat.send("/checkin")
        chat.send("4")
        chat.send("1")
        seen.append(chat.last.text)
        chat.press("skip")
        chat.press("finish")
    assert len(set(seen)) == 4


def test_checkin_trace_in_the_console(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--trace", "--user", "c", "--db", str(tmp_path / "c.db")],
                          input="/menu\n1\n/checkin\n3\n1\n", capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "@ checkin rating scale" in proc.stderr and "@ checkin note reflection" in proc.stderr


# ---- reminders: buttons ----------------------------------------------------------------------------------

def test_prompts_are_neutral_unless_the_person_chose_otherwise(app):
    for kind in ("checkin", "followup", "summary"):
        text = prompt_reply(app.env, kind, {}, "boundaries").text.casefold()
        for word in ("abuse", "partner", "power", "boundar", "relationship", "help", "control"):
            assert word not in text, (kind, word)
    assert prompt_reply(app.env, "checkin", {"checkins_discreet": False}).text != prompt_reply(app.env, "checkin", {}).text
    assert [o.id for o in prompt_reply(app.env, "checkin", {}).options] == ["/checkin", "/pause_checkins", "/stop_checkins"]


def test_reminder_buttons_work_whatever_the_person_did_since(app, chat):
    chat.send("/checkins")
    chat.press("daily"), chat.press("t0800"), chat.press("Europe/London"), chat.press("done")
    chat.send("/flow signs")
    chat.send("1")
    where = chat.at
    out = chat.handle(Input.option("/pause_checkins", turn=0))  # an old turn: still works
    assert "Paused" in out and chat.at == where
    due = from_iso(schedule(app, chat.pid)["next_due"])
    assert due >= chat.now + timedelta(days=7)
    chat.handle(Input.option("/checkin", turn=0))
    assert chat.at == "checkin rating"
    out = chat.handle(Input.option("/stop_checkins", turn=0))
    assert "off" in out and schedule(app, chat.pid)["next_due"] is None
    assert app.store.load(chat.pid).profile["checkins"] == "off"


# ---- follow-ups and the first-topic offer ------------------------------------------------------------------

def _boundaries(chat):
    chat.send("/flow boundaries")
    for line in ("1", "I decide what I wear", "I need to choose my own clothes.", "3", "1", "2"):
        chat.send(line)
    assert chat.at == "boundaries summary"


def test_first_finished_topic_offers_check_ins_and_boundaries_offers_a_follow_up(app, chat):
    _boundaries(chat)
    ids = [o.id for o in chat.last.options]
    assert "/checkins" in ids and "/ask_later boundaries" in ids
    assert ids.index("/ask_later boundaries") > ids.index("seek_help")  # content's own options keep their numbers
    out = chat.press("/ask_later boundaries")
    assert "in a few days" in out and chat.at == "boundaries summary"
    assert "/ask_later boundaries" not in [o.id for o in chat.last.options]
    due = app.store.execute("SELECT due_at FROM followups WHERE person = ?", (chat.pid,)).fetchone()[0]
    assert from_iso(due) - chat.now == timedelta(days=3)
    # A second topic does not offer check-ins again.
    chat.send("/flow communication")
    assert schedule(app, chat.pid) is None  # never switched on silently


def test_follow_up_arrives_like_a_check_in_and_records_the_answer(app, chat):
    _boundaries(chat)
    chat.press("/ask_later boundaries")
    app.store.execute("UPDATE people SET chat_id = 77 WHERE id = ?", (chat.pid,))
    sender = FakeSender()
    sweeper = Sweeper(app, sender, rate=0)
    asyncio.run(sweeper.run_once(chat.now + timedelta(days=2)))
    assert sender.sent == []
    asyncio.run(sweeper.run_once(chat.now + timedelta(days=3, minutes=1)))
    (chat_id, reply), = sender.sent
    assert chat_id == 77 and reply.text == "Time for your check-in?"
    asyncio.run(sweeper.run_once(chat.now + timedelta(days=4)))
    assert len(sender.sent) == 1
    chat.now += timedelta(days=3, minutes=5)
    out = chat.handle(Input.option(reply.options[0].id))
    assert chat.at == "followup how" and "limit" in out
    chat.press("partly")
    chat.press("skip")
    assert chat.at == "followup thanks"
    row = app.store.execute("SELECT rating, kind, flow FROM checkins WHERE person = ?", (chat.pid,)).fetchone()
    assert row == (2, "followup", "boundaries")


# ---- the sweep ---------------------------------------------------------------------------------------------

def test_sweep_sends_exactly_the_due_people_and_advances_them(app):
    due = seed(app, 5, due=NOW - timedelta(minutes=1))
    later = seed(app, 3, due=NOW + timedelta(minutes=1), start=100)
    sender = FakeSender()
    report = asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW))
    assert sorted(c for c, _ in sender.sent) == [1000 + i for i in range(5)]
    assert report.sent == 5
    for pid in due:
        row = schedule(app, pid)
        assert from_iso(row["next_due"]) == datetime(2026, 11, 29, 8, tzinfo=timezone.utc)
        assert row["pending"] is None and row["last"] == iso(NOW - timedelta(minutes=1))
    for pid in later:
        assert schedule(app, pid)["next_due"] == iso(NOW + timedelta(minutes=1))
    assert asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW)).sent == 0
    tracked = app.store.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert tracked == 5


def test_the_due_query_uses_the_index(app):
    plan = app.store.execute("EXPLAIN QUERY PLAN SELECT person FROM schedules WHERE next_due <= ? ORDER BY next_due "
                             "LIMIT 10", (iso(NOW),)).fetchall()
    assert "schedules_due" in " ".join(str(r) for r in plan)


def test_a_restart_between_intent_and_send_never_sends_twice(app):
    pids = seed(app, 4, due=NOW - timedelta(minutes=1))
    crashed = Sweeper(app, FakeSender(), rate=0)
    items = crashed.claim(NOW)  # intent committed, then the process "dies" before sending
    assert len(items) == 4
    assert all(schedule(app, p)["pending"] == schedule(app, p)["next_due"] for p in pids)
    sender = FakeSender()
    report = asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW + timedelta(seconds=30)))
    assert sender.sent == [] and report.recovered == 4
    assert all(from_iso(schedule(app, p)["next_due"]) > NOW for p in pids)


def test_catch_up_after_downtime_sends_one_prompt_not_a_burst(app):
    pid, = seed(app, 1, due=NOW - timedelta(days=10))
    sender = FakeSender()
    for minutes in (0, 1, 2, 60):
        asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW + timedelta(minutes=minutes)))
    assert len(sender.sent) == 1
    assert from_iso(schedule(app, pid)["next_due"]) == datetime(2026, 11, 29, 8, tzinfo=timezone.utc)


def test_a_person_mid_flow_is_not_interrupted_until_the_flow_ends_or_an_hour_passes(app):
    pid, = seed(app, 1, due=NOW - timedelta(minutes=1), state={"flow": "signs", "step": "often"},
                last_seen=NOW - timedelta(minutes=10))
    sender = FakeSender()
    report = asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW))
    assert sender.sent == [] and report.deferred == 1
    assert from_iso(schedule(app, pid)["next_due"]) == NOW + timedelta(minutes=5)
    asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW + timedelta(minutes=49)))
    assert from_iso(schedule(app, pid)["next_due"]) == NOW + timedelta(minutes=50)  # last_seen + 1 hour
    asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW + timedelta(minutes=50)))
    assert len(sender.sent) == 1
    # At a summary (the flow has ended) the reminder goes straight away.
    pid2, = seed(app, 1, due=NOW, state={"flow": "signs", "step": "summary"}, last_seen=NOW, start=50)
    asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW + timedelta(minutes=1)))
    assert len(sender.sent) == 2


def test_someone_who_blocked_the_bot_is_switched_off(app):
    pids = seed(app, 2, due=NOW - timedelta(minutes=1))
    sender = FakeSender(blocked={1000})
    report = asyncio.run(Sweeper(app, sender, rate=0).run_once(NOW))
    assert report.blocked == 1 and report.sent == 1
    row = schedule(app, pids[0])
    assert row["frequency"] == "off" and row["next_due"] is None
    assert app.store.load(pids[0]).profile["checkins"] == "off"
    assert schedule(app, pids[1])["next_due"] is not None


def test_forbidden_from_telegram_counts_as_blocked(app):
    from telegram.error import Forbidden, RetryAfter

    class Raising(FakeSender):
        async def send_prompt(self, chat_id, reply):
            if chat_id == 1000:
                raise Forbidden("Forbidden: bot was blocked by the user")
            raise RetryAfter(3)

    pids = seed(app, 2, due=NOW - timedelta(minutes=1))
    report = asyncio.run(Sweeper(app, Raising(), rate=0).run_once(NOW))
    assert report.blocked == 1 and report.retried == 1
    assert schedule(app, pids[0])["frequency"] == "off"
    assert schedule(app, pids[1])["next_due"] == iso(NOW + timedelta(seconds=3))  # tried again, not lost


def test_a_reply_during_a_large_sweep_is_not_queued_behind_it(app):
    """Ordering, not wall-clock time: while a reply is going out the sweep sends nothing new (at most the sends
    already in flight finish), the reply goes out while most of the sweep is still waiting, and the sweep then
    carries on to the end."""
    seed(app, 2000, due=NOW - timedelta(minutes=1))
    sender = FakeSender(delay=0.0005)
    sweeper = Sweeper(app, sender, rate=0, batch=500, concurrency=4)
    events: list[tuple[str, int]] = []  # ("reply", prompts sent by then), in the order things happened

    async def until(predicate, what: str, turns: int = 1_000_000) -> None:
        for _ in range(turns):  # bounded: fails instead of hanging if the sweep never gets there
            if predicate():
                return
            await asyncio.sleep(0)
        raise AssertionError(f"never happened: {what}")

    async def scenario():
        sweep = asyncio.create_task(sweeper.run_once(NOW))
        await until(lambda: len(sender.sent) >= 50, "the sweep started sending")
        sender.busy = True  # a person is being answered
        sent_before = len(sender.sent)
        for _ in range(200):  # the reply's own work: many turns of the loop, during which the sweep must wait
            await asyncio.sleep(0)
        await asyncio.sleep(sender.delay * 4)  # long enough for the sends in flight to finish
        events.append(("reply", len(sender.sent)))
        during = len(sender.sent) - sent_before
        reply_before_sweep_done = not sweep.done()
        sender.busy = False
        report = await sweep
        return during, reply_before_sweep_done, report

    during, reply_before_sweep_done, report = asyncio.run(scenario())
    assert during <= 4  # at most the sends already in flight (concurrency=4)
    (_, sent_at_reply), = events
    assert reply_before_sweep_done and sent_at_reply < 2000 // 2  # the reply did not wait for the sweep
    assert len(sender.sent) == 2000 and report.sent == 2000  # and the sweep finished once it was out


def test_erasing_a_person_removes_their_schedule(app, chat):
    chat.send("/checkins")
    chat.press("daily"), chat.press("t0800"), chat.press("Europe/London"), chat.press("done")
    with app.store.transaction():
        app.store.erase(chat.pid)
    assert schedule(app, chat.pid) is None


def test_a_follow_up_asked_for_is_listed_in_the_settings(app, chat):
    _boundaries(chat)
    chat.press("/ask_later boundaries")
    out = chat.send("/checkins")
    assert "Regular check-ins are off right now." in out
    assert 'Follow-up: I\'ll ask how "Setting a boundary" went, around' in out


def test_done_for_now_ends_a_check_in_started_from_the_settings(app, chat):
    chat.send("/checkins")
    chat.press("daily")
    chat.press("t0800")
    chat.press("Europe/London")
    chat.press("done")
    assert chat.at == "checkins reminders"
    chat.send("/checkin")
    chat.press("3")
    chat.press("1")
    chat.press("skip")
    chat.press("finish")
    assert chat.at == "menu home"


def test_done_for_now_returns_to_the_topic_a_check_in_interrupted(app, chat):
    chat.send("/flow signs")
    chat.send("/checkin")
    chat.press("4")
    chat.press("1")
    chat.press("skip")
    chat.press("finish")
    assert chat.at == "signs intro"


def test_a_follow_up_is_offered_only_after_a_plan_to_act(app, chat):
    chat.send("/flow boundaries")
    for line in ("1", "My evenings are mine", "I need my evenings for myself."):
        chat.send(line)
    chat.press("say_again")
    chat.press("fine")
    chat.press("not_yet")  # "Not yet, it's just for me"
    assert chat.at == "boundaries summary"
    assert "/ask_later boundaries" not in [o.id for o in chat.last.options]
    chat.send("/flow communication")
    chat.press("continue")
    chat.press("worried")
    chat.press("just_for_me")
    chat.send("Money")
    chat.press("done")
    chat.press("understand")
    chat.press("skip")
    assert chat.at == "communication summary"
    assert not any(o.id.startswith("/ask_later") for o in chat.last.options)


def test_a_country_with_one_time_zone_is_chosen_directly(app, chat):
    chat.send("/checkins")
    chat.press("daily")
    chat.press("t0800")
    chat.press("other")
    chat.send("india")
    assert chat.at == "checkins quiet"
    out = chat.press("done")
    assert "(Asia/Kolkata)" in out and schedule(app, chat.pid)["tz"] == "Asia/Kolkata"
    chat.press("when")
    chat.press("t0800")
    chat.press("other")
    chat.send("Germany")
    chat.press("back")  # Back from the next step skips the list that was never shown
    assert chat.at == "checkins zone_typed"


def test_a_country_with_several_offers_a_short_list(app, chat):
    chat.send("/checkins")
    chat.press("weekly")
    chat.press("t2100")
    chat.press("other")
    out = chat.send("United States")
    assert chat.at == "checkins zone_pick"
    labels = [o.label for o in chat.last.options]
    assert labels[:3] == ["New York", "Chicago", "Denver"] and len(labels) <= 12 + 3
    chat.press("America/Chicago")
    assert chat.at == "checkins quiet" and app.store.load(chat.pid).profile["checkins_tz"] == "America/Chicago"


def test_the_zones_offered_first_are_those_of_the_persons_country(app, chat):
    with app.store.transaction():
        app.store.set_profile(chat.pid, country="es")
    chat.send("/checkins")
    chat.press("daily")
    chat.press("t0800")
    assert [o.id for o in chat.last.options][:3] == ["Europe/Madrid", "Atlantic/Canary", "other"]


def test_a_check_in_that_went_well_is_acknowledged_and_a_middling_one_is_not_judged(app, chat):
    good = "That's good to hear"
    for rating, expected in (("5", True), ("3", False), ("1", False)):
        chat.send("/checkin")
        chat.send(rating)
        chat.send("1")  # not afraid
        out = chat.press("skip")
        assert chat.at == "checkin thanks"
        assert (good in out) is expected
        assert ("out of balance" in out) is (rating == "1")
        chat.press("finish")


# ---- fear in the moment: a high fear rating offers a grounding exercise first (issue 17, item 6) -------------

def test_a_high_fear_rating_offers_grounding_first_and_ends_at_the_note(app, chat):
    chat.send("/flow signs")
    before = chat.at
    chat.send("/checkin")
    chat.send("3")
    out = chat.send("4")
    assert chat.at == "checkin ground" and "one-minute grounding exercise" in out
    assert [o.id for o in chat.last.options][:3] == ["breathe", "help", "not_now"]
    assert app.store.load(chat.pid).profile.get("safety_signal") == "fear"  # fear carries into every topic
    texts = [chat.press("breathe")]
    assert chat.at == "checkin breathe"
    texts.append(chat.press("continue"))
    assert chat.at == "checkin senses" and "5 things you can see" in texts[-1]
    texts.append(chat.press("continue"))
    assert chat.at == "checkin grounded"
    for text in texts:
        assert "you are safe" not in text.casefold() and "you're safe" not in text.casefold()
    out = chat.press("go_on")
    assert chat.at == "checkin note"
    assert "felt a bit safer" in out  # the note asks what helped them feel safer, not about their own part
    chat.press("skip")
    chat.press("finish")
    assert chat.at == before


def test_grounding_can_be_passed_by_or_swapped_for_help(app, chat):
    chat.send("/checkin")
    chat.send("2")
    chat.send("5")
    chat.press("not_now")
    assert chat.at == "checkin note"
    chat.send("/checkin")
    chat.send("2")
    chat.send("5")
    out = chat.press("help")
    assert chat.last.flow == "seek_help"
    chat.press("resume")  # like every interruption of an interruption: back to where the check-in found them
    assert chat.at == "menu home"


def test_a_low_or_middling_fear_rating_goes_straight_to_the_note(app, chat):
    for fear in ("1", "3"):
        chat.send("/checkin")
        chat.send("4")
        chat.send(fear)
        assert chat.at == "checkin note"
        chat.press("skip")
        chat.press("finish")
    assert not app.store.load(chat.pid).profile.get("safety_signal")


# ---- good news in the moment: a note that sounds like good news is answered warmly (issue 17, item 6) --------

GOOD_NEWS = "That sounds like a good moment"


def _note(chat, rating: str, text: str) -> str:
    chat.send("/checkin")
    chat.send(rating)
    chat.send("1")  # not afraid
    assert chat.at == "checkin note"
    return chat.send(text)


def test_a_note_with_good_news_gets_a_warm_acknowledgement_instead_of_the_usual_line(app, chat):
    out = _note(chat, "4", "brother backed me up today!!")
    assert chat.at == "checkin thanks"
    assert GOOD_NEWS in out and "That's good to hear" not in out  # one acknowledgement, not two
    assert app.store.journal(chat.pid)[0]["text"] == "brother backed me up today!!"  # still their journal note


def test_a_note_without_good_news_or_with_a_but_gets_the_usual_reply(app, chat):
    for text, rating in (("Quiet week, nothing much", "4"), ("It wasn't a good day", "2"),
                         ("She backed me up, but he was furious after", "3")):
        out = _note(chat, rating, text)
        assert chat.at == "checkin thanks" and GOOD_NEWS not in out, text
        assert ("That's good to hear" in out) is (rating == "4")
        chat.press("finish")


def test_danger_with_a_happy_word_still_goes_to_crisis_and_is_not_called_good_news_later(app, chat):
    out = _note(chat, "4", "brother backed me up today, then he choked me")
    assert chat.last.flow == "crisis" and GOOD_NEWS not in out
    chat.press("resume")
    assert chat.at == "checkin note"  # back where they wrote it
    out = chat.press("skip")
    assert chat.at == "checkin thanks" and GOOD_NEWS not in out  # the words were answered by the crisis screen
