"""A person's record as a PDF (fpdf2), made off the event loop by the adapter (`LaterDocument.make`).

Everything the PDF says arrives in `Sheet`: the entries already decrypted and every label already in the
person's words from content, so making it needs no store, no content and no clock, and can run in a thread.

The font. fpdf2's built-in fonts are Latin-1 only (no ’ — or emoji), so DejaVu Sans, which matplotlib ships
(`matplotlib.get_data_path()/fonts/ttf`), is embedded (subset). It covers Latin (é ñ ğ ş), Greek, Cyrillic, the
punctuation people type (’ — …) and a few dozen emoji (😢 😡; not 💔 or 👍). It has no CJK and no Devanagari
or Bengali at all, and its Arabic and Hebrew letters print unjoined and left to right, since text shaping would
need uharfbuzz. A character the font lacks is printed as □ rather than dropped, so the page shows that
something was there; fpdf2 is never handed one, so its missing-glyph warning (which would quote the
character, i.e. the person's words) never reaches a log.

The metadata. The document's title metadata is the neutral "Notes" and its author and subject are empty: file
managers, download lists and PDF viewers' tabs show the title metadata, where someone glancing at the phone
would read it; the title the person chose is printed on the first page only. The producer stays fpdf2's own
("PyFPDF/fpdf2"), which says nothing about the person or about Fulcrum.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

FONT = "DejaVu"
MISSING = "□"  # printed instead of a character the font has no glyph for
METADATA_TITLE = "Notes"


@dataclass(frozen=True)
class Block:
    """One entry as it is printed: a heading line, the dates line, then (label, text) pairs."""

    heading: str
    dates: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sheet:
    title: str = field(repr=False)
    intro: str  # "These are my own words, recorded with Fulcrum…"
    made: str  # "Made on 1 Dec 2026"
    page: str  # "Page {page} of {pages}"
    blocks: tuple[Block, ...] = field(default=(), repr=False)
    password: str | None = field(default=None, repr=False)


@cache
def font_files() -> tuple[Path, Path]:
    """DejaVu Sans, regular and bold, from matplotlib's data folder."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


@cache
def _covered() -> frozenset[int]:
    """Code points both DejaVu Sans faces can draw."""
    from fontTools.ttLib import TTFont  # fpdf2 depends on fontTools

    regular, bold = (set(TTFont(str(p)).getBestCmap()) for p in font_files())
    return frozenset(regular & bold)


def printable(text: str) -> str:
    """`text` with every character the font cannot draw shown as □ (line breaks and tabs kept as such)."""
    covered = _covered()
    return "".join(ch if ch in "\n\t" or ord(ch) in covered else MISSING for ch in text)


def make_pdf(sheet: Sheet) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(FONT, "", 9)
            self.set_text_color(90, 90, 90)
            self.cell(0, 10, printable(sheet.page.format(page=self.page_no(), pages="{nb}")), align="C")

    regular, bold = font_files()
    pdf = _Pdf(format="A4")
    pdf.set_title(METADATA_TITLE)
    pdf.set_author("")
    pdf.set_subject("")
    pdf.set_creator("")
    pdf.set_keywords("")
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(width, 8, printable(sheet.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(width, 5, printable(f"{sheet.intro}\n{sheet.made}"), new_x="LMARGIN", new_y="NEXT")
    for block in sheet.blocks:
        pdf.ln(5)
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.ln(2)
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(width, 6, printable(block.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(width, 5, printable(block.dates), new_x="LMARGIN", new_y="NEXT")
        for label, text in block.fields:
            pdf.ln(1)
            pdf.set_font(FONT, "B", 10)
            pdf.multi_cell(width, 5, printable(label), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, "", 11)
            pdf.multi_cell(width, 5.5, printable(text), new_x="LMARGIN", new_y="NEXT")
    if sheet.password:
        # The person's password opens it; the owner password is random and kept nowhere: nobody, us included,
        # can open the file without the person's password.
        pdf.set_encryption(owner_password=secrets.token_urlsafe(24), user_password=sheet.password,
                           encryption_method=EncryptionMethod.AES_256)
    return bytes(pdf.output())
