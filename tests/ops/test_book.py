"""The content book: one self-contained HTML file, checked as a real browser renders it (headless Chromium).

The two browser tests need Chromium: without it they are skipped with a reason saying how to install it
(`apt-get install -y chromium`), except under CI=true, where a missing browser fails them (.ci/run installs it).
The rendered page's screenshot is saved to artifacts/content-book.png.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.ops.book import Book, build_book, flow_anchor, step_anchor
from flows.resources import text_in
from tests.conftest import CONTENT, ROOT, TODAY
from tests.support.required import missing

ARTIFACTS = ROOT / "artifacts"
INSTALL = ("no Chromium browser found (chromium, chromium-browser, google-chrome): the content book is checked "
           "in headless Chromium; install it with "
           "`apt-get update && apt-get install -y --no-install-recommends chromium` (.ci/run does this)")


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's path; a fixture, so a skip is reported against each test that needs it."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    missing(INSTALL)


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.headings: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._h2: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "h2" and self._h2 is not None:
            self.headings.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data):  # noqa: ANN001
        if self._h2 is not None:
            self._h2.append(data)


@pytest.fixture(scope="module")
def book_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book") / "book.html"
    out.write_text(build_book(CONTENT, today=TODAY), encoding="utf-8")
    return out


def test_the_book_is_self_contained(book_file: Path):
    text = book_file.read_text()
    assert "<script" not in text.lower()
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//[^"' >]*\.(?:css|js|woff2?|ttf)""", text)
    assert "@import" not in text and "url(" not in text
    assert "@media print" in text
    dom = Dom()
    dom.feed(text)
    assert not [a for t, a in dom.tags if t in ("link", "img", "iframe", "object", "embed")]


def test_chromium_renders_every_flow_with_no_broken_anchors(chromium: str, book_file: Path, tmp_path: Path, content):
    out = run_chromium(chromium, tmp_path, "--dump-dom", book_file.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    dom = Dom()
    dom.feed(out.stdout)
    for flow in content.flows.values():
        assert any(h.startswith(flow.title) for h in dom.headings), f"no heading for flow {flow.id}"
        assert flow_anchor(flow.id) in dom.ids
        for step in flow.steps:
            assert step_anchor(flow.id, step) in dom.ids
    assert "Crisis phrases" in dom.headings and "Help directory" in dom.headings
    assert len(dom.ids) == len(set(dom.ids)), "duplicate ids"
    internal = [h[1:] for h in dom.hrefs if h.startswith("#")]
    assert internal
    missing = sorted({h for h in internal if h not in set(dom.ids)})
    assert not missing, f"links to no anchor: {missing[:10]}"
    external = [h for h in dom.hrefs if not h.startswith("#")]
    assert all(h.startswith("https://") for h in external)


def test_chromium_screenshot_is_saved_as_an_artifact(chromium: str, book_file: Path, tmp_path: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "content-book.png"
    shot.unlink(missing_ok=True)
    out = run_chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", book_file.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page with something on it


def test_the_book_shows_texts_options_branches_handovers_rules_and_sources(book_file: Path, content):
    from flows.resources import load_resources
    from flows.safety import Triage

    text = html.unescape(book_file.read_text())
    signs = content.flows["signs"]
    assert signs.text.steps["intro"].text.split("\n")[0] in text
    assert signs.text.steps["pick"].options["fear"] in text
    # a branch in plain words, and a hand-over linking to the other flow
    assert "includes “" + signs.text.steps["pick"].options["fear"] + "”" in text
    raw = book_file.read_text()
    assert f'href="#{step_anchor("signs", "safety")}"' in raw and f'href="#{flow_anchor("seek_help")}"' in raw
    assert "hands over to" in text
    safety = Triage.load(CONTENT / "safety.yaml").spec
    for category in safety.categories.values():
        assert category.label in text
        for rule in category.rules:
            assert all(e in text for e in rule.examples)
            assert all(t in text for t in rule.traps)
    directory = load_resources(CONTENT / "directory", today=TODAY)
    for entry in [directory.international, *directory.entries.values()]:
        assert text_in(entry.name) in text
        for line in entry.lines:  # each line with its source, when it was seen, and its confirming phrase
            assert line.source in text and str(line.source_seen) in text and line.confirms in text
    assert text.count("not yet rung") >= sum(len(e.lines) for e in directory.entries.values())


def test_the_book_shows_every_variant_in_plain_words(book_file: Path, content):
    """Counsellors review the tailored texts: which relationship or fear state each shows for, every caveat
    beside its option, hidden-when-afraid options marked, cue words, and the languages' review state."""
    text = html.unescape(book_file.read_text())
    assert "Shown when relationship is work" in text  # e.g. the check-in's question for someone at work
    assert content.flows["checkin"].text.steps["rating"].blocks["work"] in text
    tagged = [(flow, step, opt) for flow in content.flows.values() for step in flow.steps.values()
              for opt in step.option_specs() if opt.unsafe_when_afraid]
    assert any(o.unsafe_when_afraid == "caveat" for _, _, o in tagged)
    for flow, step, opt in tagged:  # each caveat text sits in its option's own row
        caveat = flow.text.steps[step.id].caveats[opt.id]
        label = flow.text.steps[step.id].options[opt.id]
        mark = "hidden when afraid" if opt.unsafe_when_afraid == "hide" else "caveat when afraid"
        row = text[text.index(f'id="{step_anchor(flow.id, step.id)}"'):]
        row = row[row.index(label):]
        assert row.index(mark) < row.index("</tr>") and row.index(caveat) < row.index("</tr>"), (flow.id, opt.id)
    assert "the person said they are afraid or unsafe (the safety signal is set)" in text
    assert "“good news”" in text and "backed me up" in text  # the check-in's cue, with its words
    assert "Variants at a glance" in text and "Languages" in text  # each language's reviewed: state stays


def test_every_text_is_escaped(content):
    flow = content.flows["signs"]
    nasty = "<script>alert(1)</script> & \"quotes\""
    original = flow.text.steps["intro"].text
    try:
        flow.text.steps["intro"].text = nasty
        page = Book(content, generated=dt.date(2026, 11, 28)).render()
    finally:
        flow.text.steps["intro"].text = original
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in page


def test_cli_writes_the_book(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "bot", "content", "book", str(tmp_path / "b.html")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "b.html").read_text().startswith("<!DOCTYPE html>")


def test_the_book_in_spanish_shows_the_spanish_texts_and_says_how_to_add_a_language() -> None:
    from flows.content import load_languages

    spanish = load_languages(CONTENT)["es"]
    html_es = build_book(CONTENT, today=TODAY, lang="es")
    assert html.escape(spanish.flows["signs"].title) in html_es and "The flows below are in Español" in html_es
    assert "Adding a language" in html_es and "reviewed: pending" in html_es
    assert html.escape(spanish.flows["signs"].title) not in build_book(CONTENT, today=TODAY)
    with pytest.raises(KeyError, match="no content/xx/"):
        build_book(CONTENT, today=TODAY, lang="xx")
