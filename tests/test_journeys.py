"""Conversations as data (tests/journeys/*.yaml), replayed in-process and through `fulcrum chat` itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, make_app
from tests.support.driver import Chat

JOURNEYS = sorted((ROOT / "tests" / "journeys").glob("*.yaml"))


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data.get("turns"), f"{path.name}: no turns"
    return data


def test_there_are_journeys():
    assert JOURNEYS, "tests/journeys/ holds no conversations"


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_in_process(path: Path, store_path: Path, content):
    journey = _load(path)
    app = make_app(store_path, content)
    chat = Chat(app)
    chat.handle(__import__("flows.model", fromlist=["Input"]).Input.open())
    for i, turn in enumerate(journey["turns"], 1):
        out = chat.send(str(turn["send"]))
        for piece in turn.get("expect", []):
            assert piece in out, f"{path.name} turn {i} ({turn['send']!r}): {piece!r} not in:\n{out}"
        if "at" in turn:
            assert chat.at == turn["at"], f"{path.name} turn {i} ({turn['send']!r}): at {chat.at}"
    app.store.close()


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
def test_journey_through_fulcrum_chat(path: Path, tmp_path: Path):
    journey = _load(path)
    lines = "".join(f"{turn['send']}\n" for turn in journey["turns"])
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--trace", "--user", "journey", "--db", str(tmp_path / "j.db")],
        input=lines, capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    traces = [line for line in proc.stderr.splitlines() if line.startswith("@ ")]
    assert len(traces) == len(journey["turns"]) + 1, proc.stderr
    position = 0
    for i, turn in enumerate(journey["turns"], 1):
        for piece in turn.get("expect", []):
            found = proc.stdout.find(piece, position)
            assert found >= 0, f"{path.name} turn {i}: {piece!r} missing from the console output"
        if "at" in turn:
            flow, step = turn["at"].split()
            assert traces[i].split()[1:3] == [flow, step], f"{path.name} turn {i}: {traces[i]}"
    for line in proc.stdout.splitlines():
        if line.startswith("["):
            assert line.split("]", 1)[0][1:].isdigit(), f"a non-option line starts with '[': {line!r}"
