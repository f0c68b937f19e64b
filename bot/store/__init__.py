"""Storage: the SQLite store (sqlite-utils, one transaction per turn), its named migrations, and encryption.

May import bot.core and flows/ only: never a feature, an adapter or the command line.
    store.py       Store: people, answers, journal, figures, update and message ids; `zone_of` for dates
    migrations.py  the schema as named, ordered migrations (sqlite-utils Migrations)
    crypto.py      Cipher: AES-GCM with the person and field as associated data, keys by id for rekeying
"""
