"""Shared by the benchmarks: the repository on sys.path, running one variant in its own process, machine facts."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run_variant(script: Path, *args: str, timeout: float = 1800, env: dict | None = None) -> dict:
    """Run `python script args` in a fresh process (so its memory figures are its own); its last line is JSON."""
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)
    return _last_json(script, args, proc.returncode, proc.stdout, proc.stderr)


def run_together(script: Path, args_a: list[str], env_a: dict, args_b: list[str], env_b: dict) -> tuple[dict, dict]:
    """Two variants' processes at once (both see the same load on a shared machine); their last lines (JSON)."""
    procs = [subprocess.Popen([sys.executable, str(script), *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env=e) for a, e in ((args_a, env_a), (args_b, env_b))]
    results = []
    for proc, a in zip(procs, (args_a, args_b)):
        out, err = proc.communicate()
        results.append(_last_json(script, a, proc.returncode, out, err))
    return results[0], results[1]


def _last_json(script: Path, args: Sequence[str], returncode: int, stdout: str, stderr: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if returncode != 0 or not lines:
        sys.stderr.write(stderr[-4000:])
        raise SystemExit(f"{script.name} {' '.join(args)} failed (exit {returncode})")
    return json.loads(lines[-1])


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]
