"""The `fulcrum` command line. Each command opens what it needs, calls one thing, and turns errors into one line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from bot.settings import DEFAULT_CONTENT, Settings, SettingsError, load_settings
from bot.store import StoreError
from flows.content import ContentError, load_content


class Problem(click.ClickException):
    """A broken setting, content or database: one line, exit 1."""

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"fulcrum: {self.format_message()}", err=True)


def settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise Problem(str(exc)) from None


def open_app(**overrides: object):  # noqa: ANN201 - returns Fulcrum, imported lazily
    from bot.crypto import KeyError_
    from bot.service import Fulcrum
    from flows.resources import ResourcesError
    from flows.safety import SafetyContentError

    from bot.privacy import check_keys, warn_if_plaintext

    cfg = settings(**overrides)
    try:
        app = Fulcrum(cfg)
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
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.option("--user", default="local", show_default=True, help="Whose progress to use.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
@click.option("--trace", is_flag=True, help="Write `@ FLOW STEP KIND` to stderr after each turn.")
def chat(user: str, db: Path | None, trace: bool) -> None:
    """Talk to Fulcrum in the terminal, with the same engine and store as the bot.

    Example: fulcrum chat --user alex --trace
    """
    from bot.console import Console, read_lines

    app = open_app(db=db)
    try:
        Console(app, user, trace=trace).run(read_lines(sys.stdin))
    except KeyboardInterrupt:
        click.echo("")
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
    from bot.checks import check_all

    root = folder or settings().content
    problems, flows, steps = check_all(root)
    if problems:
        for file, step, problem in problems:
            click.echo(f"{file}: {step}: {problem}")
        sys.exit(1)
    click.echo(f"ok: {flows} flows, {steps} steps")


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
    from bot.diagram import mermaid

    c = _content()
    if flow_id not in c.flows:
        raise Problem(f"no flow '{flow_id}'; known: {', '.join(sorted(c.flows))}")
    click.echo(mermaid(c, flow_id))


@cli.command()
def triage() -> None:
    """Read messages, one per line, and print `crisis<TAB>CATEGORY` or `ok` for each.

    Example: printf 'hello\\n' | fulcrum triage
    """
    from flows.safety import SafetyContentError, Triage

    cfg = settings()
    try:
        rules = Triage.load(Path(cfg.content) / "safety.yaml")
    except (SafetyContentError, OSError) as exc:
        raise Problem(str(exc).splitlines()[0]) from None
    for line in sys.stdin:
        category = rules.classify(line.rstrip("\r\n")) if line.strip() else None
        sys.stdout.write(f"crisis\t{category}\n" if category else "ok\n")
    sys.stdout.flush()


@cli.command()
def keygen() -> None:
    """Print a new key for FULCRUM_DATA_KEY, alone on one line.

    Example: fulcrum keygen
    """
    from bot.crypto import new_key

    click.echo(new_key())


@cli.command()
@click.option("--new-key", required=True, help="The key to encrypt with from now on (from `fulcrum keygen`).")
@click.option("--db", type=click.Path(path_type=Path), default=None, help="Database file (FULCRUM_DB).")
def rekey(new_key: str, db: Path | None) -> None:
    """Re-encrypt everything people wrote with a new key, in one transaction.

    Reads with FULCRUM_DATA_KEY (or plaintext when it is not set). Stop the bot first.

    Example: fulcrum rekey --new-key "$(fulcrum keygen)"
    """
    from bot.crypto import Cipher, KeyError_
    from bot.privacy import rekey as rekey_store

    try:
        new = Cipher(new_key)
    except KeyError_ as exc:
        raise Problem(str(exc).replace("FULCRUM_DATA_KEY", "--new-key")) from None
    app = open_app(db=db)
    try:
        count = rekey_store(app.store, new, app.text_steps)
    except KeyError_ as exc:
        raise Problem(str(exc).splitlines()[0]) from None
    finally:
        app.store.close()
    click.echo(f"re-encrypted {count} values with key {new.current}")
    click.echo("now set FULCRUM_DATA_KEY to the new key (the old key no longer reads this database)")


def main() -> None:
    cli(prog_name="fulcrum")


if __name__ == "__main__":
    main()
