"""Each person in their own language: chosen on first contact, kept, changed with /language; and a pseudo-locale
(every text marked ⟦…⟧, tests/support/pseudo.py) proving that what is on screen comes from content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.features.checkins.sweeper import prompt_reply
from flows.content import content_languages, load_content
from tests.conftest import CONTENT, make_app
from tests.support.driver import Chat
from tests.support.pseudo import CLOSE, OPEN, pseudo_languages, unmarked

WAYOUTS = ("back", "menu", "resume", "skip")


@pytest.fixture(scope="module")
def languages(tmp_path_factory):
    return pseudo_languages(tmp_path_factory.mktemp("pseudo"))


@pytest.fixture
def app(store_path: Path, languages):
    application = make_app(store_path, languages=languages)
    yield application
    application.store.close()


def marked(text: str) -> bool:
    return OPEN in text


@pytest.mark.parametrize("code, lang", [("xx", "xx"), ("xx-YY", "xx"), ("XX_yy", "xx"), ("de", "en"), (None, "en"),
                                        ("", "en")])
def test_first_contact_speaks_the_telegram_language_when_content_has_it(app, code, lang):
    chat = Chat(app, lang=code)
    assert marked(chat.send("/start")) == (lang == "xx")
    assert chat.outcome.lang == lang


def test_the_default_language_setting_is_used_when_telegram_says_nothing(store_path, languages):
    app = make_app(store_path, languages=languages, language="xx")
    try:
        assert marked(Chat(app).send("/start"))
        assert app.pick_language("de") == "xx" and app.pick_language("en-GB") == "en"
    finally:
        app.store.close()


def test_the_language_is_kept_and_changed_with_slash_language(app):
    chat = Chat(app, lang="xx")
    chat.send("/start")
    chat.press("agree")
    assert app.store.load(chat.pid).profile["language"] == "xx"  # kept in the (encrypted) profile
    chat.lang = "en"  # Telegram's language no longer decides: the person's choice does
    assert marked(chat.send("/menu"))
    shown = chat.send("/language")
    assert "[1] English" in shown and re.search(r"^\[\d+\] ⟦xx⟧$", shown, re.M)
    after = chat.press("en")
    assert not marked(after) and after.startswith("From now on I'll write in English.")
    assert chat.outcome.language_changed and chat.outcome.lang == "en"
    assert app.store.load(chat.pid).profile["language"] == "en"
    assert not marked(chat.send("/menu"))


def test_language_can_be_chosen_before_agreeing_and_is_kept_on_agreeing(app):
    chat = Chat(app, lang="de")
    assert "Language" in chat.send("/start")
    chat.press("language")
    assert marked(chat.press("xx"))  # back on the first screen, now in xx
    assert chat.at == "onboarding notice"
    chat.press("agree")
    assert app.store.load(chat.pid).profile["language"] == "xx"


def test_a_reminder_is_in_the_persons_language(app):
    assert marked(prompt_reply(app.env, "checkin", {"language": "xx"}).text)
    assert not marked(prompt_reply(app.env, "checkin", {"language": "en"}).text)
    assert not marked(prompt_reply(app.env, "checkin", {}).text)


def test_one_engine_per_language_built_once(app):
    engines = {lang: each.engine for lang, each in app._languages.items()}
    assert {"en", "xx"} <= set(engines) and engines["en"] is not engines["xx"]
    Chat(app, lang="xx").send("/start")
    assert {lang: each.engine for lang, each in app._languages.items()} == engines


# ---- the pseudo-locale walk: every topic to its summary, nothing on screen that content did not write ----------

# What the console may show that is not content: option numbers, file lines, help-directory lines (service
# names, numbers, hours: the directory's own data), dates and numbers, and the languages' own names.
ALLOWED = [
    re.compile(r"^\[\d+\] ?$"),  # an option number, its label marked
    re.compile(r"^(chart|export|record): "),
    re.compile(r"^• "),  # a help line from content/directory/
    re.compile(r"^[\d\s/:.,–-]*$"),  # numbers, dates, times
    # /language lists each language by its own name (its common.yaml `language:`)
    re.compile(r"^\[\d+\] (%s)$" % "|".join(re.escape(load_content(CONTENT, lang).common.language)
                                         for lang in content_languages(CONTENT))),
]


MINE = "a few words of my own"  # what the walk types: shown back in the journal, the person's own words


def unmarked_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        # A placeholder filled with several lines (the help directory) opens its text's mark on its first line
        # and closes it on its last: a stray mark is part of a marked text. ✓ is the checklist's own tick.
        rest = unmarked(line.replace(MINE, "")).replace(OPEN, "").replace(CLOSE, "").replace("✓", "")
        rest = re.sub(r"^\[\d+\] ", "", rest.strip()).strip()
        if not rest or any(p.match(unmarked(line)) for p in ALLOWED) or any(p.match(rest) for p in ALLOWED):
            continue
        out.append(line)
    return out


def walk_to_summary(chat: Chat, flow_id: str) -> list[str]:
    """Open a topic and answer each step (first real option, or a few words) until its summary."""
    seen = [chat.send(f"/start {flow_id}")]
    for _ in range(60):
        reply = chat.last
        assert reply is not None
        if reply.kind == "summary" and reply.flow == flow_id:
            return seen
        options = [o for o in reply.options if o.id not in WAYOUTS and not o.id.startswith("/")]
        if reply.kind in ("reflection", "input") or not options:
            seen.append(chat.send(MINE))
        elif reply.kind == "checklist":
            seen.append(chat.press(options[0].id))
            seen.append(chat.press("done"))
        else:
            seen.append(chat.press(options[0].id))
    raise AssertionError(f"{flow_id}: no summary reached; at {chat.at}")


def test_pseudo_locale_every_topic_to_its_summary_shows_only_content(app):
    content = app.languages["xx"]
    chat = Chat(app, user="pseudo", lang="xx")
    screens = [chat.send("/start"), chat.press("agree")]
    for flow in content.menu_flows():
        screens += walk_to_summary(chat, flow.id)
    for command in ("/help", "/about", "/progress", "/journal", "/checkins", "/language", "/menu"):
        screens.append(chat.send(command))
    leaks = sorted({line for screen in screens for line in unmarked_lines(screen)})
    assert leaks == [], "text on screen that is not from content:\n" + "\n".join(leaks)


def test_pseudo_locale_through_the_console(app, tmp_path):
    import io

    from bot.adapters.console import Console

    out = io.StringIO()
    Console(app, "pseudo-console", out=out, lang="xx").run(["1", "/help", "/about", "/menu"])
    leaks = unmarked_lines(out.getvalue())
    assert leaks == [], leaks


def test_the_language_choice_is_offered_only_when_there_is_one_to_make(app, store_path, content):
    chat = Chat(app)
    chat.send("/start")
    assert "language" in [o.id for o in chat.last.options]  # two languages: offered on the first screen
    alone = make_app(store_path.with_name("alone.db"), content)  # English only
    only = Chat(alone)
    only.send("/start")
    assert "language" not in [o.id for o in only.last.options]
    only.press("agree")
    only.send("/about")
    assert only.at == "about about" and "language" not in [o.id for o in only.last.options]
    alone.store.close()
