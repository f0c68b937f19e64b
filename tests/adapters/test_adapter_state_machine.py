"""A Hypothesis state machine over the Telegram adapter: several people send commands, press current and stale
buttons, write free and crisis text, /delete (and confirm), /exit, while the bot restarts on the same database.

Updates are real `telegram.Update` objects fed through the Application's update processor, the way PTB and our
Poller do; Bot API calls are answered offline (tests/support/offline.py), as strictly as Telegram would.
Invariants: nothing reaches the error handler, Telegram refused nothing the bot sent, everyone is at a valid
(flow, step), every handled update is recorded in processed_updates, and a deleted person has no row in any
table. One app and one Application live across steps, so what is kept in memory only (people who have not
agreed yet, the checklist on screen, messages already marked with their answer) carries from one step to the
next (checked for the pending people and the marked messages); only the `restart` rule replaces them, and it
checks that a restart loses that in-memory state and nothing stored. Every app and Application opened is
closed (checked at teardown).

A plain `pytest` runs a small machine (2 examples of 15 steps); CI=true adds the full one (8 of 30).
Longer: CI=true FULCRUM_HYPOTHESIS_PROFILE=long pytest tests/adapters/test_adapter_state_machine.py
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.conftest import CONTENT, HYPOTHESIS_PROFILE
from tests.support.harness import OfflineBot
from tests.support.offline import buttons
from tests.support.people import PERSON_TABLES

TOKEN = "123456:STATEMACHINE"
PEOPLE = [7001, 7002, 7003]
COMMANDS = ["/start", "/menu", "/help", "/flow signs", "/flow boundaries", "/restart", "/about", "/journal",
            "/journal a note to self", "/checkins", "/checkin", "/export", "/progress", "/nonsense", "/flow nope"]
TEXTS = ["yes", "I am not sure", "it was a long week", "3", "  ", "Let's start", "שלום", "🙂 fine"]
CRISIS = ["I want to die", "he hits me and I am scared"]

settings.register_profile("fulcrum-ci", max_examples=8, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fulcrum-long", max_examples=300, stateful_step_count=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile("fulcrum-long" if HYPOTHESIS_PROFILE == "long" else "fulcrum-ci")

_content = None


def content():
    global _content
    if _content is None:
        from flows.content import load_content

        _content = load_content(CONTENT)
    return _content


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class AdapterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory(prefix="fulcrum-sm-")
        self.db = Path(self.tmp.name) / "fulcrum.db"
        self.errors = Errors()
        logging.getLogger("fulcrum.telegram").addHandler(self.errors)
        self.ids = itertools.count(10)
        self.update_ids = itertools.count(1)
        self.keyboards: dict[int, list[dict]] = {p: [] for p in PEOPLE}  # the last few, newest last
        self.handled: list[int] = []
        self.deleted: set[int] = set()
        self.bot: OfflineBot | None = None
        self.refused: list[tuple[str, str]] = []  # what Telegram refused before the last restart
        self.opened: list[OfflineBot] = []  # every app and Application started, to check each is closed again
        self.erased_now: set[str] = set()
        self.memory = self.in_memory()
        self.start()

    # One app and Application (tests/support/harness.py) across steps; `restart` is the only rule replacing it.
    @property
    def app(self):
        return self.bot.app

    @property
    def application(self):
        return self.bot.application

    @property
    def request(self):
        return self.bot.request

    @property
    def updates(self):
        return self.bot.updates

    def start(self) -> None:
        self.bot = OfflineBot(self.db, content(), token=TOKEN, loop=self.loop, ids=self.ids,
                              update_ids=self.update_ids, start=True)
        self.opened.append(self.bot)
        self.memory = self.in_memory()

    def stop(self) -> None:
        try:
            self.bot.close()
        finally:
            self.refused += self.bot.request.refused

    def teardown(self) -> None:
        try:
            self.stop()
            for bot in self.opened:  # nothing leaks from one example to the next
                assert bot.closed and not bot.application.running, "an Application was left running"
                with pytest.raises(Exception, match="closed"):
                    bot.app.store.execute("SELECT 1")
        finally:
            logging.getLogger("fulcrum.telegram").removeHandler(self.errors)
            self.loop.close()
            self.tmp.cleanup()

    def in_memory(self) -> tuple[set[str], set[tuple[int, int]]]:
        """What this app and adapter hold in memory only: not-yet-agreed people and the marked messages."""
        if self.bot is None:
            return set(), set()
        return set(self.app._pending), set(self.bot.adapter._marked)  # noqa: SLF001

    # ---- feeding updates --------------------------------------------------------------------------

    def feed(self, person: int, data: dict) -> None:
        self.deleted.discard(person)
        update = self.updates.build(data)
        bot = self.bot
        bot.feed(update)
        assert bot is self.bot and bot.adapter.app is bot.app  # the same app and Application as the step before
        self.handled.append(update.update_id)
        screen = self.request.last.get(person)
        if screen is not None and buttons(screen):
            kept = self.keyboards[person]
            if not kept or kept[-1] is not screen:
                kept.append(screen)
                del kept[:-4]

    def send_text(self, person: int, text: str) -> None:
        self.feed(person, self.updates.text_data(person, text))

    # ---- rules --------------------------------------------------------------------------------------

    @rule(person=st.sampled_from(PEOPLE), command=st.sampled_from(COMMANDS))
    def command(self, person: int, command: str) -> None:
        self.send_text(person, command)

    @rule(person=st.sampled_from(PEOPLE), pick=st.integers(0, 50))
    def press_current(self, person: int, pick: int) -> None:
        screen = self.request.last.get(person)
        options = buttons(screen)
        if not options:
            self.send_text(person, "/start")
            return
        self.feed(person, self.updates.press_data(person, screen, options[pick % len(options)][1]))

    @rule(person=st.sampled_from(PEOPLE), which=st.integers(0, 3), pick=st.integers(0, 50))
    def press_stale(self, person: int, which: int, pick: int) -> None:
        kept = self.keyboards[person]
        if not kept:
            return
        screen = kept[which % len(kept)]
        options = buttons(screen)
        self.feed(person, self.updates.press_data(person, screen, options[pick % len(options)][1]))

    @rule(person=st.sampled_from(PEOPLE), text=st.sampled_from(TEXTS) | st.text(max_size=40))
    def free_text(self, person: int, text: str) -> None:
        if not text or text.startswith("/"):
            text = "x" + text
        self.send_text(person, text)

    @rule(person=st.sampled_from(PEOPLE), text=st.sampled_from(CRISIS))
    def crisis_text(self, person: int, text: str) -> None:
        self.send_text(person, text)

    @rule(person=st.sampled_from(PEOPLE), confirm=st.booleans())
    def delete(self, person: int, confirm: bool) -> None:
        self.send_text(person, "/delete")
        screen = self.request.last.get(person)
        wanted = ":delete_all" if confirm else ":cancel"
        data = [d for _, d in buttons(screen) if d.endswith(wanted)]
        if not data:  # e.g. nothing stored yet: /delete says so
            return
        self.feed(person, self.updates.press_data(person, screen, data[0]))
        if confirm:
            self.erased_now.add(f"tg:{person}")
            self.deleted.add(person)
            self.keyboards[person].clear()
            self.request.last.pop(person, None)

    @rule(person=st.sampled_from(PEOPLE))
    def exit(self, person: int) -> None:
        self.send_text(person, "/exit")

    @rule()
    def restart(self) -> None:
        stored = sorted(self.app.store.execute("SELECT id, state FROM people").fetchall())
        before = self.bot
        self.stop()
        self.start()
        assert self.bot is not before and before.closed
        assert self.in_memory() == (set(), set())  # what was only in memory is gone...
        assert sorted(self.app.store.execute("SELECT id, state FROM people").fetchall()) == stored  # ...the rest not

    # ---- invariants ---------------------------------------------------------------------------------

    @invariant()
    def nothing_reached_the_error_handler(self) -> None:
        assert not self.errors.records, [r.getMessage() for r in self.errors.records]

    @invariant()
    def in_memory_state_carries_between_steps(self) -> None:
        pending_before, marked_before = self.memory
        pending, marked = self.in_memory()
        assert marked_before <= marked  # a marked message stays marked (the cap is 10,000)
        for pid in pending_before - pending:  # someone stops being pending only by agreeing or being erased
            stored = self.app.store.execute("SELECT count(*) FROM people WHERE id = ?", (pid,)).fetchone()[0]
            assert stored == 1 or pid in self.erased_now, pid
        self.memory = (pending, marked)
        self.erased_now.clear()

    @invariant()
    def telegram_refused_nothing(self) -> None:
        refused = self.refused + self.request.refused
        assert not refused, refused  # bad HTML, too long, callback data over 64 bytes, ... (bot_api_rules.py)

    @invariant()
    def everyone_is_at_a_valid_step(self) -> None:
        flows = content().flows
        for pid, state in self.app.store.execute("SELECT id, state FROM people"):
            conv = json.loads(state)
            assert conv["flow"] in flows, (pid, conv)
            assert conv["step"] in flows[conv["flow"]].steps, (pid, conv)
        for pid, conv in self.app._pending.items():  # noqa: SLF001 - not yet agreed: in memory only
            assert conv.flow in flows and conv.step in flows[conv.flow].steps, (pid, conv)

    @invariant()
    def every_handled_update_is_recorded_once(self) -> None:
        if not self.handled:
            return
        recorded = {r[0] for r in self.app.store.execute("SELECT update_id FROM processed_updates")}
        assert set(self.handled) <= recorded
        assert len(self.handled) == len(set(self.handled))

    @invariant()
    def a_deleted_person_has_no_rows(self) -> None:
        for person in self.deleted:
            pid = f"tg:{person}"
            assert self.app.store.execute("SELECT count(*) FROM people WHERE id = ?", (pid,)).fetchone()[0] == 0
            for table in PERSON_TABLES:
                n = self.app.store.execute(f"SELECT count(*) FROM {table} WHERE person = ?", (pid,)).fetchone()[0]
                assert n == 0, (table, pid)

    @invariant()
    def no_lock_is_left_behind(self) -> None:
        assert self.application.update_processor.held == 0


# The full run (fulcrum-ci: 8 examples of 30 steps, or fulcrum-long) in CI; a small one in every `pytest`.
SMALL = settings(PROFILE, max_examples=2, stateful_step_count=15)


class TestAdapterStateMachine(AdapterMachine.TestCase):
    settings = PROFILE


TestAdapterStateMachine = pytest.mark.slow(pytest.mark.filterwarnings("ignore::DeprecationWarning")(
    TestAdapterStateMachine))


class TestAdapterStateMachineSmall(AdapterMachine.TestCase):
    settings = SMALL


TestAdapterStateMachineSmall = pytest.mark.filterwarnings("ignore::DeprecationWarning")(TestAdapterStateMachineSmall)
