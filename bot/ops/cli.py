"""The `fulcrum` command line. Each command opens what it needs, calls one thing, and turns errors into one line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from bot.core.clock import utcnow
from bot.core.settings import Settings, SettingsError, load_settings
from bot.store.store import StoreError
from flows.content import ContentError, load_content


class Problem(click.ClickException):
    """A broken setting, content or database: one line, exit 1."""

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"fulcrum: {line}", err=True)


def settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise Problem(str(exc)) from None


def open_app(**overrides: object):  # noqa: ANN201 - returns Fulcrum, imported lazily
    from bot.compose import build
    from bot.store.crypto import KeyError_
    from flows.resources import ResourcesError
    from flows.safety import SafetyContentError

    from bot.features.privacy import check_keys, warn_if_plaintext

    cfg = settings(**overrides)
    try:
        app = build(cfg)
        check_keys(app.store)
        warn_if_plaintext(app.store.cipher)
        return app
    except ContentError as exc:
        first = "{}: {}: {}".format(*exc.problems[0])
        more = f" (and {len(exc.problems) - 1} more; run `fulcrum content check`)" if len(exc.problems) > 1 else ""
        raise Problem(f"content {cfg.content}/{first}{more}") from None
    except (StoreError, KeyError_, ResourcesError, SafetyContentError) as exc:
        raise Problem(str(exc).splitlines()[0]) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Fulcrum: a reflection companion for people living with a power imbalance in a relationship."""
    from bot.core.logs import setup_logging

    try:
        setup_logging(load_settings())
    except SettingsError:
        setup_logging(None)  # the command itself reports the broken setting, one line each


@cli.command()
@click.option("--user", default="local", show_default=True, help="Whose progress to use.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
@click.option("--trace", is_flag=True, help="Write `@ FLOW STEP KIND` to stderr after each turn.")
@click.option("--lang", default=None, help="Language to talk in: a folder of content/ (default: FULCRUM_LANGUAGE, "
              "or the one this user chose with /language).")
def chat(user: str, db: Path | None, trace: bool, lang: str | None) -> None:
    """Talk to Fulcrum in the terminal, with the same engine and store as the bot.

    Example: fulcrum chat --user alex --trace --lang es
    """
    from bot.adapters.console import Console, read_lines

    app = open_app(db=db)
    if lang is not None and lang not in app.languages:
        app.store.close()
        raise Problem(f"--lang {lang}: no such language; content has {', '.join(app.languages)}")
    try:
        Console(app, user, trace=trace, lang=lang).run(read_lines(sys.stdin))
    except KeyboardInterrupt:
        click.echo("")
    finally:
        app.store.close()


@cli.command()
@click.option("--webhook", "webhook_url", default=None, metavar="URL",
              help="Receive updates at this public https URL instead of long polling.")
@click.option("--listen", default="0.0.0.0", show_default=True, help="Webhook mode: address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True,
              help="Webhook mode: port to listen on.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def run(webhook_url: str | None, listen: str, port: int, db: Path | None) -> None:
    """Run the Telegram bot: long polling, or a webhook with a secret token. Stops cleanly on Ctrl-C/SIGTERM.

    Example: fulcrum run --webhook https://bot.example.org/fulcrum --listen 127.0.0.1 --port 8443
    """
    import asyncio

    cfg = settings(db=db)
    if cfg.telegram_bot_token is None:
        raise Problem("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram (/newbot), put "
                      "its token in TELEGRAM_BOT_TOKEN or .env; or try `fulcrum chat` in this terminal")
    if cfg.data_key is None and not cfg.allow_plaintext:
        raise Problem("FULCRUM_DATA_KEY is not set: make one with `fulcrum keygen` and put it in FULCRUM_DATA_KEY or "
                      ".env (or set FULCRUM_ALLOW_PLAINTEXT=true to store everything about people unencrypted)")
    if cfg.default_country is None:
        raise Problem("FULCRUM_DEFAULT_COUNTRY is not set: the crisis screen needs a country to show an emergency "
                      "number before anyone picks theirs; set it to a two-letter code from content/directory/")
    from telegram.error import InvalidToken, NetworkError

    from bot.adapters.telegram import build_application, serve, webhook_secret
    from bot.adapters.telegram.logs import configure

    secret = webhook_secret(cfg) if webhook_url else None
    configure(cfg, secret)
    missing = cfg.missing_practice()
    if missing:  # the bot runs, but people see less of the practice than they could
        logging.getLogger("fulcrum").warning("practice settings not set: %s (see .env.example)", ", ".join(missing))
    app = open_app(db=db)
    try:
        application = build_application(cfg, app)
        asyncio.run(serve(application, webhook_url=webhook_url, listen=listen, port=port, secret=secret))
    except KeyboardInterrupt:
        pass
    except InvalidToken:
        raise Problem("Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather (/mybots → API Token)") from None
    except NetworkError as exc:
        raise Problem(f"cannot reach the Bot API at TELEGRAM_API_BASE_URL ({type(exc).__name__})") from None
    finally:
        app.store.close()


@cli.group()
def content() -> None:
    """Check the dialogues and other content."""


@content.command("check")
@click.option("--content", "folder", type=click.Path(path_type=Path), default=None,
              help="Content directory (default: FULCRUM_CONTENT or the bundled one).")
def content_check(folder: Path | None) -> None:
    """Validate every flow, text, safety rule and help-directory entry.

    Example: fulcrum content check --content content/
    """
    from bot.ops.checks import check_all

    root = folder or settings().content
    problems, flows, steps = check_all(root)
    if problems:
        for file, step, problem in problems:
            click.echo(f"{file}: {step}: {problem}")
        sys.exit(1)
    click.echo(f"ok: {flows} flows, {steps} steps")


@cli.group()
def resources() -> None:
    """Keep the help directory true."""


@resources.command("check")
@click.option("--max-age", type=click.IntRange(1, 3650), default=180, show_default=True,
              help="Days after which a source counts as stale.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The date to check against (default: today).")
@click.option("--content", "folder", type=click.Path(path_type=Path), default=None,
              help="Content directory (FULCRUM_CONTENT).")
def resources_check(max_age: int, today, folder: Path | None) -> None:  # noqa: ANN001 - click's datetime
    """List help-directory lines whose source was seen more than --max-age days ago or that the practice has not
    yet rung (verified_on empty); exit 1 if any. For a monthly cron.

    Example: fulcrum resources check --max-age 180
    """
    from flows.resources import ResourcesError, load_resources, stale

    day = today.date() if today else utcnow().date()
    root = folder or settings().content
    try:
        directory = load_resources(Path(root) / "directory", today=day)
    except ResourcesError as exc:
        raise Problem(exc.problems[0]) from None
    found = stale(directory, day, max_age)
    for code, name, why in found:
        click.echo(f"{code}\t{name}\t{why}")
    if found:
        sys.exit(1)
    click.echo("ok: every line seen within {} days and rung by the practice".format(max_age))


@cli.group()
def flows() -> None:
    """List the flows or draw one."""


def _content() -> object:
    cfg = settings()
    try:
        return load_content(cfg.content)
    except ContentError as exc:
        raise Problem(f"content {cfg.content}: " + "{}: {}: {}".format(*exc.problems[0])) from None


@flows.command("list")
def flows_list() -> None:
    """One line per flow: ID, title, steps, menu|system (menu flows first, in menu order).

    Example: fulcrum flows list
    """
    c = _content()
    for flow in [*c.menu_flows(), *c.system_flows()]:
        click.echo(f"{flow.id}\t{flow.title}\t{len(flow.steps)}\t{'menu' if flow.is_menu else 'system'}")


@flows.command("diagram")
@click.argument("flow_id")
def flows_diagram(flow_id: str) -> None:
    """Print a flow's Mermaid state diagram (stateDiagram-v2), drawn by transitions.

    Example: fulcrum flows diagram signs
    """
    from bot.ops.diagram import mermaid

    c = _content()
    if flow_id not in c.flows:
        raise Problem(f"no flow '{flow_id}'; known: {', '.join(sorted(c.flows))}")
    click.echo(mermaid(c, flow_id))


@cli.command()
def triage() -> None:
    """Read messages, one per line, and print `crisis<TAB>CATEGORY[,CATEGORY…]`, `check<TAB>CATEGORY` or `ok`.

    Example: printf 'hello\\n' | fulcrum triage
    """
    from flows.safety import SafetyContentError, Triage

    cfg = settings()
    try:
        rules = Triage.load(Path(cfg.content) / "safety.yaml", self_check=False)
    except (SafetyContentError, OSError) as exc:
        raise Problem(str(exc).splitlines()[0]) from None
    for line in sys.stdin:
        verdict = rules.assess(line.rstrip("\r\n")) if line.strip() else None
        sys.stdout.write((verdict.line() if verdict else "ok") + "\n")
    sys.stdout.flush()


@cli.command()
def keygen() -> None:
    """Print a new key for FULCRUM_DATA_KEY, alone on one line.

    Example: fulcrum keygen
    """
    from bot.store.crypto import new_key

    click.echo(new_key())


@cli.command()
@click.option("--new-key", required=True, help="The key to encrypt with from now on (from `fulcrum keygen`).")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def rekey(new_key: str, db: Path | None) -> None:
    """Re-encrypt everything stored about people with a new key, in one transaction.

    Reads with FULCRUM_DATA_KEY (or plaintext when it is not set). Stop the bot first.

    Example: fulcrum rekey --new-key "$(fulcrum keygen)"
    """
    from bot.core.figures import known_names
    from bot.store.crypto import Cipher, KeyError_
    from bot.features.privacy import rekey as rekey_store

    try:
        new = Cipher(new_key)
    except KeyError_ as exc:
        raise Problem(str(exc).replace("FULCRUM_DATA_KEY", "--new-key")) from None
    app = open_app(db=db)
    try:
        count = rekey_store(app.store, new, known_names(app.content))
    except KeyError_ as exc:
        raise Problem(str(exc).splitlines()[0]) from None
    finally:
        app.store.close()
    click.echo(f"re-encrypted {count} values with key {new.current}")
    click.echo("now set FULCRUM_DATA_KEY to the new key (the old key no longer reads this database)")


# ---- operations (bot/ops/stats.py, bot/ops/book.py): figures and counts only, never what a person wrote ----


def _open_store(db: Path | None, *, with_key: bool = False):  # noqa: ANN202
    """The store alone (no content; the key only `with_key`): enough to count, purge and prune."""
    from bot.compose import open_store
    from bot.store.crypto import KeyError_
    from bot.store.store import Store

    cfg = settings(db=db)
    if not Path(cfg.db).expanduser().is_file():
        raise Problem(f"{Path(cfg.db).expanduser().resolve()}: no database here (set FULCRUM_DB or --db)")
    try:
        return cfg, open_store(cfg) if with_key else Store(cfg.db)
    except (StoreError, KeyError_) as exc:
        raise Problem(str(exc).splitlines()[0]) from None


@cli.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), default=None,
              help="Erase people inactive for more than this many days (default: FULCRUM_RETENTION_DAYS).")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def purge(days: int | None, db: Path | None) -> None:
    """Erase everyone inactive longer than the retention period, exactly as /delete would.

    The bot does this daily by itself. Prints only how many were erased.

    Example: fulcrum purge --older-than 365
    """
    from bot.features.retention import maintain

    cfg, store = _open_store(db)
    try:
        done = maintain(store, utcnow(), days or cfg.retention_days)
    finally:
        store.close()
    click.echo(f"erased {done['erased']} people inactive for more than {days or cfg.retention_days} days")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def backup(path: Path, force: bool, db: Path | None) -> None:
    """Write a consistent copy of the database to PATH (owner-only), safe while the bot runs.

    Encrypted text stays encrypted. Backups are outside /delete's reach: keep them no longer than
    FULCRUM_RETENTION_DAYS.

    Example: fulcrum backup /var/backups/fulcrum/fulcrum-$(date +%F).db
    """
    from bot.ops.stats import OpsError, backup as run_backup

    cfg = settings(db=db)
    try:
        size = run_backup(cfg.db, path, force=force)
    except OpsError as exc:
        raise Problem(str(exc)) from None
    click.echo(f"backed up to {path} ({size} bytes)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def status(as_json: bool, db: Path | None) -> None:
    """People, people active in 7 days, check-ins due within the hour, database size, last update, content version.

    Example: fulcrum status --json
    """
    import json

    from bot.ops.stats import format_status
    from bot.store.health import status as get_status

    cfg, store = _open_store(db)
    try:
        version = load_content(cfg.content).version
    except ContentError:
        version = None
    try:
        body = get_status(store, type("C", (), {"version": version})(), utcnow())
    finally:
        store.close()
    click.echo(json.dumps(body, sort_keys=True) if as_json else format_status(body))


@cli.command()
@click.option("--weeks", type=click.IntRange(min=1, max=520), default=8, show_default=True, help="How many weeks.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def stats(weeks: int, as_json: bool, db: Path | None) -> None:
    """Weekly figures: flows started and finished, help reached, crisis interruptions, check-ins.

    Counts from 1 to 4 show as <5 and averages from fewer than 5 ratings are hidden.

    Example: fulcrum stats --weeks 12
    """
    import json

    from bot.ops.stats import format_stats, weekly_stats

    cfg, store = _open_store(db, with_key=True)  # the figures' names are keyed tags when a key is set
    try:
        try:
            content = load_content(cfg.content)
        except ContentError:
            content = None
        report = weekly_stats(store, content, utcnow(), weeks)
    finally:
        store.close()
    click.echo(json.dumps(report, sort_keys=True) if as_json else format_stats(report))


@content.command("book")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--content", "folder", type=click.Path(path_type=Path), default=None,
              help="Content directory (default: FULCRUM_CONTENT or the bundled one).")
@click.option("--lang", default="en", show_default=True, help="The language the flows are shown in (a content folder).")
def content_book(out: Path, folder: Path | None, lang: str) -> None:
    """Write every flow, the crisis phrases and the help directory as one self-contained HTML page.

    Example: fulcrum content book book.html   (fulcrum content book --lang es libro.html for the Spanish texts)
    """
    from bot.ops.book import write_book
    from flows.resources import ResourcesError
    from flows.safety import SafetyContentError

    root = folder or settings().content
    try:
        write_book(root, out, lang=lang)
    except KeyError as exc:
        raise Problem(str(exc.args[0])) from None
    except ContentError as exc:
        raise Problem(f"content {root}/" + "{}: {}: {}".format(*exc.problems[0])) from None
    except (ResourcesError, SafetyContentError, OSError) as exc:
        raise Problem(str(exc).splitlines()[0]) from None
    click.echo(f"wrote {out}")


def main() -> None:
    cli(prog_name="fulcrum")


if __name__ == "__main__":
    main()
