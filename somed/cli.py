"""The `somed` command line: run, archive, status, export, backup, demo (verbs stay thin)."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from sqlite_utils import Database

from connectors.model import DIRECTIONS
from somed import __version__
from somed.cli_capture import capture_command
from somed.cli_check import check_command
from somed.cli_errors import OneLineErrorGroup, current_translator
from somed.cli_notify import notify_command
from somed.config import Config, ConfigError, default_config_path, load_config
from somed.i18n import Translator
from somed.logs import setup_logging
from somed.runner import Runner, RunOutcome
from somed.summary import print_outcomes
from somed.when import EARLIEST, LATEST, parse_moment  # noqa: F401 - EARLIEST/LATEST: the widest --since/--until

EXIT_FAILED = 1
EXIT_USAGE = 2


class State:
    """What the group options decided, shared with the verbs."""

    def __init__(self, config_path: Path | None, lang: str | None) -> None:
        self.config_path = config_path
        self.lang = lang
        self._config: Config | None = None

    def config(self) -> Config:
        """Load and validate the config once, or stop with exit code 2 and one line."""
        if self._config is None:
            path = self.config_path or default_config_path(None)
            try:
                self._config = load_config(path)
            except ConfigError as exc:
                fail_usage(str(exc))
        assert self._config is not None
        return self._config

    def t(self) -> Translator:
        """The translator for user-facing text (config `[ui] language` unless --lang)."""
        language = self.lang
        if language is None and self._config is not None:
            language = self._config.ui.language
        return Translator(language)


def fail_usage(message: str) -> None:
    """Print one error line and exit with code 2 (bad usage or bad config)."""
    click.echo(f"somed: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def parse_when(value: str | None, option: str) -> datetime | None:
    """A date (Swedish local midnight) or an ISO 8601 time, as an aware UTC datetime."""
    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError:
        fail_usage(current_translator()("usage.bad_date", option=option, value=value))
        raise  # unreachable


def fail_queue_access(config: Config, exc: Exception, verb: str) -> None:
    """Exit 2 in one line: the daemon runs, but this user may not queue a request for it."""
    detail = getattr(exc, "strerror", None) or str(exc)
    fail_usage(
        f"{config.db_path}: a somed daemon runs here, and asking it to {verb} needs "
        f"write access to the archive: {detail} (run as root or as the service's user, "
        f"e.g. sudo -u somed somed {verb})"
    )


def check_accounts(config: Config, keys: Sequence[str]) -> list[str]:
    """The requested account keys (default: all enabled), or exit 2 naming an unknown one.

    A disabled account named on purpose is allowed. Tokens are not read here: a missing one
    fails only its account's run.
    """
    known = [a.key for a in config.accounts]
    for key in keys:
        if key not in known:
            fail_usage(
                current_translator()(
                    "usage.unknown_account", key=key, path=config.path, known=", ".join(known)
                )
            )
    return list(keys) or [a.key for a in config.enabled_accounts()]


def closed_keys(config: Config) -> set[str]:
    """The accounts the register says are closed (none before the archive exists).

    An archive that cannot be read yet (a first run killed while creating it, an older somed's)
    has none either: the run itself opens it and says what is wrong, and the runner refuses a
    closed account anyway.
    """
    from storage.db import ArchiveUnavailable, connect_readonly
    from storage.register import closed_accounts

    try:
        db = connect_readonly(config.db_path)
    except ArchiveUnavailable:
        return set()
    with closing(db):
        return closed_accounts(db)


def open_archive(config: Config) -> Database:
    """Open and prepare the archive read-write (migrations, stale runs), or exit 2 with one line."""
    from somed.daemon import prepare_archive
    from storage.db import connect

    try:
        prepare_archive(config)
        return connect(config.db_path)
    except (OSError, sqlite3.Error) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        fail_usage(
            f"{config.db_path}: the archive cannot be opened: {detail} (check [storage] dir in "
            f"{config.path}, free space, and that you run as the service's user)"
        )
        raise  # unreachable: fail_usage exits


def open_readonly(config: Config, *, missing_ok: bool = False) -> Database | None:
    """Open the archive read-only for a read-only verb (no token, no write), or exit 2.

    With `missing_ok`, an archive that does not exist yet gives None instead.
    """
    from storage.db import ArchiveUnavailable, connect_readonly

    try:
        return connect_readonly(config.db_path)
    except ArchiveUnavailable as exc:
        if missing_ok and exc.reason == "missing":
            return None
        fix = {
            "missing": f"run 'somed archive' first, or check [storage] dir in {config.path}",
            "older": "start the daemon (systemctl restart somed) or run 'somed archive' once "
            "to upgrade it",
            "newer": "upgrade somed to the version that wrote it",
        }.get(
            exc.reason,
            f"run as the service's user or a member of its group; check [storage] dir in "
            f"{config.path}",
        )
        fail_usage(f"{exc} ({fix})")
        raise  # unreachable: fail_usage exits


@click.group(cls=OneLineErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="SOMED_CONFIG",
    default=None,
    help="Config file (default: $SOMED_CONFIG, then /etc/somed/config.toml).",
)
@click.option(
    "--lang",
    type=click.Choice(["sv", "en"]),
    envvar="SOMED_LANG",
    default=None,
    help="Language of tables and notes (default: the config's [ui] language, sv).",
)
@click.version_option(__version__, prog_name="somed")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, lang: str | None) -> None:
    """Archive and monitor a public body's official social media accounts."""
    from somed.runner import tune_threads

    tune_threads()
    ctx.obj = State(config_path, lang)


@cli.command()
@click.pass_obj
def run(state: State) -> None:
    """Run the daemon: poll every account on its interval until SIGTERM."""
    from somed.daemon import Daemon

    config = state.config()
    setup_logging(config.logging.format, config.logging.level, secrets=config.secret_values())
    open_archive(config).close()  # a storage that cannot open: exit 2, not a restart loop
    sys.exit(Daemon(config).run())


@cli.command()
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="KEY",
    help="Archive only this account (repeatable). Default: every enabled account.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait when another process is archiving the same account.",
)
@click.pass_obj
def archive(state: State, accounts: tuple[str, ...], wait: float) -> None:
    """Archive now (through the daemon when one runs); exit 1 if any account failed."""
    from somed.run_requests import archive_through_daemon, daemon_running

    config = state.config()
    keys = check_accounts(config, accounts)
    if not accounts:  # all of them: a closed account's archive is kept, no longer added to
        keys = [key for key in keys if key not in closed_keys(config)]
    # on a terminal, live progress (counts, each retry with its wait); in a script, only trouble
    from somed.progress import TerminalProgress

    t = state.t()
    tty = sys.stderr.isatty()
    progress = TerminalProgress(t) if tty else None
    setup_logging(
        config.logging.format, "warning", secrets=config.secret_values(), stream=sys.stderr
    )
    for handler in logging.getLogger().handlers if progress else ():
        handler.addFilter(progress.log_filter())  # a warning never lands inside a live line
    done: dict[str, RunOutcome] = {}
    direct = keys
    if daemon_running(config.storage_dir):  # it holds the credentials: let it do the work
        try:
            done, direct = archive_through_daemon(
                config.db_path,
                config.storage_dir,
                keys,
                {a.key: a.platform for a in config.accounts},
                wait=wait,
                notify=(lambda key, what: click.echo(t(f"request.{what}", account=key), err=True))
                if tty
                else None,
            )
        except (OSError, sqlite3.Error) as exc:
            fail_queue_access(config, exc, "archive")
    if direct:
        open_archive(config).close()
        runner = Runner(config, progress=progress)
        for outcome in runner.run_accounts(direct, trigger="manual", wait=wait):
            done[outcome.account] = outcome
    outcomes = [done[key] for key in keys]
    print_outcomes(config, state.t(), outcomes)
    sys.exit(EXIT_FAILED if any(o.failed for o in outcomes) else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status(state: State, as_json: bool) -> None:
    """Show each account's health, last run and archive; exit 1 if any account has a problem.

    Read-only: no token is read and the archive is opened read-only.
    """
    from somed.status import account_status, exit_code, print_status

    config = state.config()
    db = open_readonly(config, missing_ok=True)  # unreadable or another schema: one line
    if db is None:
        rows = account_status(config)
    else:
        with closing(db):
            rows = account_status(config, db)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print_status(config, state.t(), rows)
    sys.exit(exit_code(rows))


@cli.command()
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="KEY",
    help="Only this account (repeatable). Default: all.",
)
@click.option("--since", metavar="DATE", help="Created at or after (YYYY-MM-DD, Swedish time).")
@click.option("--until", metavar="DATE", help="Created before (YYYY-MM-DD, Swedish time).")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of standard output (replaced only when complete).",
)
@click.option(
    "--direction", type=click.Choice(DIRECTIONS), default=None, help="Only own or incoming items."
)
@click.option(
    "--all-accounts", is_flag=True, help="Every account in the archive (default without --account)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines (the record contract) or CSV for people.",
)
@click.pass_obj
def export(
    state: State,
    accounts: tuple[str, ...],
    since: str | None,
    until: str | None,
    output: Path | None,
    direction: str | None,
    all_accounts: bool,
    fmt: str,
) -> None:
    """Export archived items as JSON Lines (the record contract) or CSV (read-only, no token)."""
    from somed.export import ExportFailed, OutputUnavailable, write_export

    config = state.config()
    if all_accounts and accounts:
        fail_usage(state.t()("registrar.usage.all_accounts"))
    since_at, until_at = parse_when(since, "--since"), parse_when(until, "--until")
    if since_at is not None and until_at is not None and since_at >= until_at:
        fail_usage(state.t()("usage.since_after_until", since=since, until=until))
    keys = check_accounts(config, accounts) if accounts else [None]
    db = open_readonly(config)
    assert db is not None
    with closing(db):
        try:
            write_export(db, keys, since_at, until_at, output, direction=direction,
                         csv_for=state.t() if fmt == "csv" else None)  # fmt: skip
        except OutputUnavailable as exc:
            fail_usage(f"{exc} (choose a file you may write)")
        except ExportFailed as exc:
            click.echo(f"somed: error: {exc}", err=True)
            sys.exit(EXIT_FAILED)


@cli.command()
@click.argument("dest", metavar="DEST", type=click.Path(path_type=Path, file_okay=False))
@click.pass_obj
def backup(state: State, dest: Path) -> None:
    """Copy the archive (database snapshot, then media) to DEST, online (read-only, no token)."""
    from somed.backup import BackupRefused
    from somed.backup import backup as make_backup
    from storage.db import ArchiveUnavailable

    config = state.config()
    t = state.t()
    try:
        report = make_backup(config.storage_dir, dest)
    except BackupRefused as exc:
        fail_usage(f"DEST: {exc}")
    except ArchiveUnavailable:
        open_readonly(config)  # the same one line as status and export give
    except (OSError, sqlite3.Error) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        click.echo(f"somed: error: backup to {dest} failed: {detail}", err=True)
        sys.exit(EXIT_FAILED)
    for problem in report.problems:
        click.echo(f"somed: error: backup: {problem}", err=True)
    click.echo(
        t(
            "backup.done",
            dest=dest,
            mb=f"{report.database_bytes / 1e6:.1f}",
            copied=report.copied,
            linked=report.linked,
            present=report.present,
        )
    )
    sys.exit(EXIT_FAILED if report.problems else 0)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-data"),
    show_default=True,
    help="Where the demo archive goes.",
)
@click.option("--once", is_flag=True, help="Archive once and exit instead of running the daemon.")
@click.option(
    "--port",
    type=int,
    default=0,
    help="First emulator's port, the next ones after it (default: any free ports).",
)
@click.pass_obj
def demo(state: State, directory: Path, once: bool, port: int) -> None:
    """Start the bundled platform emulators with their demo accounts and archive them."""
    from somed.demo import run_demo

    sys.exit(run_demo(directory, once=once, port=port, lang=state.lang))


cli.add_command(check_command)
cli.add_command(capture_command)
from somed.cli_quarantine import quarantine_cli  # noqa: E402 - the verb needs `cli` defined

cli.add_command(quarantine_cli)
from somed.cli_register import accounts_command, close_command  # noqa: E402

cli.add_command(accounts_command)
cli.add_command(close_command)
from somed.cli_registrar import audit_command, flags_cli, register_command  # noqa: E402
from somed.cli_search import search_command  # noqa: E402

cli.add_command(flags_cli)
cli.add_command(register_command)
cli.add_command(audit_command)
cli.add_command(search_command)
from somed.cli_retention import hold_cli, retention_cli  # noqa: E402

cli.add_command(retention_cli)
cli.add_command(hold_cli)
cli.add_command(notify_command)
from somed.cli_verify import verify_command  # noqa: E402

cli.add_command(verify_command)
from somed.cli_bundle import bundle_command  # noqa: E402

cli.add_command(bundle_command)

from somed.cli_web import user_cli, web_command  # noqa: E402

cli.add_command(web_command)
cli.add_command(user_cli)


def main() -> None:
    """Console-script entry point (usage errors are one line: `somed.cli_errors`)."""
    cli(prog_name="somed")
