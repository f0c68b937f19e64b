"""The composition root: the one place that knows every feature and puts the application together.

`fulcrum chat`, `fulcrum run`, the benchmarks and the tests all build the app here, so what runs is what is
tested. To add a feature, write its module (see docs/adding-a-feature.md) and list it in `features()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.features import checkins, journal, lock, plan, privacy, progress, record, retention, signal
from bot.core.feature import Feature
from bot.store.crypto import Cipher
from bot.core.service import Fulcrum
from bot.core.settings import Settings
from bot.store.store import Store
from flows.content import Content, load_languages
from flows.resources import Directory
from flows.safety import Triage


def features(settings: Settings) -> list[Feature]:
    """Every feature Fulcrum runs with, in the order their after-turn hooks run."""
    return [
        privacy.feature(),
        signal.feature(),
        journal.feature(),
        record.feature(),
        progress.feature(more=(plan.progress_lines,)),
        plan.feature(),
        checkins.feature(settings, summary=lock.unless_locked(settings, progress.weekly_summary)),
        retention.feature(),
        lock.feature(settings),
    ]


def open_store(settings: Settings, **options: object) -> Store:
    """The SQLite store at FULCRUM_DB, encrypting with FULCRUM_DATA_KEY when it is set."""
    keys = [settings.data_key.get_secret_value()] if settings.data_key else []
    return Store(settings.db, Cipher(*keys), **options)  # type: ignore[arg-type]


def build(settings: Settings, *, content: Content | None = None, store: Store | None = None,
          with_features: Sequence[Feature] | None = None, triage: Triage | None = None,
          directory: Directory | None = None, today: date | None = None,
          languages: dict[str, Content] | None = None) -> Fulcrum:
    """The application. Content (every content/<lang>/), triage rules and the directory are read from
    FULCRUM_CONTENT unless given (tests share one copy: `content` alone is one language, `languages` several);
    `with_features` replaces the default list (to test a feature alone)."""
    if languages is None:
        languages = {content.lang: content} if content is not None else load_languages(settings.content)
    content = content or languages.get("en") or next(iter(languages.values()))
    store = store or open_store(settings)
    chosen = features(settings) if with_features is None else list(with_features)
    return Fulcrum(settings, content=content, store=store, features=chosen, triage=triage, directory=directory,
                   today=today, languages=languages)
