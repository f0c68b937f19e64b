"""`fulcrum content check`: every content file, validated in one pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.compose import features
from bot.core.feature import merge
from bot.core.service import Fulcrum
from bot.core.settings import Settings
from flows.content import Content, ContentError, check_names, load_languages


def unprovided_names(content: Content) -> list[tuple[str, str, str]]:
    """An `action:`, `validate:`, `options_from:`, placeholder or command that no composed feature provides."""
    merged = merge(features(Settings(content=content.root, _env_file=None)))
    return check_names(content, actions=merged.actions, validators=merged.validators,
                       renderers={*merged.renderers, *Fulcrum.CORE_RENDERERS},
                       option_sources={*merged.option_sources, *Fulcrum.CORE_SOURCES}, commands=merged.commands)


def check_all(root: Path, today: date | None = None) -> tuple[list[tuple[str, str, str]], int, int]:
    """(problems, flows, steps); problems are (file relative to root, step or '-', problem)."""
    from flows.resources import ResourcesError, load_resources
    from flows.safety import check_net_file, check_safety_file

    root = Path(root)
    problems: list[tuple[str, str, str]] = []
    flows = steps = 0
    try:
        languages = load_languages(root)  # every content/<lang>/, each checked against English
        content = languages["en"]
        flows = len(content.flows)
        steps = sum(len(f.steps) for f in content.flows.values())
        for each in languages.values():
            problems += [p for p in unprovided_names(each) if p not in problems]
    except ContentError as exc:
        problems += exc.problems
    safety = root / "safety.yaml"
    if safety.is_file():
        problems += [("safety.yaml", where, problem) for where, problem in check_safety_file(safety)]
        problems += [("safety/model.json", where, problem) for where, problem in check_net_file(safety)]
    else:
        problems.append(("safety.yaml", "-", "missing: the crisis triage rules"))
    try:
        load_resources(root / "directory", today=today)
    except ResourcesError as exc:
        for line in exc.problems:
            parts = line.split(": ", 2)
            problems.append((parts[0], parts[1], parts[2]) if len(parts) == 3 else ("directory", "-", line))
    return problems, flows, steps
