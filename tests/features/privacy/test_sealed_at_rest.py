"""With FULCRUM_DATA_KEY set, nothing personal is readable in the database file or its WAL; deleting a journal
entry deletes the words everywhere.

The same journey is walked twice, without a key and with one: every topic, a check-in with its rating and note,
a crisis message typed at a reflection, a journal note. The file and its -wal are then read as bytes, before
any checkpoint, for what the person chose, typed and triggered. Without a key every token must be found (so
the tokens are real and the test can fail); with a key none may be.
"""

from __future__ import annotations

import json
from itertools import count

import pytest

from bot.ops.stats import weekly_stats
from bot.store.crypto import new_key
from tests.conftest import make_app
from tests.support.people import WAYOUTS, agree_and_reflect, agreed, raw_bytes

CRISIS = "he choked me last night, Vantreel saw it"
NOTE = "Quorvish note: I hid the car keys again"


def _options(chat) -> list[str]:
    return [o.id for o in chat.last.options if o.id not in WAYOUTS and not o.id.startswith("/")]


def _walk_topic(chat, flow: str, typed: count) -> None:
    """Through one topic: first options, two ticks at a checklist, a unique sentence at every text step."""
    chat.send(f"/flow {flow}")
    for _ in range(60):
        last = chat.last
        if last.flow != flow or last.kind == "summary":
            return
        if last.kind in ("reflection", "input"):
            chat.send(f"Zembrik{next(typed)} wrote this down")
        elif last.kind == "checklist":
            for option in _options(chat)[:2]:
                if option != "done":
                    chat.press(option)
            chat.press("done")
        elif _options(chat):
            chat.press(_options(chat)[0])
        else:
            return
    raise AssertionError(f"{flow}: no end reached from {chat.at}")


def journey(app) -> tuple[object, set[str]]:
    """The journey; returns the chat and the categories and kinds triage found in the crisis message."""
    chat = agreed(app, "walker")
    typed = count(1)
    for flow in [f.id for f in app.content.menu_flows()]:
        _walk_topic(chat, flow, typed)
    chat.send("/checkin")
    chat.press(_options(chat)[3])  # a rating
    if chat.last.kind == "reflection":
        chat.send(f"Zembrik{next(typed)} after the check-in")
    chat.send("/flow signs")
    while chat.last.kind != "reflection":
        chat.press(_options(chat)[0]) if chat.last.kind != "checklist" else chat.press("done")
    chat.send(CRISIS)
    assert chat.last.flow == "crisis"
    chat.send(f"/journal {NOTE}")
    verdict = app.triage.assess(CRISIS)
    return chat, {*verdict.categories, *verdict.kinds}


def tokens(app, chat, fired: set[str]) -> dict[str, bytes]:
    """What must not be readable, as it would be stored in the clear.

    Option ids are searched in their JSON form ("fear", with the quotes): quotes never occur in base64 or hex,
    so ciphertext cannot match one by accident; ids of 1-3 letters and ids that are words of the schema (table
    and column names) are skipped all the same. Category names and typed text are searched bare: they are
    long (8+ letters) and mixed with spaces, far beyond what random base64 matches.
    """
    schema = " ".join(r[0] or "" for r in app.store.execute("SELECT sql FROM sqlite_master")).lower()
    out: dict[str, bytes] = {}
    for flow, steps in app.store.load(chat.pid).answers.items():
        for value in steps.values():
            for v in value if isinstance(value, list) else [value]:
                if not isinstance(v, str):
                    continue
                if " " in v:  # typed
                    out[f"typed {v!r}"] = v.encode()
                elif len(v) > 3 and v.lower() not in schema:
                    out[f"option {flow}.{v}"] = json.dumps(v).encode()
    for name in fired:
        assert len(name) >= 8
        out[f"category {name}"] = name.encode()
    for flow in app.store.load(chat.pid).completed:
        if len(flow) >= 6 and flow.lower() not in schema:  # finished topics: "walk_away" beside a person says much
            out[f"topic {flow}"] = flow.encode()
    out["journal note"] = NOTE.encode()
    return out


@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "key"])
def test_nothing_personal_is_readable_in_the_file_with_a_key(store_path, content, keyed):
    app = make_app(store_path, content, **({"data_key": new_key()} if keyed else {}))
    chat, fired = journey(app)
    assert {"violence", "strangulation"} <= fired
    found = tokens(app, chat, fired)
    assert sum(k.startswith("option") for k in found) >= 20 and sum(k.startswith("typed") for k in found) >= 8
    assert sum(k.startswith("topic") for k in found) >= 6
    assert any(k == f"typed {CRISIS!r}" for k in found)
    ratings = app.store.execute("SELECT rating FROM checkins WHERE kind = 'checkin'").fetchall()
    assert len(ratings) == 1
    data = raw_bytes(store_path)  # before any checkpoint: the WAL still holds every turn
    readable = sorted(name for name, token in found.items() if token in data)
    if keyed:
        assert readable == []
        assert not isinstance(ratings[0][0], int)
        # the weekly figures' names are keyed tags, and `fulcrum stats` reads them back by tagging known names
        week = weekly_stats(app.store, content, chat.now, weeks=1)["weeks"][0]
        assert week["flows"]["walk_away"]["finished"] == "<5" and week["crisis"] == "<5"
    else:
        assert readable == sorted(found)  # every token is really there in the clear, so the check above can fail
    app.store.close()


def test_a_deleted_journal_entry_leaves_no_trace(store_path, content, now):
    """Without a key (the worst case): the words go from the journal, the answer they came from, /export, the
    database file and its WAL."""
    words = "Murlowe shouted at the dinner table"
    app = make_app(store_path, content)
    chat = agree_and_reflect(app, "d", now, words)
    flow, step = app.store.journal(chat.pid)[0]["flow"], app.store.journal(chat.pid)[0]["step"]
    assert app.store.load(chat.pid).answers[flow][step] == words
    assert words.encode() in raw_bytes(store_path)
    chat.send("/journal")
    chat.press("remove")
    chat.press("e1")
    assert "Deleted." in chat.press("delete")
    assert app.store.journal(chat.pid) == []
    assert step not in app.store.load(chat.pid).answers.get(flow, {})
    chat.send("/export")
    chat.press("send")
    body = next(r.document[1] for r in chat.outcome.replies if r.document is not None)
    assert b"Murlowe" not in body
    assert b"Murlowe" not in raw_bytes(store_path)
    app.store.close()
