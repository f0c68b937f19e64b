"""A record's words at rest: sealed with a key (nothing readable in the file or its WAL), gone after /delete,
in /export, and carried through `rekey` and `check_keys` like every sealed table."""

from __future__ import annotations

import pytest

from bot.features.privacy import KEYED_TABLES, check_keys, export_data, rekey
from bot.store.crypto import Cipher, KeyError_, new_key
from bot.store.store import Store
from tests.conftest import make_app
from tests.support.people import agreed, raw_bytes

WORDS = ["Quillmarsh shouted across the car park", "Brennick-office on the third floor",
         "Tolvaine from accounts saw it", "Sleepless Vormund week", "Copies with Hestraline at the advice centre"]


def _walk(chat) -> None:
    chat.send(f"/record {WORDS[0]} at noon")
    chat.send("/record")
    chat.press("add")
    chat.press("yesterday")
    for words in WORDS:
        chat.send(words)
    assert chat.at == "record_entry saved"


def test_without_a_key_the_words_are_there_and_delete_removes_them_from_file_and_wal(app, store_path):
    chat = agreed(app, "eraser")
    _walk(chat)
    before = raw_bytes(store_path)
    assert all(w.encode() in before for w in WORDS)  # the scan can find them: a clean scan below means something
    chat.send("/delete")
    chat.press("delete_all")
    assert chat.outcome.erased
    assert app.store.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    after = raw_bytes(store_path)
    assert [w for w in WORDS if w.encode() in after] == []


def test_with_a_key_no_word_of_an_entry_is_in_the_file_or_its_wal(store_path, content):
    app = make_app(store_path, content, data_key=new_key())
    try:
        chat = agreed(app, "sealed")
        _walk(chat)
        chat.send("/record")
        chat.press("e1")
        chat.press("edit")
        chat.press("who")
        chat.send("Tolvaine and Marrowby both saw it")
        data = raw_bytes(store_path)  # before any checkpoint: the WAL holds every write
        for words in [*WORDS, "Marrowby", "2026-11-27"]:
            assert words.encode() not in data, words
        assert "records" in KEYED_TABLES
        assert app.store.records(chat.pid)[0]["who"] == "Tolvaine and Marrowby both saw it"
    finally:
        app.store.close()


def test_export_holds_the_record_and_rekey_carries_it(store_path, content):
    key = new_key()
    app = make_app(store_path, content, data_key=key)
    chat = agreed(app, "rekeyed")
    _walk(chat)
    exported = export_data(app.store, chat.pid, chat.now)
    assert [e["what"] for e in exported["record"]] == [f"{WORDS[0]} at noon", WORDS[0]]
    assert exported["record"][1]["evidence"] == WORDS[4] and "created_at" in exported["record"][1]
    store = app.store
    newer = new_key()
    rekey(store, Cipher(newer), names=[])
    app.store.close()
    with pytest.raises(KeyError_):
        check_keys(Store(store_path, Cipher(key)))  # the old key cannot read the record any more
    fresh = Store(store_path, Cipher(newer))
    check_keys(fresh)
    assert [e["what"] for e in fresh.records(chat.pid)] == [f"{WORDS[0]} at noon", WORDS[0]]
    fresh.close()
