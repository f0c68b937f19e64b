"""/record_export: the chosen entries, and only those, in a PDF with both dates; ’ — é ñ printed, an emoji the
font lacks shown as □; neutral name and metadata; a password pypdf needs; `record: PATH` at the console."""

from __future__ import annotations

import io
import logging
import os
import stat

import pypdf
import pytest

from bot.adapters.console import Console
from tests.support.people import agreed

UNICODE = "She said ’never again’ — café, niño 😢 💔"


def _pdf(chat) -> tuple[str, bytes]:
    [doc] = [r.document_later for r in chat.outcome.replies if r.document_later is not None]
    return doc.name, doc.make()


def _text(data: bytes, password: str | None = None) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if password is not None:
        assert reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def _three(chat) -> None:
    chat.send("/record first thing Alderquist did")
    for day, words in (("20/11/2026 09:15", "second thing Alderquist did"), ("1 Nov", UNICODE)):
        chat.send("/record")
        chat.press("add")
        chat.press("other")
        chat.send(day)
        chat.send(words)
        chat.press("menu")


def test_a_date_range_holds_those_entries_only_with_both_dates(app, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, fpdf2's and fontTools' included
    chat = agreed(app)
    _three(chat)
    chat.send("/record_export")
    chat.press("range")
    chat.send("1 Nov")
    chat.send("21/11/2026")
    assert chat.at == "record_export title"
    chat.press("plain")
    assert "Entries in the PDF: 2." in chat.outputs[-1] and "stay in this chat" in chat.outputs[-1]
    chat.press("nopass")
    assert chat.at == "record_export sent"
    name, data = _pdf(chat)
    assert name == "notes-2026-11-28.pdf"
    text = _text(data)
    assert "second thing Alderquist did" in text and "first thing" not in text
    assert "Happened: 20 Nov 2026, 09:15" in text and "Recorded: 28 Nov 2026, 12:00" in text
    assert "’never again’ — café, niño 😢 □" in text  # 💔 is not in DejaVu Sans: shown as □, not dropped
    assert "These are my own words, written down with Fulcrum." in text
    assert "Page 1 of 1" in text and text.index(UNICODE[:8]) < text.index("second thing")  # oldest first
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert meta.title == "Notes" and "Fulcrum" not in str(dict(meta)) and "abuse" not in str(dict(meta)).lower()
    chat.press("saved")
    assert chat.outcome.delete_pressed and chat.at == "record_export gone"
    assert "Alderquist" not in caplog.text and "never again" not in caplog.text and "💔" not in caplog.text


def test_picked_entries_a_title_and_a_password(app):
    chat = agreed(app)
    _three(chat)
    chat.send("/record_export")
    chat.press("some")
    chat.press("chosen")
    assert "Nothing picked yet" in chat.outputs[-1] and chat.at == "record_export choose"
    chat.press("e3")  # listed most recent happening first: No. 1 (28 Nov), No. 2 (20 Nov), No. 3 (1 Nov)
    assert chat.last.options[2].label.startswith("✓ No. 3")
    chat.press("chosen")
    chat.send("For my union rep")
    assert chat.outcome.delete_incoming
    chat.press("pass")
    chat.send("Tr1cky-pass")
    assert chat.outcome.delete_incoming  # the password leaves the chat
    name, data = _pdf(chat)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    with pytest.raises(pypdf.errors.FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert not pypdf.PdfReader(io.BytesIO(data)).decrypt("wrong")
    text = _text(data, "Tr1cky-pass")
    assert "For my union rep" in text and UNICODE[:12] in text and "Alderquist" not in text
    assert "Tr1cky-pass" not in str(app.store.load(chat.pid).profile)


def test_nothing_to_export_and_an_empty_range_are_said_kindly(app):
    chat = agreed(app)
    out = chat.send("/record_export")
    assert "no entries to put in a PDF yet" in out and [o.id for o in chat.last.options] == ["resume", "menu"]
    chat.send("/record something")
    chat.send("/record_export")
    chat.press("range")
    chat.send("1/1/2020")
    chat.send("2/1/2020")
    assert chat.at == "record_export which" and "No entries fall between those dates" in chat.outputs[-1]


def test_the_console_writes_the_pdf_owner_only_and_prints_its_path(app):
    out = io.StringIO()
    console = Console(app, "pdf", out=out)
    console.start()
    for line in ["1", "/record a thing that happened", "/record_export", "1", "1", "1"]:
        console.feed(line)
    printed = out.getvalue()
    [line] = [x for x in printed.splitlines() if x.startswith("record: ")]
    path = line.split(": ", 1)[1]
    assert os.path.isabs(path) and path.endswith(".pdf")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "a thing that happened" in _text(open(path, "rb").read())
