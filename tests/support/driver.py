"""Drive the application the way the console does, in-process: numbers pick the N-th option."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.core.inputs import option_numbers, parse_command
from flows.model import Input, Reply


class Chat:
    def __init__(self, app, user: str = "t", start: datetime | None = None, lang: str | None = None):
        self.app = app
        self.lang = lang  # as Telegram's language_code: chooses the language of someone who has none yet
        self.pid = f"cli:{user}"
        self.now = start or datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
        self.last: Reply | None = None
        self.outputs: list[str] = []

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=5)
        return self.now

    def send(self, line: str) -> str:
        text = line.strip()
        numbers = option_numbers(text)
        if text.startswith("/"):
            inp = parse_command(text)
        elif numbers is not None and len(numbers) == 1 and self.last and 1 <= numbers[0] <= len(self.last.options):
            inp = Input.option(self.last.options[numbers[0] - 1].id)
        else:
            inp = Input.text(line)
        return self.handle(inp)

    def handle(self, inp: Input) -> str:
        outcome = self.app.handle(self.pid, inp, self._tick(), language_code=self.lang)
        for reply in outcome.replies:
            if reply.is_step:
                self.last = reply
        out = "\n\n".join(r.text + "".join(f"\n[{i}] {o.label}" for i, o in enumerate(r.options, 1))
                          for r in outcome.replies)
        self.outputs.append(out)
        self.outcome = outcome
        return out

    def press(self, option_id: str) -> str:
        return self.handle(Input.option(option_id))

    @property
    def at(self) -> str:
        assert self.last is not None
        return f"{self.last.flow} {self.last.step}"

    def option_number(self, option_id: str) -> int:
        assert self.last is not None
        return [o.id for o in self.last.options].index(option_id) + 1
