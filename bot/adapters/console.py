"""The console adapter: `fulcrum chat`. Plain text out, one line in at a time, the same engine and store.

Contract (scripts rely on it): options are lines `[N] label`; no other line starts with `[`;
with --trace one line `@ FLOW STEP KIND` goes to stderr per input, after stdout is flushed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from bot.core.feature import Outcome
from bot.core.inputs import option_numbers, parse_command
from bot.core.service import Fulcrum
from flows.model import Input, Reply


class Console:
    def __init__(self, app: Fulcrum, user: str = "local", *, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
                 trace: bool = False, clock: Callable[[], datetime] | None = None, lang: str | None = None):
        """`lang`: the language to talk in (a content folder), as Telegram's language_code would choose it; a
        person who chose another one with /language is switched to it."""
        self.app = app
        self.lang = lang
        self.pid = f"cli:{user}"
        self.out, self.err, self.trace = out, err, trace
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.last: Reply | None = None

    def start(self) -> None:
        if self.lang is not None and self.app.store.exists(self.pid):
            with self.app.store.transaction():
                self.app.store.set_profile(self.pid, language=self.lang)
        self._show(self._handle(Input.open()))

    def _handle(self, inp: Input) -> Outcome:
        return self.app.handle(self.pid, inp, self.clock(), language_code=self.lang)

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n")
        text = line.strip()
        if text.startswith("/"):
            self._show(self._handle(parse_command(text)))
            return
        options = self.last.options if self.last else ()
        if self.last is not None and self.last.kind == "pad" and text.replace(" ", "").isdigit():
            self._show(self._handle(Input.text(text)))  # a PIN, typed as one line
            return
        numbers = option_numbers(text)
        if numbers is not None:
            if all(1 <= n <= len(options) for n in numbers) and (len(numbers) == 1 or self.last.kind == "checklist"):
                outcome = None
                for n in numbers:
                    option = self.last.options[n - 1] if self.last else None
                    if option is None:
                        break
                    outcome = self._handle(Input.option(option.id))
                    self._remember(outcome)
                if outcome is not None:
                    self._show(outcome)
                return
        self._show(self._handle(Input.text(line)))

    def run(self, lines: Iterable[str]) -> None:
        self.start()
        for line in lines:
            self.feed(line)

    def _remember(self, outcome: Outcome) -> None:
        for reply in outcome.replies:
            if reply.is_step:
                self.last = reply

    def _show(self, outcome: Outcome) -> None:
        for reply in outcome.replies:
            self._print(reply)
        self._remember(outcome)
        self.out.flush()
        if self.trace and self.last is not None:
            self.err.write(f"@ {self.last.flow} {self.last.step} {self.last.kind}\n")
            self.err.flush()

    def _print(self, reply: Reply) -> None:
        lines = []
        for line in reply.text.splitlines() or [""]:
            lines.append(" " + line if line.startswith("[") else line)
        image = reply.image if reply.image is not None else reply.draw() if reply.draw is not None else None
        if image is not None:
            lines.append(f"chart: {self._write('chart.png', image)}")
        if reply.document is not None:
            name, data = reply.document
            lines.append(f"export: {self._write(name, data)}")
        if reply.document_later is not None:
            later = reply.document_later
            lines.append(f"{later.label}: {self._write(later.name, later.make())}")
        for n, option in enumerate(reply.options, 1):
            lines.append(f"[{n}] {option.label}")
        self.out.write("\n".join(lines) + "\n\n")

    def _write(self, name: str, data: bytes) -> str:
        folder = self.app.store.path.parent
        safe_user = re.sub(r"[^A-Za-z0-9_-]", "_", self.pid.split(":", 1)[1])
        path = (folder / f"fulcrum-{safe_user}-{name}").resolve()
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(path, 0o600)
        return str(path)


def read_lines(stream: TextIO) -> Iterable[str]:
    interactive = stream.isatty()
    while True:
        if interactive:
            sys.stdout.write("> ")
            sys.stdout.flush()
        line = stream.readline()
        if not line:
            return
        yield line


def chat_path(path: Path) -> Path:
    return path
