"""`fulcrum flows diagram`: every flow's diagram is one that Mermaid's own parser accepts.

Mermaid (version 11, pinned in tests/support/mermaid/package-lock.json) runs under node through
tests/support/mermaid/parse.mjs. Without node or the package the Mermaid tests are skipped with a reason
(install with `npm ci --prefix tests/support/mermaid`); under CI=true they fail instead (.ci/run installs both).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from bot.ops.diagram import mermaid, state_id
from flows.engine import machine_config
from tests.conftest import ROOT
from tests.support.required import missing

MERMAID = ROOT / "tests" / "support" / "mermaid"
INSTALL = ("Mermaid's parser runs under node for the diagram tests: install node (`apt-get install nodejs npm`) "
           "and then Mermaid with `npm ci --prefix tests/support/mermaid` (.ci/run does both)")
STATE = re.compile(r'^\s*state "([^"]*)" as (\S+)$')
EDGE = re.compile(r"^\s*(\S+) --> (\S+?)(?:: (.*))?$")


@pytest.fixture(scope="module")
def mermaid_parse():
    """parse({name: diagram}) -> {name: None if Mermaid accepts it, else Mermaid's error}."""
    node = shutil.which("node")
    if node is None:
        missing(f"node is not installed. {INSTALL}")
    for package in ("mermaid", "jsdom"):
        if not (MERMAID / "node_modules" / package / "package.json").is_file():
            missing(f"the npm package {package} is not installed in tests/support/mermaid. {INSTALL}")

    def parse(diagrams: dict[str, str]) -> dict[str, str | None]:
        out = subprocess.run([node, str(MERMAID / "parse.mjs")], input=json.dumps(diagrams), capture_output=True,
                             text=True, timeout=120, cwd=MERMAID)
        assert out.returncode == 0, out.stderr[-2000:]
        results = json.loads(out.stdout)
        assert set(results) == set(diagrams)
        return results

    return parse


def test_mermaid_rejects_a_keyword_as_a_state_id(mermaid_parse):
    """The parser really checks: the old output (step ids such as `style` and `note` as state ids) fails."""
    results = mermaid_parse({
        "style": 'stateDiagram-v2\n  state "style" as style\n  [*] --> style\n',
        "note": 'stateDiagram-v2\n  state "note" as note\n  [*] --> note\n  note --> note: answer\n',
        "safe": 'stateDiagram-v2\n  state "style" as step_style\n  [*] --> step_style\n',
    })
    assert results["style"] and results["note"]
    assert results["safe"] is None


def test_every_flow_diagram_parses_with_mermaid(content, mermaid_parse):
    results = mermaid_parse({fid: mermaid(content, fid) for fid in content.flows})
    rejected = {fid: error for fid, error in results.items() if error is not None}
    assert not rejected, "Mermaid rejects these diagrams:\n" + "\n\n".join(f"{k}: {v}" for k, v in rejected.items())


def test_every_state_has_a_safe_id_and_its_step_id_as_label(content):
    for fid, flow in content.flows.items():
        lines = mermaid(content, fid).splitlines()
        states = {m[2]: m[1] for m in map(STATE.match, lines) if m}
        names = machine_config(flow, content)["states"]
        assert states == {state_id(name): name for name in names}, fid
        assert all(re.fullmatch(r"step_[a-z0-9_]+", sid) for sid in states), fid
        edges = [m for m in map(EDGE.match, lines) if m]
        assert edges, fid
        for edge in edges:
            assert edge[1] in {*states, "[*]"} and edge[2] in states, f"{fid}: {edge[0]}"
        assert f"[*] --> {state_id(flow.spec.start)}" in lines[-1], fid


def test_transitions_keep_their_labels_and_the_title_is_front_matter(content):
    text = mermaid(content, "causes")
    title = json.dumps(content.flows["causes"].title, ensure_ascii=False)
    assert text.startswith(f"---\ntitle: {title}\n---\nstateDiagram-v2\n")
    assert "step_style --> step_own_style: i_lead" in text
    assert "step_summary --> step_exit_flow_seek_help: seek_help" in text
