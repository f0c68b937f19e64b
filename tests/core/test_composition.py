"""The composition root: features are objects merged in one place, names are unique, content names only what
exists, and the Telegram build schedules every feature's job by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import compose
from bot.ops.checks import check_all
from bot.core.feature import Directive, DuplicateName, Feature, Job, merge
from bot.core.settings import Settings
from flows.content import ContentError
from flows.model import Input
from tests.conftest import CONTENT, make_app
from tests.support.driver import Chat
from tests.support.people import agree


def test_two_features_claiming_one_name_is_refused():
    one = Feature("one", commands={"visits": lambda c: Directive()})
    two = Feature("two", commands={"visits": lambda c: Directive()})
    with pytest.raises(DuplicateName, match="'visits'.*'one' and 'two'"):
        merge([one, two])
    with pytest.raises(DuplicateName, match="composed twice"):
        merge([one, one])


def test_two_jobs_of_one_name_are_refused():
    async def run(env, sender):
        return None

    with pytest.raises(DuplicateName, match="job 'tick'"):
        merge([Feature("a", jobs=(Job("tick", 60, run),)), Feature("b", jobs=(Job("tick", 30, run),))])


def test_a_feature_may_not_take_a_name_the_core_provides(store_path, content):
    clash = Feature("clash", renderers={"resources": lambda env, person, ctx: ""})
    with pytest.raises(DuplicateName, match="'resources'"):
        make_app(store_path, content, features=[*compose.features(Settings(_env_file=None)), clash])


def test_content_naming_a_feature_that_is_left_out_stops_the_build(store_path, content):
    without_journal = [f for f in compose.features(Settings(_env_file=None)) if f.name != "journal"]
    with pytest.raises(ContentError) as err:
        make_app(store_path, content, features=without_journal)
    assert ("flows/journal.yaml", "page", "action 'journal_open' is not provided by any feature") in err.value.problems


def test_a_feature_composed_alone_answers_its_command(store_path, content):
    """A command returns data; the service opens the flow it names, with a way back."""
    seen = []

    def visits(c):
        seen.append(c.pid)
        return Directive(note="Noted.", profile={"visits": 1})

    features = [*compose.features(Settings(_env_file=None)), Feature("visits", commands={"visits": visits})]
    app = make_app(store_path, content, features=features)
    chat = Chat(app)
    chat.send("/start")
    chat.press("agree")
    out = chat.handle(Input.command("visits"))
    assert seen == [chat.pid] and out.startswith("Noted.")
    assert app.store.load(chat.pid).profile["visits"] == 1
    app.store.close()


@pytest.mark.parametrize("where,change,problem", [
    ("flows/journal.yaml", ("action: journal_open", "action: journal_opn"), "action 'journal_opn'"),
    ("flows/checkins.yaml", ("validate: timezone", "validate: time_zone"), "validate 'time_zone'"),
    ("flows/seek_help.yaml", ("options_from: countries", "options_from: nations"), "options_from 'nations'"),
])
def test_content_check_refuses_names_nothing_provides(tmp_path: Path, where, change, problem):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    path = root / where
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1))
    found, _, _ = check_all(root)
    assert any(f == where and problem in p for f, _, p in found), found


def test_content_check_refuses_a_command_nothing_answers(tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    common = root / "en" / "common.yaml"
    common.write_text(common.read_text().replace('  exit: "Clear this chat"\n',
                                                 '  exit: "Clear this chat"\n  wipe: "Wipe"\n', 1))
    for other in root.glob("*/common.yaml"):  # every language has the command, so only the missing handler is wrong
        if other != common:
            other.write_text(other.read_text().replace("\ncommands:\n", '\ncommands:\n  wipe: "Wipe"\n', 1))
    found, _, _ = check_all(root)
    assert ("en/common.yaml", "-", "command '/wipe' is not a flow, built in, or provided by a feature") in found


def test_the_default_content_names_only_what_exists():
    found, flows, _ = check_all(CONTENT)
    assert found == [] and flows > 10


async def test_the_default_build_schedules_every_named_job(store_path, content):
    """Each feature job is one named JobQueue job whose callback runs it with the app's env and the adapter."""
    from datetime import timedelta

    from bot.core.clock import utcnow
    from bot.adapters.telegram import build_application
    from tests.ops.test_ops import agree_and_reflect

    app = make_app(store_path, content, telegram_bot_token="123:abc", retention_days=30)
    expected = {job.name for job in app.jobs}
    assert expected == {"checkin-sweep", "daily-maintenance", "fold-wal", "lock-idle", "expiring-messages"}
    application = build_application(app.settings, app, base_url="http://127.0.0.1:9/bot")
    names = [job.name for job in application.job_queue.jobs()]
    assert sorted(names) == sorted(expected)
    agree_and_reflect(app, "gone", utcnow() - timedelta(days=40), "OLD-MARKER")
    assert app.store.exists("cli:gone")
    [maintenance] = application.job_queue.get_jobs_by_name("daily-maintenance")
    await maintenance.callback(None)
    assert not app.store.exists("cli:gone")
    app.store.close()


def test_the_lock_can_be_left_out_and_nothing_else_breaks(store_path, content):
    """The lock adds a guard, a view under /about and a job; without it the same content builds and runs."""
    without_lock = [f for f in compose.features(Settings(_env_file=None)) if f.name != "lock"]
    app = make_app(store_path, content, features=without_lock)
    assert app.features.guard is None and "lock-idle" not in {j.name for j in app.jobs}
    chat = Chat(app, "nolock")
    agree(chat)
    about = chat.send("/about")
    assert "opened recently" not in about and chat.last.flow == "about"
