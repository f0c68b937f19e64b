"""The lock's guard: the PIN pad, /lock and /unlock, and holding back everything personal while locked.

What may show while locked is decided by where a turn leads, not by which input it was: the engine is pure, so
the guard lets it run and shows the result only when every step in it belongs to a flow content marks
`open_when_locked` (the crisis screen, the check question, help, seek_help, /delete, the neutral start), or when
the turn clears or erases the chat. Anything else shows the PIN pad, and the input is carried out after the
right PIN. Digits being entered live in memory only; a PIN is hashed before the turn's transaction (`prepare`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Any

from bot.core.feature import Env, GuardContext, TurnContext
from bot.features.lock import state
from bot.features.lock.pin import MAX_DIGITS, Stored, as_pin, digits_only, new_salt, derive
from bot.features.lock.state import Lock
from flows.model import Input, Option, Reply, Result

PAD = "pin:"  # a key of the number pad: pin:0 … pin:9, pin:del, pin:ok (bot/adapters/telegram/render.py)
LOCK = "lock:"  # the lock's own buttons: lock:now, lock:change, lock:idle:N, lock:off, lock:help, lock:forgot
IDLE_CHOICES = (5, 15, 60)
FREE_TRIES = 5  # then a pause before each try: 1, 2, 4 … minutes, at most an hour
VISIT_GAP = timedelta(minutes=30)  # a turn after this long away counts as a new visit
VISITS_KEPT = 5
PASSING_ACTIONS = frozenset({"exit", "erase"})  # they clear the chat; nothing of before is shown


@dataclass
class Entry:
    """A PIN being entered: which pad, the digits so far, the first of two when setting one."""

    mode: str  # "set", "confirm" or "unlock"
    digits: str = ""
    first: str = ""


@dataclass
class Prepared:
    kind: str  # "first" (a new PIN's first entry), "new" (confirmed: salt and hash), "mismatch", "try"
    salt: bytes = b""
    derived: bytes = b""


@dataclass
class LockGuard:
    default_idle: int = 15
    entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    held: OrderedDict[str, Input] = field(default_factory=OrderedDict)  # what to carry out after unlocking

    # ---- before the transaction ----------------------------------------------------------------

    def prepare(self, env: Env, pid: str, inp: Input) -> Callable[[], Prepared] | None:
        """The hashing a PIN just entered needs, as work to run off the event loop; None for any other input."""
        entry = self.entries.get(pid)
        candidate = self._candidate(entry, inp)
        if candidate is None:
            return None
        if entry is not None and entry.mode == "set":
            return lambda: Prepared("first")
        if entry is not None and entry.mode == "confirm":
            if candidate != entry.first:
                return lambda: Prepared("mismatch")
            salt = new_salt()
            return lambda: Prepared("new", salt=salt, derived=derive(candidate, salt))
        with env.store.transaction():
            lock = state.read(env.store, pid)
        if lock is None or lock.pin is None:
            return None
        stored = lock.pin
        return lambda: Prepared("try", derived=stored.derive(candidate))

    @staticmethod
    def _candidate(entry: Entry | None, inp: Input) -> str | None:
        if inp.kind == "option" and inp.value == f"{PAD}ok":
            return entry.digits if entry is not None and entry.digits else None
        if inp.kind == "text":
            return as_pin(inp.value)
        return None

    # ---- the guard's own inputs ------------------------------------------------------------------

    def take(self, g: GuardContext) -> Result | None:
        lock = state.read(g.store, g.pid) or Lock()
        now = g.now
        if lock.pin is not None and not lock.locked and lock.is_locked(now, self.default_idle):
            lock.locked = True  # away longer than the idle time: locked from this turn on
            state.write(g.store, g.pid, lock)
        self._note_visit(g, lock)
        g.notes["lock"] = lock
        inp = g.inp
        entry = self.entries.get(g.pid)
        if inp.kind == "command" and inp.value in ("lock", "unlock"):
            return self._command(g, lock, inp)
        if inp.kind == "option" and inp.value.startswith(PAD):
            return self._key(g, lock, inp.value[len(PAD):])
        if inp.kind == "option" and inp.value.startswith(LOCK):
            return self._button(g, lock, inp.value[len(LOCK):])
        if inp.kind == "text" and digits_only(inp.value) and (entry is not None or lock.locked):
            # Typed digits at a pad are a PIN, even of the wrong length: refused with the length note, never
            # passed on as free text (which would offer to keep them in the journal).
            if g.outcome is not None:
                g.outcome.delete_incoming = True  # a PIN typed into the chat leaves it after the commit
            entry = entry or self._start(g.pid, "unlock")
            entry.digits = as_pin(inp.value) or ""
            return self._submit(g, lock, entry)
        if entry is not None and not (lock.locked and entry.mode == "unlock"):
            self.entries.pop(g.pid, None)  # moved on from a pad (not the unlock one): the digits go
        return None

    def _command(self, g: GuardContext, lock: Lock, inp: Input) -> Result:
        if lock.locked:
            return self._pad(g, self._start(g.pid, "unlock"))
        if inp.value == "unlock":
            return self._here(g, "lock_not_locked" if lock.pin else "lock_not_set")
        if lock.pin is None:
            return self._pad(g, self._start(g.pid, "set"), note=g.content.note("lock_intro"))
        if inp.arg.strip().lower() == "now":
            return self._lock_now(g, lock)
        return self._settings(g, lock)

    def _button(self, g: GuardContext, lock: Lock, name: str) -> Result:
        if name == "help":
            return g.run(Input.command("help"))
        if name == "forgot":
            entry = self.entries.get(g.pid) or self._start(g.pid, "unlock")
            return self._pad(g, entry, note=g.content.note("lock_forgot"))
        if lock.locked:
            return self._pad(g, self._start(g.pid, "unlock"))
        if name == "back" or lock.pin is None:
            self.entries.pop(g.pid, None)
            return g.run(Input.open())
        if name == "now":
            return self._lock_now(g, lock)
        if name == "change":
            return self._pad(g, self._start(g.pid, "set"))
        if name == "off":
            state.write(g.store, g.pid, Lock(neutral=lock.neutral))
            return self._here(g, "lock_off_done")
        if name.startswith("idle:") and name[5:].isdigit() and int(name[5:]) in IDLE_CHOICES:
            lock.idle_minutes = int(name[5:])
            state.write(g.store, g.pid, lock)
        return self._settings(g, lock)

    def _key(self, g: GuardContext, lock: Lock, key: str) -> Result:
        entry = self.entries.get(g.pid)
        if entry is None:  # a pad from before a restart, or one already done with
            if not lock.locked:
                return g.run(Input.open())
            entry = self._start(g.pid, "unlock")
        if key == "ok":
            return self._submit(g, lock, entry)
        if key == "del":
            entry.digits = entry.digits[:-1]
        elif key.isdigit() and len(key) == 1 and len(entry.digits) < MAX_DIGITS:
            entry.digits += key
        return self._pad(g, entry)

    def _submit(self, g: GuardContext, lock: Lock, entry: Entry) -> Result:
        notes = g.content.note
        if as_pin(entry.digits) is None:
            entry.digits = ""
            return self._pad(g, entry, note=notes("lock_length"))
        prepared: Prepared | None = g.prepared if isinstance(g.prepared, Prepared) else None
        if entry.mode == "set":
            entry.first, entry.digits, entry.mode = entry.digits, "", "confirm"
            return self._pad(g, entry)
        if entry.mode == "confirm":
            if prepared is None or prepared.kind != "new":
                self.entries[g.pid] = Entry("set")
                return self._pad(g, self.entries[g.pid], note=notes("lock_mismatch"))
            self.entries.pop(g.pid, None)
            lock.pin = Stored.new(prepared.salt, prepared.derived, g.store.cipher, g.pid)
            lock.failures, lock.retry_at = 0, None
            state.write(g.store, g.pid, lock)
            minutes = int(lock.idle(self.default_idle).total_seconds() // 60)
            return self._here(g, "lock_set_done", "lock_limits", minutes=minutes)
        return self._try(g, lock, entry, prepared)

    def _try(self, g: GuardContext, lock: Lock, entry: Entry, prepared: Prepared | None) -> Result:
        notes = g.content.note
        entry.digits = ""
        if lock.pin is None:
            self.entries.pop(g.pid, None)
            lock.locked = False
            state.write(g.store, g.pid, lock)
            return g.run(Input.open())
        now = g.now
        if lock.retry_at is not None and now < lock.retry_at:
            return self._pad(g, entry, note=notes("lock_wait", time=self._clock(g, lock.retry_at)))
        if prepared is None or prepared.kind != "try" or not lock.pin.matches(prepared.derived, g.store.cipher, g.pid):
            lock.failures += 1
            if lock.failures >= FREE_TRIES:
                lock.retry_at = now + timedelta(minutes=min(60, 2 ** (lock.failures - FREE_TRIES)))
            state.write(g.store, g.pid, lock)
            if lock.retry_at is not None and now < lock.retry_at:
                return self._pad(g, entry, note=notes("lock_wait", time=self._clock(g, lock.retry_at)))
            return self._pad(g, entry, note=notes("lock_wrong"))
        self.entries.pop(g.pid, None)
        lock.locked = lock.neutral = False
        lock.failures, lock.retry_at = 0, None
        state.write(g.store, g.pid, lock)
        held = self.held.pop(g.pid, None)
        result = g.run(held or Input.open())
        result.replies.insert(0, Reply(notes("lock_unlocked")))
        return result

    def _lock_now(self, g: GuardContext, lock: Lock) -> Result:
        """Locked, and the chat cleared as /exit clears it (the privacy feature's action does that part)."""
        self.entries.pop(g.pid, None)
        lock.locked = lock.neutral = True
        state.write(g.store, g.pid, lock)
        return g.run(Input.command("exit"))

    # ---- holding back what is personal -------------------------------------------------------------

    def hold(self, g: GuardContext, result: Result | None) -> Result | None:
        lock: Lock = g.notes.get("lock") or state.read(g.store, g.pid) or Lock()
        if not lock.locked and not lock.neutral:
            return None
        if result is not None and self._open(g, result):
            # Help (or the neutral start itself) was the first thing shown after /exit: the person is here, and
            # the next step is theirs; "Back to where I was" from help asks for the PIN, not for a second start.
            if lock.neutral:
                lock.neutral = False
                state.write(g.store, g.pid, lock)
            return None
        if lock.neutral:
            lock.neutral = False
            state.write(g.store, g.pid, lock)
            welcome = g.interrupt("welcome")
            if result is not None and not lock.locked:  # what they wrote is kept where they wrote it, unshown
                welcome.answers, welcome.journal = result.answers, result.journal
            return welcome
        note = g.content.note("lock_typed_lost") if g.inp.kind == "text" else None
        if g.inp.kind != "text":
            self._hold_back(g.pid, g.inp)
        if g.outcome is not None and (g.inp.kind == "text" or g.inp.arg):
            g.outcome.delete_incoming = True  # words typed while locked do not stay on screen
        return self._pad(g, self._start(g.pid, "unlock"), note=note)

    def _open(self, g: GuardContext, result: Result) -> bool:
        if PASSING_ACTIONS & set(result.actions):
            return True
        flows = g.content.flows
        shown = [r.flow for r in result.replies if r.is_step]
        return bool(shown) and all(f in flows and flows[f].spec.open_when_locked for f in shown) \
            and not set(result.actions) - PASSING_ACTIONS

    def _hold_back(self, pid: str, inp: Input) -> None:
        self.held[pid] = inp
        self.held.move_to_end(pid)
        while len(self.held) > 10_000:
            self.held.popitem(last=False)

    # ---- after the turn ------------------------------------------------------------------------------

    def after_turn(self, ctx: TurnContext) -> None:
        """/exit locks the chat (when there is a PIN) and owes the next message a neutral start; a crisis or
        check screen shown since means the person is here and talking: no neutral start after it."""
        exited = "exit" in ctx.result.actions
        if not exited and not ctx.outcome.verdict:
            return
        lock = state.read(ctx.store, ctx.pid) or Lock()
        if exited:
            lock.neutral = True
            lock.locked = lock.locked or lock.pin is not None
        elif lock.neutral:
            lock.neutral = False
        else:
            return
        state.write(ctx.store, ctx.pid, lock)

    # ---- screens -----------------------------------------------------------------------------------

    def _start(self, pid: str, mode: str) -> Entry:
        entry = Entry(mode)
        self.entries[pid] = entry
        self.entries.move_to_end(pid)
        while len(self.entries) > 10_000:
            self.entries.popitem(last=False)
        return entry

    def _pad(self, g: GuardContext, entry: Entry, *, note: str | None = None) -> Result:
        """The PIN pad: Telegram draws the number keys for a `pad` step; the console takes the PIN typed."""
        content = g.content
        dots = "● " * len(entry.digits) + "○ " * max(0, 4 - len(entry.digits))
        text = f"{content.note(f'lock_{entry.mode}')}\n\n{dots.strip()}"
        options = [Option(f"{LOCK}help", content.label("lock_help"))]
        if entry.mode == "unlock":
            options.append(Option(f"{LOCK}forgot", content.label("lock_forgot")))
        else:
            options.append(Option(f"{LOCK}back", content.label("resume")))
        return self._screen(g, Reply(text, options=tuple(options), flow="lock", step=entry.mode, kind="pad",
                                     turn=g.person.conversation.turn), note)

    def _settings(self, g: GuardContext, lock: Lock) -> Result:
        content = g.content
        minutes = int(lock.idle(self.default_idle).total_seconds() // 60)
        options = [Option(f"{LOCK}now", content.label("lock_now")),
                   Option(f"{LOCK}change", content.label("lock_change")),
                   *(Option(f"{LOCK}idle:{m}", content.label("lock_idle").format(minutes=m), ticked=m == minutes)
                     for m in IDLE_CHOICES),
                   Option(f"{LOCK}off", content.label("lock_off")),
                   Option(f"{LOCK}back", content.label("resume"))]
        text = f"{content.note('lock_settings', minutes=minutes)}\n\n{content.note('lock_limits')}"
        return self._screen(g, Reply(text, options=tuple(options), flow="lock", step="settings", kind="choice",
                                     turn=g.person.conversation.turn), None)

    @staticmethod
    def _screen(g: GuardContext, reply: Reply, note: str | None) -> Result:
        replies = [Reply(note), reply] if note else [reply]
        return Result(conversation=g.person.conversation, replies=replies)

    @staticmethod
    def _here(g: GuardContext, *keys: str, **values: Any) -> Result:
        """Notes, then the person's step as it was."""
        result = g.run(Input.open())
        text = "\n\n".join(g.content.note(k, **values) if values else g.content.note(k) for k in keys)
        result.replies.insert(0, Reply(text))
        return result

    @staticmethod
    def _clock(g: GuardContext, moment: datetime) -> str:
        return moment.astimezone(g.store.zone_of(g.pid)).strftime("%H:%M")

    # ---- visits ----------------------------------------------------------------------------------

    @staticmethod
    def _note_visit(g: GuardContext, lock: Lock) -> None:
        """A turn after VISIT_GAP away is a visit; the last few are shown behind the lock in /about."""
        visits = [v for v in g.person.profile.get("visits", []) if isinstance(v, str)]
        if visits and lock.last_seen is not None and g.now - lock.last_seen < VISIT_GAP:
            return
        local = g.now.astimezone(g.store.zone_of(g.pid)).isoformat(timespec="minutes")
        visits = [local, *visits][:VISITS_KEPT]
        g.profile["visits"] = visits  # saved with the turn
        g.person.profile["visits"] = visits  # this turn's /about shows it too

