"""Shared fixtures: content loaded once, a real SQLite file per test, and the application on it."""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
TODAY = date(2026, 12, 1)  # the help directory's sources were read on this day

# Longer property runs on demand (FULCRUM_HYPOTHESIS_PROFILE=long), read before the environment is cleared.
HYPOTHESIS_PROFILE = os.environ.get("FULCRUM_HYPOTHESIS_PROFILE", "ci")

# Settings come from the test, never from a developer's .env or environment.
for _name in list(os.environ):
    if _name.startswith("FULCRUM_") or _name.startswith("TELEGRAM_"):
        del os.environ[_name]


@pytest.fixture(scope="session")
def content():
    from flows.content import load_content

    return load_content(CONTENT)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "fulcrum.db"


@pytest.fixture
def fresh_store(store_path: Path):
    from bot.store.store import Store

    store = Store(store_path)
    yield store
    store.close()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


@functools.cache
def shared_rules():
    """The triage rules and the help directory, read once per test run (they never change during one)."""
    from flows.resources import load_resources
    from flows.safety import Triage

    return Triage.load(CONTENT / "safety.yaml"), load_resources(CONTENT / "directory", today=TODAY)


def make_app(store_path: Path, content=None, *, store=None, features=None, languages=None, **settings):
    """The application as `fulcrum chat` builds it (bot.compose), on a real SQLite file."""
    from bot.compose import build
    from bot.core.settings import Settings

    cfg = Settings(db=store_path, _env_file=None, **settings)
    shared = {}
    if Path(cfg.content).resolve() == CONTENT.resolve():
        shared = dict(zip(("triage", "directory"), shared_rules()))
    return build(cfg, content=content, store=store, with_features=features, today=TODAY, languages=languages,
                 **shared)


@pytest.fixture
def app(store_path: Path, content):
    application = make_app(store_path, content)
    yield application
    application.store.close()


# ---- slow tests: CI only -------------------------------------------------------------------------------
# `@pytest.mark.slow` marks the long property runs and the longest end-to-end tests. They run when CI=true
# (CI sets it; `CI=true pytest` runs them locally) and are skipped, with that reason, otherwise, so a
# newcomer's plain `pytest` stays quick. One fast representative of each kind stays in the default run.
def pytest_collection_modifyitems(config, items):
    from tests.support.required import in_ci  # the same CI=true test as for the tools CI must have

    if in_ci():
        return
    skip = pytest.mark.skip(reason="slow: runs only with CI=true (`CI=true pytest` to run them)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


# ---- shared fixtures for the engine tests --------------------------------------------------------------


@pytest.fixture(scope="session")
def engine(content):
    """One Engine on the real content for the whole run (tests/support/engine.py; it keeps no per-person state)."""
    from tests.support.engine import make_engine

    return make_engine(content)
