"""The names the weekly figures (`stats`) are kept under: metrics, flow ids and crisis categories and kinds.

With a key they are stored as keyed tags (bot/store/store.py `bump`); whoever reads or re-keys the figures
tags these names to know which row is which.
"""

from __future__ import annotations

from typing import Any

from flows.safety import KINDS, PRECEDENCE

METRICS = ("flow_started", "flow_completed", "crisis", "check", "help_directory", "checkin_answered",
           "followup_answered", "checkin_prompt", "followup_prompt", "summary_prompt")


def known_names(content: Any = None) -> list[str]:
    """Every name a figure's metric or flow can hold: the metrics, content's flow ids, safety categories and kinds."""
    flows = list(content.flows) if content is not None else []
    return sorted({*METRICS, *flows, *PRECEDENCE, *KINDS})
