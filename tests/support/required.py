"""Tools outside Python that a few tests need (headless Chromium, node with Mermaid): skip locally, fail in CI.

A newcomer's `pytest` passes without them: the test is skipped with a reason that says how to install the
tool. Under CI=true (.ci/run sets it, and installs the tools) a missing tool is a failure instead, so CI can
never go green by silently skipping these tests.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip the calling test with `reason` (what is missing and how to install it); under CI=true, fail it."""
    if in_ci():
        pytest.fail(f"{reason} [CI=true: required here, not skipped]", pytrace=False)
    pytest.skip(reason)
