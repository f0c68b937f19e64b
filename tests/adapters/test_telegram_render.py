"""Rendering without a network: escaping, splitting, keyboards in console order, callback data."""

from __future__ import annotations

from bot.adapters.telegram import render
from bot.adapters.telegram.processor import update_key
from flows.model import Option, Reply


def test_escape_everything_a_person_reads() -> None:
    assert render.escape('<b>me & "you"</b>') == '&lt;b&gt;me &amp; "you"&lt;/b&gt;'


def test_split_keeps_every_character_and_stays_under_the_limit() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 300 for n in range(20))
    pieces = render.split_text(text)
    assert len(pieces) > 1 and all(len(p) <= render.CHUNK for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert render.split_text("x" * 9000) == ["x" * 4000, "x" * 4000, "x" * 1000]
    assert render.split_text("short") == ["short"]


def test_keyboard_order_is_the_console_order_two_per_row_only_when_short() -> None:
    reply = Reply("q", options=(Option("1", "1"), Option("2", "2"), Option("long", "A much longer label than that"),
                                Option("3", "3"), Option("back", "Back")), step="s", kind="scale", turn=7)
    markup = render.keyboard(reply, "abcdef99")
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["1", "2"], ["A much longer label than that"], ["3", "Back"]]
    flat = [b for row in markup.inline_keyboard for b in row]
    assert [b.callback_data for b in flat][:2] == ["abcdef:7:1", "abcdef:7:2"]
    assert render.keyboard(Reply("note"), "v") is None


def test_callback_data_fits_64_bytes_and_round_trips() -> None:
    assert render.decode(render.encode("abcdef12", 3, "agree", 0)) == render.Press("abcdef", 3, "agree")
    long = render.encode("abcdef12", 10**9, "ü" * 40, 5)
    assert len(long.encode()) <= 64 and render.decode(long).index == 5
    assert render.decode(None) is None and render.decode("junk") is None and render.decode("a:b:c") is None


def test_update_key_is_per_person_in_private_and_per_chat_elsewhere() -> None:
    from telegram import Update

    user = {"id": 5, "is_bot": False, "first_name": "x"}
    private = Update.de_json({"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x", "from": user,
                                                          "chat": {"id": 5, "type": "private"}}}, None)
    group = Update.de_json({"update_id": 2, "message": {"message_id": 1, "date": 0, "text": "x", "from": user,
                                                        "chat": {"id": -9, "type": "group", "title": "g"}}}, None)
    assert update_key(private) == "tg:5" and update_key(group) == "chat:-9" and update_key(object()) == "-"
