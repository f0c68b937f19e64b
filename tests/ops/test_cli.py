"""The command line: content check, flows list, flows diagram, the chat contract, triage and keygen."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CONTENT, ROOT

MENU_ORDER = ["signs", "contexts", "causes", "communication", "boundaries", "support", "equity", "long_term",
              "walk_away", "safety_plan", "someone_else", "seek_help"]


def fulcrum(*args: str, stdin: str = "", cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


def test_content_check_passes_on_our_content():
    out = fulcrum("content", "check")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.fullmatch(r"ok: \d+ flows, \d+ steps\n", out.stdout)


def test_content_check_lists_problems_and_exits_1(tmp_path: Path):
    root = tmp_path / "c"
    shutil.copytree(CONTENT, root)
    text = (root / "flows" / "signs.yaml").read_text().replace("next: often", "next: nowhere")
    (root / "flows" / "signs.yaml").write_text(text)
    out = fulcrum("content", "check", "--content", str(root))
    assert out.returncode == 1
    assert "flows/signs.yaml: pick: next step 'nowhere' does not exist" in out.stdout.splitlines()


def test_flows_list_shows_menu_flows_in_order_then_system_flows():
    out = fulcrum("flows", "list")
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert all(len(r) == 4 and r[2].isdigit() and r[3] in ("menu", "system") for r in rows)
    menu = [r[0] for r in rows if r[3] == "menu"]
    assert menu == MENU_ORDER
    kinds = [r[3] for r in rows]
    assert kinds == sorted(kinds)  # menu before system


def test_flows_diagram_is_mermaid_from_transitions():
    out = fulcrum("flows", "diagram", "signs")
    assert out.returncode == 0, out.stderr
    assert "stateDiagram-v2" in out.stdout
    assert "step_pick --> step_often: done" in out.stdout  # safe state ids, step ids as labels
    assert 'state "pick" as step_pick' in out.stdout


def test_flows_diagram_unknown_id_names_the_known_ones():
    out = fulcrum("flows", "diagram", "nope")
    assert out.returncode == 1
    assert "signs" in out.stderr and "nope" in out.stderr


def test_chat_walks_signs_to_its_summary_and_resumes(tmp_path: Path):
    db = str(tmp_path / "c.db")
    first = fulcrum("chat", "--trace", "--db", db, "--user", "sam", stdin="/flow signs\n1\n1\n1 3\n")
    assert first.returncode == 0, first.stderr
    assert "\x1b[" not in first.stdout
    traces = [line for line in first.stderr.splitlines() if line.startswith("@ ")]
    assert traces[0] == "@ onboarding notice choice"
    assert traces[-1] == "@ signs pick checklist"
    assert re.search(r"^\[1\] ✓ ", first.stdout, re.M) and re.search(r"^\[3\] ✓ ", first.stdout, re.M)
    second = fulcrum("chat", "--trace", "--db", db, "--user", "sam", stdin="9\n2\n3\nA small moment.\n")
    traces = [line for line in second.stderr.splitlines() if line.startswith("@ ")]
    assert traces[0] == "@ signs pick checklist"  # resumed where they left off, ticks kept
    assert re.search(r"^\[1\] ✓ ", second.stdout, re.M)
    assert traces[-1] == "@ signs summary summary"


def test_chat_keeps_library_chatter_off_stderr(tmp_path: Path):
    env = {**os.environ, "FULCRUM_LOG_LEVEL": "INFO"}  # the default, set so a developer's .env cannot lower it
    out = fulcrum("chat", "--db", str(tmp_path / "c.db"), stdin="/flow signs\n1\n1\n1 3\n", env=env)
    assert out.returncode == 0, out.stderr
    assert "transitions" not in out.stderr, out.stderr  # e.g. `INFO transitions.core: Finished processing state`
    logged = re.findall(r"^\S+ \S+ (DEBUG|INFO) (\S+): ", out.stderr, re.M)
    assert all(name.startswith("fulcrum") for _, name in logged), logged


def test_unknown_command_in_chat_lists_commands(tmp_path: Path):
    out = fulcrum("chat", "--db", str(tmp_path / "c.db"), stdin="/flow signs\n1\n/nonsense\n")
    assert "/menu" in out.stdout and "/help" in out.stdout


def test_keygen_prints_one_key():
    out = fulcrum("keygen")
    assert out.returncode == 0
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}\n", out.stdout)


def test_missing_database_folder_is_one_line(tmp_path: Path):
    out = fulcrum("chat", "--db", str(tmp_path / "no" / "such" / "x.db"), stdin="")
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1 and "does not exist" in out.stderr
