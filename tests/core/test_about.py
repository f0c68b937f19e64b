"""/about says how long inactive data is kept and whether text is encrypted, from the settings in force."""

from __future__ import annotations

from bot.store.crypto import new_key
from tests.conftest import make_app
from tests.support.driver import Chat


def about_text(store_path, content, **settings) -> str:
    app = make_app(store_path, content, **settings)
    chat = Chat(app)
    chat.send("/start")
    chat.send("1")
    out = chat.send("/about")
    app.store.close()
    return out


def test_about_names_the_retention_period(store_path, content):
    out = about_text(store_path, content, retention_days=90)
    assert "90 days" in out
    assert "stored encrypted" not in out


def test_about_says_text_is_encrypted_only_when_it_is(store_path, content):
    out = about_text(store_path, content, data_key=new_key())
    assert "stored encrypted" in out and "365 days" in out
