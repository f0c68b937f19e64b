"""Adapters: each turns what arrives (a console line, a Telegram update) into an `Input`, calls the service,
and renders the outcome. They translate; they do not decide.

May import bot.core, bot.store (the type the service holds) and flows/; never a feature or the command line.
    console.py   `fulcrum chat`: plain text, `[N] label` options
    telegram/    python-telegram-bot: updates in, acknowledged only after the commit; replies out
"""
