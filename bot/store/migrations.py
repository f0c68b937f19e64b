"""The database schema, as named migrations (sqlite-utils Migrations). Add new ones at the end; never edit old ones."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("fulcrum")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE people (
            id TEXT PRIMARY KEY,            -- 'tg:<telegram user id>' or 'cli:<name>'
            chat_id INTEGER,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            agreed_at TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            profile TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL DEFAULT '{}',
            content_version TEXT
        );
        CREATE INDEX people_last_seen ON people(last_seen);
        CREATE TABLE answers (
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            flow TEXT NOT NULL,
            step TEXT NOT NULL,
            value TEXT NOT NULL,
            key_id TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (person, flow, step)
        );
        CREATE TABLE journal (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            flow TEXT NOT NULL,
            step TEXT NOT NULL,
            text TEXT NOT NULL,
            key_id TEXT
        );
        CREATE INDEX journal_person ON journal(person, created_at);
        CREATE TABLE completions (
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            flow TEXT NOT NULL,
            completed_at TEXT NOT NULL
        );
        CREATE INDEX completions_person ON completions(person);
        CREATE TABLE checkins (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            rating INTEGER,
            kind TEXT NOT NULL DEFAULT 'checkin',
            flow TEXT
        );
        CREATE INDEX checkins_person ON checkins(person, at);
        CREATE TABLE schedules (
            person TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
            frequency TEXT NOT NULL DEFAULT 'off',
            local_time TEXT NOT NULL DEFAULT '19:00',
            tz TEXT NOT NULL DEFAULT 'UTC',
            quiet_days TEXT NOT NULL DEFAULT '[]',
            next_due TEXT,
            paused_until TEXT,
            weekly_summary INTEGER NOT NULL DEFAULT 0,
            next_summary TEXT,
            pending_slot TEXT,
            last_slot TEXT
        );
        CREATE INDEX schedules_due ON schedules(next_due) WHERE next_due IS NOT NULL;
        CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            flow TEXT NOT NULL,
            due_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX followups_due ON followups(due_at) WHERE sent_at IS NULL;
        CREATE TABLE messages (
            chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, message_id)
        );
        CREATE INDEX messages_person ON messages(person);
        CREATE INDEX messages_sent_at ON messages(sent_at);
        CREATE TABLE processed_updates (
            update_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL
        );
        CREATE INDEX processed_updates_at ON processed_updates(at);
        CREATE TABLE stats (
            week TEXT NOT NULL,
            metric TEXT NOT NULL,
            flow TEXT NOT NULL DEFAULT '',
            count INTEGER NOT NULL DEFAULT 0,
            total REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (week, metric, flow)
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        """
    )


@migrations()
def m002_checkin_summaries_due(db: Database) -> None:
    """The sweep selects weekly summaries by due time, like check-ins: an index, partial like schedules_due."""
    db.executescript(
        "CREATE INDEX IF NOT EXISTS schedules_summary ON schedules(next_summary) WHERE next_summary IS NOT NULL;"
    )


@migrations()
def m003_fewer_indexes_on_the_hot_path(db: Database) -> None:
    """Every turn rewrote these indexes, yet only the daily clean-up reads them (a scan suits it): dropping
    them saves page writes on each commit. Pruning and purging filter on the same columns without them."""
    db.executescript(
        """
        DROP INDEX IF EXISTS people_last_seen;
        DROP INDEX IF EXISTS processed_updates_at;
        DROP INDEX IF EXISTS messages_sent_at;
        """
    )


@migrations()
def m004_dead_letters(db: Database) -> None:
    """Updates that failed before their turn was committed, retried and still failing: kept here instead of
    being acknowledged and gone. `payload` is the update's JSON, encrypted like every other personal text
    (`key_id` NULL when no FULCRUM_DATA_KEY is set); the other columns are not personal (kind of update,
    exception class, attempts) and are what `fulcrum status` counts."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS dead_letters (
            id INTEGER PRIMARY KEY,
            update_id INTEGER NOT NULL UNIQUE,
            person TEXT NOT NULL,           -- 'tg:<user id>', 'chat:<id>' or '-' (bot/adapters/telegram/processor.py)
            kind TEXT NOT NULL,             -- e.g. 'message', 'command', 'callback_query'
            error TEXT NOT NULL,            -- the exception's class name only, never its message
            attempts INTEGER NOT NULL,
            at TEXT NOT NULL,
            payload TEXT NOT NULL,
            key_id TEXT
        );
        CREATE INDEX IF NOT EXISTS dead_letters_person ON dead_letters(person);
        """
    )


@migrations()
def m005_everything_personal_sealed(db: Database) -> None:
    """With a key, everything personal is encrypted, not only free text. A person's answers and the topics they
    finished move onto their `people` row as one encrypted value each (one decryption per turn instead of one per
    answer), sealed with the state and profile under `people.key_id`; NULL there means not yet moved, read from
    the `answers` and `completions` rows until the person's next turn or `fulcrum rekey`. Check-ins, follow-ups
    and completions get a key id for their encrypted rating and flow; rows with NULL are plaintext."""
    db.executescript(
        """
        ALTER TABLE people ADD COLUMN answers TEXT;
        ALTER TABLE people ADD COLUMN completed TEXT;
        ALTER TABLE people ADD COLUMN key_id TEXT;
        ALTER TABLE checkins ADD COLUMN key_id TEXT;
        ALTER TABLE followups ADD COLUMN key_id TEXT;
        ALTER TABLE completions ADD COLUMN key_id TEXT;
        """
    )


@migrations()
def m006_locks(db: Database) -> None:
    """The lock (bot/features/lock): a PIN kept as scrypt parameters, salt and an encrypted hash; whether the
    chat is locked, or owes a neutral start after /exit; the idle time chosen; wrong tries and when the next
    is allowed (a stored time, never a sleep)."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS locks (
            person TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
            pin TEXT,                       -- scrypt parameters and salt, as JSON
            pin_hash TEXT,                  -- the hash, encrypted with the data key (field 'lock_pin')
            key_id TEXT,
            locked INTEGER NOT NULL DEFAULT 0,
            neutral INTEGER NOT NULL DEFAULT 0,
            idle_minutes INTEGER,
            failures INTEGER NOT NULL DEFAULT 0,
            retry_at TEXT
        );
        """
    )


@migrations()
def m007_records(db: Database) -> None:
    """A person's record of what happened (bot/features/record): one row an entry. Only the row id, the person
    and when it was written down are plain (to list, page and erase); everything else — when it happened, what,
    where, who saw, how it affected them, where evidence is kept, when it was edited — is one value sealed with
    the data key (field 'record.entry'), `key_id` NULL when no FULCRUM_DATA_KEY is set."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS records (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            body TEXT NOT NULL,
            key_id TEXT
        );
        CREATE INDEX IF NOT EXISTS records_person ON records(person, created_at);
        """
    )


@migrations()
def m008_expiring_messages(db: Database) -> None:
    """A message that should leave the chat after a while (the safety plan shown by /plan): when it is due, beside
    its id in `messages`. A periodic job (bot/features/privacy.py) deletes the due ones; the partial index keeps
    that query off every other message."""
    db.executescript(
        """
        ALTER TABLE messages ADD COLUMN expires_at TEXT;
        CREATE INDEX IF NOT EXISTS messages_expiring ON messages(expires_at) WHERE expires_at IS NOT NULL;
        """
    )
