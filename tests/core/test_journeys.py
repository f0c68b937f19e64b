"""Conversations as data (tests/journeys/*.yaml), replayed in-process and through `fulcrum chat` itself.

A journey may say whose conversation it is: `lang` is the person's Telegram language_code ("es-MX": the person
meets content/es/ from the first message; the console is started with the language it picks, `--lang es`), and
`country` the practice's FULCRUM_DEFAULT_COUNTRY (the help lines shown first). Without them: English, no country.

Each turn's expectations (`expect`: phrases shown; `absent`: phrases that must not be) are checked against that
turn's own output, never against the whole conversation:
a phrase that only appears three turns later (or appeared earlier) fails the turn that promised it.
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
from flows.model import Input
from flows.content import load_languages
from tests.conftest import CONTENT, ROOT, make_app
from tests.support.driver import Chat

JOURNEYS = sorted((ROOT / "tests" / "journeys").glob("*.yaml"))
# One journey goes through a real `fulcrum chat` process on every run; all of them with CI=true.
FAST_PROCESS_JOURNEY = "boundaries"


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


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_in_process(path: Path, store_path: Path, content):
    journey = _load(path)
    app = journey_app(journey, store_path, content)
    try:
        _replay_in_process(path, journey, app)
    finally:
        app.store.close()


def _replay_in_process(path: Path, journey: dict, app) -> None:
    chat = Chat(app, lang=journey.get("lang"))
    chat.handle(Input.open())
    for i, turn in enumerate(journey["turns"], 1):
        out = chat.send(str(turn["send"]))
        for piece in turn.get("expect", []):
            assert piece in out, f"{path.name} turn {i} ({turn['send']!r}): {piece!r} not in:\n{out}"
        for piece in turn.get("absent", []):  # e.g. an option that must not be offered on the afraid path
            assert piece not in out, f"{path.name} turn {i} ({turn['send']!r}): {piece!r} shown in:\n{out}"
        if "at" in turn:
            assert chat.at == turn["at"], f"{path.name} turn {i} ({turn['send']!r}): at {chat.at}"


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_through_the_console_turn_by_turn(path: Path, store_path: Path, content):
    journey = _load(path)
    app = journey_app(journey, store_path, content)
    try:
        _replay_through_the_console(path, journey, app)
    finally:
        app.store.close()


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
