"""Turning what a person typed or pressed into an `Input`, the same way in every adapter and test driver."""

from __future__ import annotations

import re

from flows.model import Input

NUMBERS = re.compile(r"^\d+(?:[\s,]+\d+)*$")


def parse_command(line: str) -> Input:
    """'/flow signs' → Input.command('flow', 'signs'); '/start@fulcrum_bot' → Input.command('start')."""
    name, _, arg = line.strip()[1:].partition(" ")
    name = name.split("@", 1)[0]
    return Input.command(name, arg)


def as_command(inp: Input) -> Input:
    """An option whose id starts with "/" (a reminder's buttons) is that command, whatever the turn."""
    if inp.kind == "option" and inp.value.startswith("/"):
        return parse_command(inp.value)
    return inp


def option_numbers(text: str) -> list[int] | None:
    """'2', '1 3' or '1,3' → the numbers typed; anything else → None."""
    text = text.strip()
    if not NUMBERS.match(text):
        return None
    return [int(n) for n in re.split(r"[\s,]+", text)]
