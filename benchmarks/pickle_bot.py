"""The baseline for benchmarks/crash.py: the same little journey written the way PTB's examples write it.

A ConversationHandler (agree → menu → /journal TEXT notes and button presses), PTB's stock Updater
(`run_polling`, which acknowledges updates as soon as it has fetched them) and PicklePersistence with its
default flush interval (60 s). Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, PICKLE_PATH.

    python benchmarks/pickle_bot.py   # normally started (and killed) by benchmarks/crash.py
"""

from __future__ import annotations

import html
import os
import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, ConversationHandler,
                          PicklePersistence)

AGREE, MENU = range(2)
TOPICS = ["Recognizing the signs", "Where it comes from", "Talking about it", "Boundaries"]


def menu_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=f"topic:{i}")] for i, t in enumerate(TOPICS)])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/start: the notice and one button to agree."""
    await update.message.reply_text("Hello. Notes stay here.", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("I understand, let's begin", callback_data="agree")]]))
    return AGREE


async def agree(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Answer the press first (the spinner), then show the menu."""
    await update.callback_query.answer()
    context.user_data["agreed"] = True
    await update.effective_chat.send_message("Where would you like to start?", reply_markup=menu_markup())
    return MENU


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text("Where would you like to start?", reply_markup=menu_markup())
    return MENU


async def journal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/journal TEXT: kept in user_data (persisted by PicklePersistence when it next flushes)."""
    text = " ".join(context.args or [])
    if text:
        context.user_data.setdefault("journal", []).append(text)
    await update.message.reply_text(f"Saved to your journal: {html.escape(text)}")
    return MENU


async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    await query.answer()
    context.user_data.setdefault("topics", []).append(query.data)
    await query.edit_message_reply_markup(None)
    await update.effective_chat.send_message("A first question about this topic.", reply_markup=menu_markup())
    return MENU


def main() -> None:
    persistence = PicklePersistence(filepath=os.environ["PICKLE_PATH"])
    application = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"])
                   .base_url(os.environ["TELEGRAM_API_BASE_URL"]).persistence(persistence).build())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per_message=False with CallbackQueryHandler: intended
        application.add_handler(ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={AGREE: [CallbackQueryHandler(agree, pattern="^agree$")],
                    MENU: [CommandHandler("journal", journal), CommandHandler("menu", menu),
                           CallbackQueryHandler(topic)]},
            fallbacks=[CommandHandler("start", start)], name="journey", persistent=True))
    application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
