"""The Telegram adapter: the console's twin. An update becomes an `Input`, the service commits the turn,
and only then are the replies sent (HTML, every text escaped, options as inline buttons in console order).

One handler per kind of update; each is one short method. Person ids are `tg:USER_ID`.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from telegram import Bot, BotCommand, BotCommandScopeChat, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes
from telegram.warnings import PTBUserWarning

from bot.core.clock import utcnow
from bot.core.inputs import parse_command
from bot.core.service import Fulcrum, Outcome
from bot.adapters.telegram import render
from bot.adapters.telegram.processor import update_key
from bot.adapters.telegram.ratelimit import set_foreground
from flows.model import Input, Reply

log = logging.getLogger("fulcrum.telegram")
T = TypeVar("T")

NOT_MODIFIED = "message is not modified"
TOLD_GROUP = "tg_private_only:"  # meta key prefix: a group or channel was told once that we only work in private
DELETE_BATCH = 100
DRAWN_KEPT = 2_000  # recent edits remembered, for double taps (seconds apart)
TRACKED_KEPT = 20_000  # message ids this process tracked, remembered so a press does not write its message again
DELETABLE_FOR = 47 * 3600  # Telegram deletes a message only within 48 hours of sending it; an hour to spare
# Sends and edits of text are made with `Bot.do_api_request`, which answers with the Bot API's JSON: PTB would
# otherwise turn every returned message (text, buttons, chat, sender) into objects nobody reads, which cost as
# much CPU as the rest of a turn. PTB asks, with a warning on every such call, that its own methods be used.
JSON_CALLS = ("editMessageText", "sendMessage")


class Blocked(Exception):
    """The person blocked the bot (Telegram answered 403): stop sending to them."""


class TelegramAdapter:
    """Turns updates into service calls and outcomes into Telegram messages.

    Other engineers build on:
      - `adapter.is_busy()` with `await adapter.send_reply(chat_id, reply)`: how lower-priority sends (check-in
        prompts, bot/features/checkins/__init__.py) keep out of the way — they wait while any reply to a person is going out;
        `send_reply` raises `Blocked` when the person blocked the bot. Sends made outside an update's handling
        (a job) wait in the rate limiter behind every reply to a person (bot/adapters/telegram/ratelimit.py).
      - `adapter.application` / `adapter.bot` / `adapter.app` (the Fulcrum service).
    """

    def __init__(self, app: Fulcrum, application: Application, *, clock: Callable[[], datetime] | None = None,
                 retries: int = 3, backoff: float = 0.5):
        self.app = app
        self.application = application
        self.clock = clock or utcnow
        self.retries, self.backoff = retries, backoff
        self.version = app.content.version
        self._foreground = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._told: set[int] = set()
        self._marked: dict[tuple[int, int], None] = {}  # messages already showing their answer (oldest first)
        self._drawn: dict[tuple[int, int], int] = {}  # a hash of what an edit in place last drew there
        self._tracked: dict[tuple[int, int], None] = {}  # (chat, message) ids tracked here, oldest first
        # chat → (message id, turn) of the checklist on screen: ticks edit that message in place
        self._live_checklist: dict[int, tuple[int, int]] = {}
        for method in JSON_CALLS:  # asked for on purpose (see JSON_CALLS)
            warnings.filterwarnings("ignore", message=f"Please use 'Bot.{method}'", category=PTBUserWarning)

    @property
    def bot(self) -> Bot:
        return self.application.bot

    def is_busy(self) -> bool:
        """True while a reply to someone is going out; bulk sends (check-ins) wait for it to clear."""
        return not self._idle.is_set()

    # ---- routing ------------------------------------------------------------------------------------

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update lands here (a TypeHandler) and goes to the one method for its kind."""
        set_foreground()  # this task answers a person: its messages go before check-in reminders
        if update.my_chat_member is not None:
            await self.on_member(update)
            return
        chat = update.effective_chat
        if update.callback_query is not None:
            if chat is None or chat.type != "private":
                await self._answer(update.callback_query)
                return
            await self.on_press(update, update.callback_query)
            return
        if chat is None:
            return
        if chat.type != "private":
            await self.on_group(update)
            return
        if update.edited_message is not None:
            await self.on_edited(update, update.edited_message)
            return
        message = update.message
        if message is None or update.effective_user is None:
            return
        if message.text is not None:
            if message.text.startswith("/"):
                await self.on_command(update, message)
            else:
                await self.on_text(update, message)
        else:
            await self.on_other(update, message)

    @staticmethod
    def pid(update: Update) -> str:
        user = update.effective_user
        assert user is not None
        return f"tg:{user.id}"

    # ---- one method per kind of update ---------------------------------------------------------------

    async def on_command(self, update: Update, message: Message) -> None:
        """/start, /start ID (deep link), /menu, /help, /flow ID and every other command go to the service."""
        await self._turn(update, message, parse_command(message.text or "/"))

    async def on_text(self, update: Update, message: Message) -> None:
        """Free text: an answer, a label typed out, or something the engine asks again about."""
        await self._turn(update, message, Input.text(message.text or ""))

    async def on_other(self, update: Update, message: Message) -> None:
        """Stickers, photos, voice, documents: only text and buttons are understood; a caption is only triaged.
        Service messages (a member joined, the auto-delete timer was set, a pin) are not the person talking."""
        if _is_service_message(message):
            return
        pid, now = self.pid(update), self.clock()
        outcome = self.app.not_text(pid, now, caption=message.caption, chat_id=message.chat_id,
                                    update_id=update.update_id, language_code=_language_code(update))
        if not outcome.duplicate:
            await self._after(pid, message.chat_id, outcome, now, incoming=message.message_id)

    async def on_edited(self, update: Update, message: Message) -> None:
        """An edit never moves a flow; it is only triaged, and answered when it signals danger."""
        text = message.text or message.caption
        if not text or update.effective_user is None:
            return
        pid, now = self.pid(update), self.clock()
        outcome = self.app.triage_only(pid, text, now, chat_id=message.chat_id, update_id=update.update_id,
                                       language_code=_language_code(update))
        if outcome.verdict and not outcome.duplicate:
            await self._after(pid, message.chat_id, outcome, now)

    async def on_press(self, update: Update, query: CallbackQuery) -> None:
        """A button: stale (old turn or older content) is passed as such; the engine answers with the current step."""
        # Answer first: until then the person's button shows a spinner, and a query not answered within
        # seconds expires; what the press does next must not hold that up.
        await self._answer(query)
        message = query.message
        if not isinstance(message, Message) or update.effective_user is None:
            return
        pid, now, chat_id = self.pid(update), self.clock(), message.chat_id
        inp = self._press_input(render.decode(query.data))
        inp = self._tick_behind(chat_id, message.message_id, inp)
        outcome = self.app.handle(pid, inp, now, chat_id=chat_id, update_id=update.update_id,
                                  prepared=await self._prepare(pid, inp), language_code=_language_code(update))
        if outcome.duplicate:
            return
        await self._chat_commands(chat_id, outcome)
        # A press the engine did not take (an old turn; someone no longer known, sent to onboarding) leaves its
        # message alone: it may already be gone, and what it showed is not what was answered.
        await self._delete_saved(chat_id, outcome, None)  # e.g. "Keep it in my journal": the kept text goes
        if outcome.delete_pressed and not outcome.stale:  # e.g. "I've saved it" under a PDF: the file goes
            await self._delete_saved(chat_id, Outcome(pid, delete_saved=[(chat_id, message.message_id)]), None)
            await self._after(pid, chat_id, outcome, now)
            return
        if outcome.stale or self._special(outcome) or not outcome.replies:
            await self._after(pid, chat_id, outcome, now)
            return
        # The pressed message becomes the first reply (one edit, the only message-budget call of most presses;
        # the question does not linger in the chat). Only when that cannot be done (a picture, a long text,
        # a message too old to be deleted by /exit later) is it marked with the answer and the reply sent anew.
        if await self._edit_in_place(pid, message, outcome.replies[0], now):
            await self._show(pid, chat_id, outcome.replies[1:], now)
            return
        await self._mark_chosen(pid, message, query.data, hide=outcome.hide_answer)
        await self._after(pid, chat_id, outcome, now)

    async def on_group(self, update: Update) -> None:
        """Groups and channels: said once per chat, ever, that we only work in private; nothing about members is kept."""
        chat = update.effective_chat
        if chat is None or update.effective_message is None or update.edited_message or update.edited_channel_post:
            return
        if chat.id in self._told or self._was_told(chat.id):
            self._told.add(chat.id)
            return
        self._told.add(chat.id)
        with self.app.store.transaction():
            self.app.store.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, '1')", (f"{TOLD_GROUP}{chat.id}",))
        try:
            await self._call(lambda: self.bot.send_message(chat.id, render.escape(self.app.content.note("private_only")),
                                                           parse_mode=ParseMode.HTML))
        except (Forbidden, BadRequest) as exc:
            log.info("update %s: group note not sent (%s)", update.update_id, type(exc).__name__)

    async def on_member(self, update: Update) -> None:
        """Blocked (kicked) → inactive, which also stops schedules; member again → active."""
        member = update.my_chat_member
        if member is None or member.chat.type != "private" or update.effective_user is None:
            return
        status = member.new_chat_member.status
        if status in ("kicked", "left"):
            self._set_active(self.pid(update), False)
        elif status == "member":
            self._set_active(self.pid(update), True)

    # ---- turns --------------------------------------------------------------------------------------

    async def _turn(self, update: Update, message: Message, inp: Input) -> None:
        pid, now = self.pid(update), self.clock()
        outcome = self.app.handle(pid, inp, now, chat_id=message.chat_id, update_id=update.update_id,
                                  message_id=message.message_id, prepared=await self._prepare(pid, inp),
                                  language_code=_language_code(update))
        if outcome.duplicate:
            return
        await self._chat_commands(message.chat_id, outcome)
        await self._after(pid, message.chat_id, outcome, now, incoming=message.message_id)

    async def _chat_commands(self, chat_id: int, outcome: Outcome) -> None:
        """A language chosen with /language: this chat's command menu in it (BotCommandScopeChat). Only the
        descriptions change; a failure is logged and the turn stands (the menu keeps the Telegram language's)."""
        if not outcome.language_changed or outcome.lang not in self.app.languages:
            return
        listed = self.app.languages[outcome.lang].common.listed_commands
        commands = [BotCommand(name, description) for name, description in listed.items()]
        try:
            await self._call(lambda: self.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id)))
        except (Forbidden, BadRequest, NetworkError) as exc:
            log.warning("the chat's command menu was not set (%s)", type(exc).__name__)

    async def _prepare(self, pid: str, inp: Input) -> Any:
        """The slow part of a turn (hashing a PIN) in a worker thread, so other people's turns go on meanwhile."""
        work = self.app.prepare(pid, inp)
        return await asyncio.to_thread(work) if work is not None else None

    def _press_input(self, press: render.Press | None) -> Input:
        """An option id, or "#N" (the N-th option on screen), which the service resolves inside the turn."""
        if press is None:
            return Input.option("", turn=-1)
        if press.version != self.version[:6]:
            return Input.option(press.option, turn=-1)  # drawn from other content: stale whatever its turn
        return Input.option(press.option, turn=press.turn)

    def _tick_behind(self, chat_id: int, message_id: int, inp: Input) -> Input:
        """A tick on the checklist on screen, tapped before the previous tick's edit arrived: its keyboard is a
        turn behind, but it means this checklist, so it counts at the turn we last drew there (Done, Back and
        Menu stay strict). The engine still checks the option is on the step; if anything else moved the
        person since, the turn no longer matches and the press is stale as usual."""
        live = self._live_checklist.get(chat_id)
        if (live is None or live[0] != message_id or inp.turn is None or not 0 <= inp.turn < live[1]
                or inp.value in ("done", "back", "menu", "resume")):
            return inp
        return Input.option(inp.value, turn=live[1])

    @staticmethod
    def _special(outcome: Outcome) -> bool:
        return bool(outcome.delete_messages) or outcome.erased or "exit" in outcome.actions

    async def _after(self, pid: str, chat_id: int, outcome: Outcome, now: datetime, *,
                     incoming: int | None = None) -> None:
        """After the commit: for /exit and /delete first clear the chat (the ids come in
        `Outcome.delete_messages`, collected by bot/features/privacy.py before any row is gone, plus the person's own
        command message), then send the replies."""
        incoming_ids = [incoming] if incoming is not None else []
        if self._special(outcome):
            # The chat's ids are forgotten in the store now: a message left on screen is tracked again if pressed.
            for key in [k for k in self._tracked if k[0] == chat_id]:
                del self._tracked[key]
            ids = list(outcome.delete_messages)
            if "exit" in outcome.actions:  # no action handler registered: collect them here
                with self.app.store.transaction():
                    ids += self.app.store.tracked_messages(pid, now)
                    self.app.store.forget_messages(pid)
            await self.delete_messages([*ids, *((chat_id, m) for m in incoming_ids)])
            incoming_ids = []
        else:
            await self._delete_saved(chat_id, outcome, incoming)
        await self._show(pid, chat_id, outcome.replies, now, incoming=incoming_ids)

    async def _delete_saved(self, chat_id: int, outcome: Outcome, incoming: int | None) -> None:
        """The person's messages whose words were just saved (a journal note) leave the chat, now that the save
        is committed. A failure is logged by its class only (never the text) and the save stands; the ids stay
        tracked, so /exit tries again."""
        ids = list(outcome.delete_saved)
        if outcome.delete_incoming and incoming is not None:
            ids.append((chat_id, incoming))
        outcome.delete_saved, outcome.delete_incoming = [], False  # done once, whichever path calls it
        if not ids:
            return
        try:
            await self.delete_messages(ids)
        except Exception as exc:  # noqa: BLE001 - a network failure after retries: the note is saved all the same
            log.warning("a saved note's message was not deleted from the chat (%s)", type(exc).__name__)

    async def _show(self, pid: str, chat_id: int, replies: Sequence[Reply], now: datetime, *,
                    incoming: Iterable[int] = ()) -> None:
        self._foreground += 1
        self._idle.clear()
        sent: list[int] = list(incoming)
        expiring: list[tuple[list[int], float]] = []  # a reply that should leave the chat (a safety plan)
        try:
            for reply in replies:
                ids = await self.send_reply(chat_id, reply)
                if reply.expires_after is not None:
                    expiring.append((ids, reply.expires_after))
                else:
                    sent += ids
        except Blocked:
            self._set_active(pid, False)
        finally:
            self._foreground -= 1
            if self._foreground == 0:
                self._idle.set()
            self._track(pid, chat_id, sent, now)
            for ids, seconds in expiring:  # due while Telegram still lets a bot delete it
                self._track(pid, chat_id, ids, now, expires_at=now + timedelta(seconds=min(seconds, DELETABLE_FOR)))

    # ---- sending ------------------------------------------------------------------------------------

    async def send_reply(self, chat_id: int, reply: Reply) -> list[int]:
        """Send one reply (text in pieces under the limit, a photo or a document) and return the message ids."""
        markup = render.keyboard(reply, self.version)
        pieces = render.split_text(reply.text)
        ids: list[int] = []
        if reply.is_step:
            self._live_checklist.pop(chat_id, None)
        if reply.draw is not None and reply.image is None:
            reply = replace(reply, image=await asyncio.to_thread(reply.draw), draw=None)
        if reply.document_later is not None and reply.document is None:  # a PDF: made in a worker thread
            later = reply.document_later
            reply = replace(reply, document=(later.name, await asyncio.to_thread(later.make)), document_later=None)
        if reply.image is not None or reply.document is not None:
            caption = pieces[0] if len(pieces) == 1 and len(pieces[0]) <= render.CAPTION_LIMIT else None
            msg = await self._call(lambda: self._send_media(chat_id, reply, caption, markup if caption else None))
            ids.append(msg.message_id)
            if caption is not None:
                return ids
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            ids.append(await self._call(lambda p=piece, k=(markup if last else None): self._send_text(
                chat_id, render.escape(p), k)))
        if reply.is_step and reply.kind == "checklist" and markup is not None:
            self._live_checklist[chat_id] = (ids[-1], reply.turn)
        return ids

    async def _send_media(self, chat_id: int, reply: Reply, caption: str | None,
                          markup: InlineKeyboardMarkup | None) -> Message:
        text = render.escape(caption) if caption else None
        if reply.image is not None:
            return await self.bot.send_photo(chat_id, reply.image, caption=text, parse_mode=ParseMode.HTML,
                                             reply_markup=markup)
        name, data = reply.document  # type: ignore[misc]
        return await self.bot.send_document(chat_id, data, filename=name, caption=text,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)

    async def delete_messages(self, ids: Sequence[tuple[int, int]]) -> None:
        """deleteMessages in batches of ≤100 per chat; messages Telegram will not delete (too old) are skipped."""
        by_chat: dict[int, list[int]] = {}
        for chat_id, mid in ids:
            self._tracked.pop((chat_id, mid), None)  # forgotten in the store by whoever deletes it (or about to be)
            if mid not in by_chat.setdefault(chat_id, []):
                by_chat[chat_id].append(mid)
        for chat_id, mids in by_chat.items():
            mids.sort()
            for i in range(0, len(mids), DELETE_BATCH):
                batch = mids[i:i + DELETE_BATCH]
                try:
                    await self._call(lambda b=batch: self.bot.delete_messages(chat_id, b))
                except (BadRequest, Blocked) as exc:
                    log.info("deleteMessages refused for %d messages (%s)", len(batch), type(exc).__name__)

    async def _mark_chosen(self, pid: str, message: Message, data: str | None, *, hide: bool = False) -> None:
        """The pressed question keeps its text, loses its buttons and shows the answer chosen; with `hide` (a
        question about danger) it only loses its buttons: nothing on screen says what was answered."""
        label = None
        if message.reply_markup is not None:
            for row in message.reply_markup.inline_keyboard:
                for button in row:
                    if button.callback_data == data:
                        label = button.text
        if label is None:
            return
        key = (message.chat_id, message.message_id)
        if key in self._marked:  # a double tap: both presses carry the message as it was, buttons and all
            return
        self._marked[key] = None
        self._drawn.pop(key, None)
        if len(self._marked) > 10_000:
            del self._marked[next(iter(self._marked))]
        if hide:
            await self._edit(pid, lambda: message.edit_reply_markup(None))
        elif message.text is not None:
            text = render.chosen(render.escape(message.text), label)
            if len(text) <= render.TEXT_LIMIT:
                await self._edit(pid, lambda: self._edit_text(message, text, None))
        elif message.caption is not None:
            text = render.chosen(render.escape(message.caption), label)
            if len(message.caption) + len(label) + 4 <= render.CAPTION_LIMIT:
                await self._edit(pid, lambda: message.edit_caption(text, parse_mode=ParseMode.HTML, reply_markup=None))
        else:
            await self._edit(pid, lambda: message.edit_reply_markup(None))

    async def _edit_in_place(self, pid: str, message: Message, reply: Reply, now: datetime) -> bool:
        """The pressed message shows `reply` (text and buttons): the next step, or a checklist's new marks.
        False when it has to be sent anew: a picture or a document, text longer than one message, a pressed
        message that is not text, or one sent so long ago that /exit could no longer delete what it would show."""
        if (reply.image is not None or reply.document is not None or reply.draw is not None
                or reply.document_later is not None
                or reply.expires_after is not None  # a message that will leave the chat is always a new one
                or message.text is None or not self._deletable(message, now)):
            return False
        pieces = render.split_text(reply.text)
        if len(pieces) != 1:
            return False
        markup = render.keyboard(reply, self.version)
        chat_id, key = message.chat_id, (message.chat_id, message.message_id)
        drawn = hash((pieces[0], reply.turn, reply.options))  # the keyboard follows from these (and the version)
        # Already showing this (a step that stays the same; a double tap on one): no call at all.
        same = self._drawn.get(key) == drawn or self._shows(message, pieces[0], markup)
        self._foreground += 1
        self._idle.clear()
        try:
            done = same or await self._edit(pid, lambda: self._edit_text(message, render.escape(pieces[0]), markup))
            if not done:
                return False
            self._drawn[key] = drawn
            if len(self._drawn) > DRAWN_KEPT:
                del self._drawn[next(iter(self._drawn))]
            if reply.is_step:
                self._live_checklist.pop(chat_id, None)
                if reply.kind == "checklist" and markup is not None:
                    self._live_checklist[chat_id] = (message.message_id, reply.turn)
            # /exit deletes what is on screen: tracked when it was sent, and again now unless this process
            # tracked it (a message sent before a restart, or whose id /exit forgot but could not delete)
            if key not in self._tracked:
                self._track(pid, chat_id, [message.message_id], now)
            return True
        finally:
            self._foreground -= 1
            if self._foreground == 0:
                self._idle.set()

    @staticmethod
    def _shows(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        """The pressed message, as it was pressed, already shows this text and these buttons."""
        if message.text != text:
            return False
        shown = message.reply_markup.to_dict() if message.reply_markup is not None else None
        return shown == (markup.to_dict() if markup is not None else None)

    @staticmethod
    def _deletable(message: Message, now: datetime) -> bool:
        sent = message.date
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=timezone.utc)
        return (now - sent).total_seconds() < DELETABLE_FOR

    async def _edit(self, pid: str, edit: Callable[[], Awaitable[Any]]) -> bool:
        try:
            await self._call(edit)
        except BadRequest as exc:
            if NOT_MODIFIED in str(exc):
                return True  # the message already shows this: that is what we wanted
            log.info("edit refused (%s)", type(exc).__name__)
            return False
        except Blocked:
            self._set_active(pid, False)
            return True
        return True

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await self._call(query.answer)
        except (BadRequest, Blocked) as exc:  # too old, or already answered: nothing to wait for any more
            log.info("callback query not answered (%s)", type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - timed out or failed: the spinner stops by itself; the turn goes on
            log.warning("callback query not answered (%s)", type(exc).__name__)

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call; network errors and timeouts retried with backoff (429s are the rate limiter's).

        403 Forbidden becomes `Blocked`. A retried send that had in fact arrived shows twice: at worst a
        repeated reply, never a lost answer.
        """
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return await make()
            except Forbidden as exc:
                raise Blocked(type(exc).__name__) from None
            except (BadRequest, RetryAfter):
                raise
            except (TimedOut, NetworkError) as exc:
                if attempt == self.retries:
                    raise
                log.info("Bot API call failed (%s); retry %d in %.1fs", type(exc).__name__, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _json_call(self, method: str, params: dict[str, Any]) -> Any:
        """A JSON_CALLS method through the same request, rate limiter and errors as PTB's own; its answer as
        the Bot API's JSON (a dict), not as PTB objects."""
        return await self.bot.do_api_request(method, api_kwargs=params)

    async def _send_text(self, chat_id: int, html: str, markup: InlineKeyboardMarkup | None) -> int:
        """sendMessage; the new message's id."""
        params: dict[str, Any] = {"chat_id": chat_id, "text": html, "parse_mode": ParseMode.HTML}
        if markup is not None:
            params["reply_markup"] = markup
        return int((await self._json_call("sendMessage", params))["message_id"])

    async def _edit_text(self, message: Message, html: str, markup: InlineKeyboardMarkup | None) -> None:
        """editMessageText of a message in a chat (buttons removed when `markup` is None, as PTB does)."""
        params: dict[str, Any] = {"chat_id": message.chat_id, "message_id": message.message_id, "text": html,
                                  "parse_mode": ParseMode.HTML}
        if markup is not None:
            params["reply_markup"] = markup
        await self._json_call("editMessageText", params)

    # ---- the store ----------------------------------------------------------------------------------

    def _track(self, pid: str, chat_id: int, ids: Iterable[int], now: datetime, *,
               expires_at: datetime | None = None) -> None:
        ids = list(ids)
        if not ids:
            return
        for mid in ids:
            self.app.store.track_message(pid, chat_id, mid, now, expires_at=expires_at)
            self._tracked[(chat_id, mid)] = None
        while len(self._tracked) > TRACKED_KEPT:
            del self._tracked[next(iter(self._tracked))]

    def _set_active(self, pid: str, active: bool) -> None:
        with self.app.store.transaction():
            self.app.store.set_active(pid, active)

    def _was_told(self, chat_id: int) -> bool:
        row = self.app.store.execute("SELECT 1 FROM meta WHERE key = ?", (f"{TOLD_GROUP}{chat_id}",)).fetchone()
        return row is not None


# What a person sends: everything else on a Message is something Telegram reports about the chat.
_CONTENT = ("text", "caption", "sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation",
            "contact", "location", "venue", "poll", "dice", "game", "story", "invoice", "paid_media")


def _is_service_message(message: Message) -> bool:
    return not any(getattr(message, name, None) for name in _CONTENT)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Errors name the update id and the person id only: never the update itself, its text or callback data."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    # The class and the frames, not the message: an exception's text could quote what someone wrote.
    frames = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
    log.error("update %s person %s failed: %s\n%s", update_id, update_key(update),
              type(error).__name__ if error else "?", frames.rstrip())


def _language_code(update: Update) -> str | None:
    """Telegram's language for the person (an IETF tag such as "es" or "pt-br"); the service uses it only for
    someone who has no language yet."""
    user = update.effective_user
    return user.language_code if user is not None else None
