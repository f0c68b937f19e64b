"""Conversations as data (tests/journeys/*.yaml), replayed in-process and through `fulcrum chat` itself.

A journey may say whose conversation it is: `lang` is the person's Telegram language_code ("es-MX": the person
meets content/es/ from the first message; the console is started with the language it picks, `--lang es`), and
`country` the practice's FULCRUM_DEFAULT_COUNTRY (the help lines shown first). Without them: English, no country.

Each turn's expectations (`expect`: phrases shown; `absent`: phrases that must not be) are checked against that
turn's own output, never against the whole conversation:
a phrase that only appears three turns later (or appeared earlier) fails the turn that promised it.

Every menu topic is walked to its summary as a partner, someone at work and someone in the family (the relationship
saved in the profile, safety signal not set), and on the afraid path (the signal set, by a fear answer in the topic or
earlier: signs' fear tick, a check-in fear rating, "I don't feel safe"…). A journey names the cells it walks in
`covers: [TOPIC/CELL, …]`; its in-process replay proves each one (it reaches that summary with that relationship, or
afraid, on a turn that says what must show and, afraid, what must not), and the test below checks that every cell
has a journey and that this table lists them (issue 17, item 8). safety_plan and someone_else read the same for
every relationship (their journeys still assert the summary and its next steps); seek_help orders its lines by it.

| topic | partner | work | family | afraid |
|---|---|---|---|---|
| signs | partner_signs_contexts_causes | signs_work | family_signs_causes_equity | afraid_signs_contexts_causes |
| contexts | partner_signs_contexts_causes | work_causes_support_contexts | family_long_term_contexts_safety_plan | afraid_signs_contexts_causes |
| causes | partner_signs_contexts_causes | work_causes_support_contexts | family_signs_causes_equity | afraid_signs_contexts_causes |
| communication | partner_communication_boundaries_support | work_communication_boundaries_equity | family_communication_boundaries_support | afraid_communication_equity |
| boundaries | partner_communication_boundaries_support | work_communication_boundaries_equity | family_communication_boundaries_support | afraid_boundaries_long_term |
| support | partner_communication_boundaries_support | work_causes_support_contexts | family_communication_boundaries_support | afraid_walk_away_support |
| equity | partner_equity_long_term_walk_away | work_communication_boundaries_equity | family_signs_causes_equity | afraid_communication_equity |
| long_term | partner_equity_long_term_walk_away | work_long_term_walk_away_safety_plan | family_long_term_contexts_safety_plan | afraid_boundaries_long_term |
| walk_away | partner_equity_long_term_walk_away | work_long_term_walk_away_safety_plan | walk_away_family_leaving | afraid_walk_away_support |
| safety_plan | partner_safety_plan_someone_else_seek_help | work_long_term_walk_away_safety_plan | family_long_term_contexts_safety_plan | afraid_checkin_safety_plan_someone_else_seek_help |
| someone_else | partner_safety_plan_someone_else_seek_help | work_someone_else_seek_help | family_someone_else_seek_help | afraid_checkin_safety_plan_someone_else_seek_help |
| seek_help | partner_safety_plan_someone_else_seek_help | work_someone_else_seek_help | family_someone_else_seek_help | afraid_checkin_safety_plan_someone_else_seek_help |
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from bot.adapters.console import Console
from flows.content import SAFETY_SIGNAL
from flows.model import Input
from flows.content import load_languages
from tests.conftest import CONTENT, ROOT, make_app
from tests.support.driver import Chat

JOURNEYS = sorted((ROOT / "tests" / "journeys").glob("*.yaml"))
# One journey goes through a real `fulcrum chat` process on every run; all of them with CI=true.
FAST_PROCESS_JOURNEY = "boundaries"
CELLS = ("partner", "work", "family", "afraid")
COVERAGE = "\n".join(line for line in (__doc__ or "").splitlines() if line.startswith("|"))


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data.get("turns"), f"{path.name}: no turns"
    return data


@functools.cache
def _all_languages():
    return load_languages(CONTENT)


def journey_app(journey: dict, store_path: Path, content):
    """The application a journey's person meets: every content language when it names one, its default country."""
    settings = {"default_country": journey["country"]} if journey.get("country") else {}
    if journey.get("lang"):
        return make_app(store_path, languages=_all_languages(), **settings)
    return make_app(store_path, content, **settings)


def console_lang(app, journey: dict) -> str | None:
    """What `fulcrum chat --lang` is given for the journey's Telegram language_code: the content folder it picks."""
    return app.pick_language(journey["lang"]) if journey.get("lang") else None


def _ticking(start: datetime = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)):
    now = [start]

    def clock() -> datetime:
        now[0] += timedelta(seconds=5)
        return now[0]

    return clock


class ConsoleReplay:
    """bot/console.py's Console on a StringIO, fed one line at a time; each turn's output and trace kept apart."""

    def __init__(self, app, user: str = "journey", clock=None, lang: str | None = None):
        self.out, self.err = io.StringIO(), io.StringIO()
        self.console = Console(app, user, out=self.out, err=self.err, trace=True, clock=clock or _ticking(),
                               lang=lang)
        self.start = self._turn(self.console.start)

    def _turn(self, action) -> tuple[str, list[str]]:
        out_at, err_at = len(self.out.getvalue()), len(self.err.getvalue())
        action()
        return self.out.getvalue()[out_at:], self.err.getvalue()[err_at:].splitlines()

    def feed(self, line: str) -> tuple[str, list[str]]:
        return self._turn(lambda: self.console.feed(f"{line}\n"))


def check_option_lines(out: str) -> None:
    for line in out.splitlines():
        if line.startswith("["):
            assert line.split("]", 1)[0][1:].isdigit(), f"a non-option line starts with '[': {line!r}"


def test_there_are_journeys():
    assert JOURNEYS, "tests/journeys/ holds no conversations"
    assert FAST_PROCESS_JOURNEY in [p.stem for p in JOURNEYS]


def _covers(journey: dict) -> list[tuple[str, str]]:
    return [tuple(c.split("/")) for c in journey.get("covers", [])]


def _cell_reached(app, chat: Chat) -> tuple[str, str] | None:
    """(topic, cell) when this turn ended on a menu topic's summary: the cell is `afraid` while the safety signal is
    set, else the relationship saved in the profile (partner, work, family; anything else counts for no cell)."""
    flow, step = chat.at.split()
    spec = app.content.flows[flow].spec
    if spec.system or next(s for s in spec.steps if s.id == step).kind != "summary":
        return None
    profile = app.store.load(chat.pid).profile
    return flow, "afraid" if profile.get(SAFETY_SIGNAL) else str(profile.get("relationship"))


def _replayed(replay, path: Path, store_path: Path, content) -> None:
    """One journey replayed on its own app (language and country as the journey says), closed afterwards."""
    journey = _load(path)
    app = journey_app(journey, store_path, content)
    try:
        replay(path, journey, app)
    finally:
        app.store.close()


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_in_process(path: Path, store_path: Path, content):
    _replayed(_replay_in_process, path, store_path, content)


def _replay_in_process(path: Path, journey: dict, app) -> None:
    chat = Chat(app, lang=journey.get("lang"))
    chat.handle(Input.open())
    proved: set[tuple[str, str]] = set()
    for i, turn in enumerate(journey["turns"], 1):
        out = chat.send(str(turn["send"]))
        for piece in turn.get("expect", []):
            assert piece in out, f"{path.name} turn {i} ({turn['send']!r}): {piece!r} not in:\n{out}"
        for piece in turn.get("absent", []):  # e.g. an option that must not be offered on the afraid path
            assert piece not in out, f"{path.name} turn {i} ({turn['send']!r}): {piece!r} shown in:\n{out}"
        if "at" in turn:
            assert chat.at == turn["at"], f"{path.name} turn {i} ({turn['send']!r}): at {chat.at}"
        cell = _cell_reached(app, chat)
        # A summary counts for the coverage table only where the turn says what must and must not be on screen.
        if cell is not None and turn.get("expect") and (cell[1] != "afraid" or turn.get("absent")):
            proved.add(cell)
    missing = [c for c in _covers(journey) if c not in proved]
    assert not missing, (f"{path.name} covers {missing} but never reaches that summary with that relationship (or "
                         f"afraid), on a turn with `expect` (and, afraid, `absent`); reached: {sorted(proved)}")


def test_every_topic_is_walked_as_partner_work_family_and_afraid(content):
    """The table in this module's docstring, checked: each cell is a journey's `covers`, which its replay above proves."""
    declared: dict[tuple[str, str], list[str]] = {}
    for path in JOURNEYS:
        for cell in _covers(_load(path)):
            assert cell[0] in content.flows and cell[1] in CELLS, f"{path.name}: unknown cell {cell}"
            declared.setdefault(cell, []).append(path.stem)
    topics = [f.id for f in content.menu_flows()]
    assert len(topics) == 12, topics
    missing = [f"{t}/{c}" for t in topics for c in CELLS if (t, c) not in declared]
    assert not missing, f"no journey walks {missing}"
    for line in COVERAGE.strip().splitlines()[2:]:
        topic, *journeys = [x.strip() for x in line.strip("|").split("|")]
        for cell, names in zip(CELLS, journeys):
            assert set(names.split(", ")) == set(declared[(topic, cell)]), (topic, cell, names)


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_through_the_console_turn_by_turn(path: Path, store_path: Path, content):
    _replayed(_replay_through_the_console, path, store_path, content)


def _replay_through_the_console(path: Path, journey: dict, app) -> None:
    replay = ConsoleReplay(app, lang=console_lang(app, journey))
    out, trace = replay.start
    assert out.strip() and len(trace) == 1 and trace[0].startswith("@ "), (out, trace)
    for i, turn in enumerate(journey["turns"], 1):
        out, trace = replay.feed(str(turn["send"]))
        where = f"{path.name} turn {i} ({turn['send']!r})"
        assert out.strip(), f"{where}: the console printed nothing"
        assert len(trace) == 1 and trace[0].startswith("@ "), f"{where}: one trace line per input, got {trace}"
        for piece in turn.get("expect", []):
            assert piece in out, f"{where}: {piece!r} not in this turn's output:\n{out}"
        for piece in turn.get("absent", []):
            assert piece not in out, f"{where}: {piece!r} shown in this turn's output:\n{out}"
        if "at" in turn:
            assert trace[0].split()[1:3] == turn["at"].split(), f"{where}: {trace[0]}"
        check_option_lines(out)


def test_a_turn_is_judged_on_its_own_output_only(app):
    """The replay itself: a phrase printed at an earlier turn does not count for a later one."""
    replay = ConsoleReplay(app)
    first, _ = replay.feed("/flow boundaries")
    _, _ = replay.feed("1")
    later, _ = replay.feed("1")
    notice_line = next(line for line in first.splitlines() if line.strip() and not line.startswith("["))
    assert notice_line in replay.out.getvalue()
    assert notice_line not in later


def _process_params():
    for path in JOURNEYS:
        marks = () if path.stem == FAST_PROCESS_JOURNEY else (pytest.mark.slow,)
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", list(_process_params()))
def test_journey_through_fulcrum_chat(path: Path, tmp_path: Path, content):
    """The real `fulcrum chat` process prints, turn after turn, what the Console checked above prints."""
    journey = _load(path)
    sends = [str(turn["send"]) for turn in journey["turns"]]
    # Every language, as the process loads them (with a second language the first screen offers the choice).
    app = make_app(tmp_path / "replay.db", languages=load_languages(CONTENT),
                   **({"default_country": journey["country"]} if journey.get("country") else {}))
    lang = console_lang(app, journey)
    env = {name: value for name, value in os.environ.items() if not name.startswith("FULCRUM_")}
    if journey.get("country"):
        env["FULCRUM_DEFAULT_COUNTRY"] = journey["country"]
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--trace", "--user", "journey", "--db", str(tmp_path / "j.db"),
         *(["--lang", lang] if lang else [])],
        input="".join(f"{line}\n" for line in sends), capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    traces = [line for line in proc.stderr.splitlines() if line.startswith("@ ")]

    try:
        replay = ConsoleReplay(app, clock=lambda: datetime.now(timezone.utc), lang=lang)
        for line in sends:
            replay.feed(line)
        expected_out = replay.out.getvalue()
        expected_traces = replay.err.getvalue().splitlines()
    finally:
        app.store.close()
    assert traces == expected_traces
    assert proc.stdout == expected_out
