"""Features: each module or package here offers `feature() -> Feature` (bot.core.feature) and nothing else
registers anything. `bot.compose` lists them.

May import bot.core, bot.store and flows/; never another feature, an adapter or the command line.
    privacy      /exit, /delete, /export, and the key check and rekeying they rely on
    journal      /journal: reflections and notes, paged; deleting an entry
    progress/    /progress (report, chart) and the weekly summary
    checkins/    /checkins settings, /checkin, follow-ups, and the sweep that sends reminders
    signal/      the safety signal: set when the crisis screen opens, or by a content action; cleared in /about
    retention    the daily job: erase people inactive past the retention period, forget old ids
"""
