"""The engine stays pure: no telegram import anywhere in flows/."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_flows_never_import_telegram_or_io_libraries():
    forbidden = {"telegram", "httpx", "sqlite3", "sqlite_utils", "aiohttp", "bot"}
    for path in (ROOT / "flows").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_importing_the_engine_loads_no_telegram():
    code = ("import sys, flows.engine, flows.content, flows.safety, flows.resources; "
            "print(any(m == 'telegram' or m.startswith('telegram.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
