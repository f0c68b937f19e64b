"""No English left on a Spanish screen (issue 18, "Done when"): a person whose Telegram is set to Spanish walks every
topic to its summary, the commands, a check-in and the crisis and check screens, and nothing they read is a piece of
the English content; every button they see fits a phone (32 characters).

The pseudo-locale test (tests/core/test_languages.py) proves that everything on screen comes from content; this one
proves that, in Spanish, it comes from the Spanish content: a text missing from content/es/, a fallback to English
or an English string built in code would show an English sentence here.

English pieces: every text in content/en/, cut at its `{placeholders}` and line breaks, kept when 20 characters or
longer, less what content/es/ says the same way (service and proper names, URLs, numbers) and the console's tokens.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.service import render_emergency
from flows.content import load_languages
from tests.conftest import CONTENT, make_app, shared_rules
from tests.core.test_languages import WAYOUTS
from tests.support.driver import Chat

LIMIT = 32  # a button label as shown (content check: Telegram clients cut longer labels on narrow phones)
MIN = 20  # the length from which a piece of English counts
MINE = "unas palabras mías"  # what the walk types where a text is asked for
# Words that are never Spanish: a short English string built in code (a separator, a unit) shows as one of these.
# Help-directory lines ("• Service name: number") are left out: services keep their own (sometimes English) names.
ENGLISH_WORDS = re.compile(r"\b(the|and|or|you|your|with|this|that|what|here|please|tap|back)\b", re.I)
CONSOLE_TOKENS = re.compile(r"^(\[\d+\] ?|chart: |export: |record: )")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _texts(lang: str) -> list[str]:
    return [s for path in sorted((CONTENT / lang).glob("*.yaml"))
            for s in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))]


def _pieces(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\{[^{}]*\}|\n", text) if p.strip()]


@functools.cache
def english_pieces() -> dict[str, str]:
    """{piece: the content/en text it comes from} for every piece of English content of MIN characters or more."""
    spanish = "\n".join(_texts("es"))
    out: dict[str, str] = {}
    for text in _texts("en"):
        for piece in _pieces(text):
            if len(piece) < MIN or piece in spanish or re.search(r"https?://|www\.", piece):
                continue
            if not re.search(r"[A-Za-z]{3}", piece) or CONSOLE_TOKENS.match(piece):
                continue
            out.setdefault(piece, text)
    return out


class SpanishChat(Chat):
    """The in-process driver, keeping every button label shown (not only the last step's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels: list[tuple[str, str]] = []  # (where, label)

    def handle(self, inp):
        out = super().handle(inp)
        for reply in self.outcome.replies:
            self.labels += [(f"{reply.flow} {reply.step}", o.label) for o in reply.options]
        return out


@pytest.fixture(scope="module")
def languages():
    return load_languages(CONTENT)


@pytest.fixture
def app(store_path: Path, languages):
    application = make_app(store_path, languages=languages)
    yield application
    application.store.close()


def walk(chat: Chat, flow_id: str, pick: int, *, to_summary: bool) -> list[str]:
    """Open a topic by name and answer each step with its `pick`-th real option (ticking it, then Done, at a
    checklist) or a few words, until its summary; with to_summary=False, stop too where the flow hands over."""
    seen = [chat.send(f"/start {flow_id}")]
    for _ in range(60):
        reply = chat.last
        assert reply is not None
        if reply.kind == "summary" and reply.flow == flow_id:
            return seen
        if reply.flow != flow_id and not to_summary:
            return seen
        options = [o for o in reply.options if o.id not in WAYOUTS and not o.id.startswith("/") and o.id != "done"]
        if reply.kind in ("reflection", "input") or not options:
            seen.append(chat.send(MINE))
        elif reply.kind == "checklist":
            seen.append(chat.press(options[min(pick, len(options) - 1)].id))
            seen.append(chat.press("done"))
        else:
            seen.append(chat.press(options[min(pick, len(options) - 1)].id))
    if not to_summary:  # a loop (the last option re-asking the country): far enough
        return seen
    raise AssertionError(f"{flow_id}: no summary reached; at {chat.at}")


def leaks(screens: list[str], pieces: dict[str, str]) -> list[str]:
    found = set()
    for screen in screens:
        for piece, source in pieces.items():
            if piece in screen:
                found.add(f"{piece!r} (from content/en: {source[:60]!r})")
        for line in screen.splitlines():
            if line.startswith("•"):
                continue
            word = ENGLISH_WORDS.search(CONSOLE_TOKENS.sub("", line))
            if word:
                found.add(f"English word {word.group(0)!r} in {line!r}")
    return sorted(found)


def test_the_english_pieces_are_many_and_not_spanish():
    pieces = english_pieces()
    assert len(pieces) > 500  # the check is not vacuous
    assert "What would you like to look at? Pick any topic, in any order. You can stop whenever you like." in pieces
    assert not any("Fulcrum" == p for p in pieces)


def test_the_check_finds_english_where_there_is_some(app):
    """The detector itself: an English screen and a short English word built in code are both caught."""
    chat = Chat(app, user="en", lang="en")
    assert leaks([chat.send("/start"), chat.press("agree")], english_pieces())
    assert leaks(["¿En peligro ahora? Llama al 112 or 110 (emergencias, Alemania)."], {})
    assert not leaks(["• Find A Helpline (directorio de líneas gratuitas por país) · https://findahelpline.com"], {})


def test_every_topic_to_its_summary_in_spanish_shows_no_english(app, languages):
    pieces = english_pieces()
    chat = SpanishChat(app, user="es", lang="es-MX")
    screens = [chat.send("/start")]
    assert "Soy Fulcrum" in screens[0]
    screens.append(chat.press("agree"))
    topics = languages["es"].menu_flows()
    assert len(topics) == 12
    for flow in topics:
        screens += walk(chat, flow.id, 0, to_summary=True)
        assert chat.last.kind == "summary", flow.id
    # Other answers: the second and the last option everywhere (afraid, unsure, other relationships), as far as
    # each goes before handing over.
    for pick in (1, 2, 99):
        for flow in topics:
            other = SpanishChat(app, user=f"es-{pick}-{flow.id}", lang="es-MX")
            other.send("/start")
            other.press("agree")
            screens += walk(other, flow.id, pick, to_summary=False)
            chat.labels += other.labels
    for command in ("/help", "/about", "/progress", "/journal", "/checkins", "/language", "/plan", "/record",
                    "/menu"):
        screens.append(chat.send(command))
    found = leaks(screens, pieces)
    assert found == [], "English on a Spanish screen:\n" + "\n".join(found)
    long = sorted({f"{where}: {label!r} ({len(label)})" for where, label in chat.labels if len(label) > LIMIT})
    assert long == [], "buttons longer than 32 characters:\n" + "\n".join(long)
    assert len({label for _, label in chat.labels}) > 150  # many buttons were seen


def test_a_checkin_and_the_crisis_and_check_screens_in_spanish_show_no_english(app):
    pieces = english_pieces()
    chat = SpanishChat(app, user="es-crisis", lang="es")
    screens = [chat.send("/start"), chat.press("agree"), chat.send("/checkin")]
    for answer in ("1", "5", "1", "1", "1", "1", MINE):  # low rating, fear 5, the grounding exercise, a note
        screens.append(chat.send(answer))
    assert chat.at == "checkin thanks"
    for message in ("mi esposo me pega", "me quiero morir", "me apretó el cuello hasta que no podía respirar",
                    "a veces pienso que sería mejor desaparecer"):
        screens.append(chat.send(message))
        assert chat.last.flow in ("crisis", "check"), (message, chat.at)
        screens.append(chat.press(chat.last.options[0].id))  # "Elegir mi país" / "No estoy a salvo"
        screens.append(chat.press("resume") if "resume" in [o.id for o in chat.last.options] else "")
    found = leaks(screens, pieces)
    assert found == [], "English on a Spanish screen:\n" + "\n".join(found)
    assert not [label for _, label in chat.labels if len(label) > LIMIT]


def test_the_emergency_line_of_every_country_reads_spanish(languages):
    """The first line of the crisis and check screens, for each country of the help directory."""
    _, directory = shared_rules()
    pieces = english_pieces()
    lines = [render_emergency(languages["es"], directory, code) for code in [None, *directory.entries]]
    found = leaks(lines, pieces)
    assert found == [], "\n".join(found)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_a_button_that_opens_a_topic_by_its_title_does_so_in_spanish_too():
    """Where an English button to another topic carries that topic's menu title ("What may feed it"), the Spanish
    one carries the Spanish title, so the person finds the same words in the menu."""
    titles = {lang: {p.stem: _yaml(p).get("title") for p in (CONTENT / lang).glob("*.yaml")} for lang in ("en", "es")}
    checked, wrong = 0, []
    for path in sorted((CONTENT / "flows").glob("*.yaml")):
        texts = {lang: _yaml(CONTENT / lang / path.name)["steps"] for lang in ("en", "es")}
        for step in _yaml(path).get("steps", []):
            for option in step.get("options") or []:
                if not isinstance(option, dict) or not option.get("flow"):
                    continue
                label = {lang: (texts[lang].get(step["id"], {}).get("options") or {}).get(option["id"])
                         for lang in ("en", "es")}
                if label["en"] == titles["en"].get(option["flow"]):
                    checked += 1
                    if label["es"] != titles["es"][option["flow"]]:
                        wrong.append(f"es/{path.name}: {step['id']}: {option['id']}: {label['es']!r}, "
                                     f"the menu says {titles['es'][option['flow']]!r}")
    assert checked > 10 and wrong == [], wrong
