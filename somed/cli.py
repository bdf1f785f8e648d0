"""The `somed` command line: run, archive, status, export, demo."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime, time
from pathlib import Path

import click
from sqlite_utils import Database

from somed import __version__
from somed.cli_check import check_command
from somed.cli_errors import OneLineErrorGroup, current_translator
from somed.config import Config, ConfigError, default_config_path, load_config
from somed.display import LOCAL_TZ, render_table, token_place
from somed.i18n import Translator
from somed.logs import setup_logging
from somed.reasons import PARTIAL, partial_streams, rejected_token, render, stream_name
from somed.runner import Runner, RunOutcome

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
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail_usage(current_translator()("usage.bad_date", option=option, value=value))
        raise  # unreachable
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def check_accounts(config: Config, keys: Sequence[str]) -> list[str]:
    """The requested account keys (default: all enabled), or exit 2 naming an unknown one.

    A disabled account named on purpose is allowed; its token is read now, so a missing one is
    a usage error here rather than a failed run later.
    """
    known = [a.key for a in config.accounts]
    for key in keys:
        if key not in known:
            fail_usage(
                current_translator()(
                    "usage.unknown_account", key=key, path=config.path, known=", ".join(known)
                )
            )
    chosen = list(keys) or [a.key for a in config.enabled_accounts()]
    for key in chosen:
        try:
            config.token(key)
        except ConfigError as exc:
            fail_usage(str(exc))
    return chosen


def open_archive(config: Config, *, connect_only: bool = False) -> Database:
    """Open (and, unless `connect_only`, prepare) the archive, or exit 2 with one line."""
    from somed.daemon import prepare_archive
    from storage.db import connect

    try:
        if not connect_only:
            prepare_archive(config)
        return connect(config.db_path)
    except (OSError, sqlite3.Error) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        fail_usage(
            f"{config.db_path}: the archive cannot be opened: {detail} (check [storage] dir in "
            f"{config.path}, free space, and that you run as the service's user)"
        )
        raise  # unreachable: fail_usage exits


def outcome_note(config: Config, t: Translator, outcome: RunOutcome) -> str:
    """A plain-words note for a run outcome, in `t`'s language, from its reason code."""
    code, params = outcome.reason, outcome.reason_params
    if outcome.status == "auth_failed":
        return t(
            "note.auth_failed",
            reason=rejected_token(t, code, params, platform=outcome.platform),
            where=token_place(config.account(outcome.account)),
        )
    if outcome.status == "busy":
        return t("note.busy")
    named = partial_streams(params) if code == PARTIAL else set()  # explained with their reason
    notes = []
    for stream, state in outcome.streams.items():
        if state != "permission_denied" or stream in named:
            continue
        why = outcome.stream_reasons.get(stream) or {}
        text = render(t, why.get("reason"), why.get("params"), platform=outcome.platform)
        name = stream_name(t, stream)
        notes.append(
            t("note.permission_short", stream=name, reason=text)
            if text
            else t("note.no_permission", stream=name)
        )
    if code or outcome.message:
        notes.append(render(t, code, params, platform=outcome.platform, detail=outcome.message))
    return "; ".join(notes)


def print_outcomes(config: Config, t: Translator, outcomes: Sequence[RunOutcome]) -> None:
    """The per-account summary table of an archive pass."""
    headers = [
        t("col.account"),
        t("col.platform"),
        t("col.status"),
        t("col.new"),
        t("col.changed"),
        t("col.deleted"),
        t("col.requests"),
        t("col.duration"),
        t("col.note"),
    ]
    rows = [
        [
            o.account,
            o.platform,
            t(f"status.{o.status}"),
            o.new,
            o.changed,
            o.deleted,
            o.requests,
            f"{o.duration:.1f}s",
            outcome_note(config, t, o),
        ]
        for o in outcomes
    ]
    click.echo(render_table(headers, rows))
    failed = [o for o in outcomes if o.failed]
    click.echo()
    click.echo(
        t.n("summary.failed", len(outcomes), failed=len(failed))
        if failed
        else t.n("summary.ok", len(outcomes))
    )


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
    """Archive now (safe while the daemon runs); exit 1 if any account failed."""
    config = state.config()
    keys = check_accounts(config, accounts)
    # on a terminal, live progress (counts, each retry with its wait); in a script, only trouble
    from somed.progress import TerminalProgress

    progress = TerminalProgress(state.t()) if sys.stderr.isatty() else None
    setup_logging(
        config.logging.format, "warning", secrets=config.secret_values(), stream=sys.stderr
    )
    for handler in logging.getLogger().handlers if progress else ():
        handler.addFilter(progress.log_filter())  # a warning never lands inside a live line
    open_archive(config).close()
    outcomes = Runner(config, progress=progress).run_accounts(keys, trigger="manual", wait=wait)
    print_outcomes(config, state.t(), outcomes)
    sys.exit(EXIT_FAILED if any(o.failed for o in outcomes) else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status(state: State, as_json: bool) -> None:
    """Show each account's health, last run and archive; exit 1 if any account has a problem."""
    from somed.status import account_status, exit_code, print_status

    config = state.config()
    if config.db_path.exists():
        with closing(open_archive(config, connect_only=True)) as db:  # unreadable: one line
            rows = account_status(config, db)
    else:
        rows = account_status(config)
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
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def export(
    state: State,
    accounts: tuple[str, ...],
    since: str | None,
    until: str | None,
    output: Path | None,
) -> None:
    """Export archived items as JSON Lines (the record contract)."""
    from storage import queries

    config = state.config()
    since_at, until_at = parse_when(since, "--since"), parse_when(until, "--until")
    keys = check_accounts(config, accounts) if accounts else [None]
    if not config.db_path.exists():
        fail_usage(state.t()("status.no_archive", path=config.db_path))
    db = open_archive(config, connect_only=True)
    try:
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as exc:
        fail_usage(f"--output {output}: {exc.strerror or exc} (choose a file you may write)")
    try:
        for key in keys:
            for item in queries.export_items(db, account=key, since=since_at, until=until_at):
                sink.write(json.dumps(item, ensure_ascii=False) + "\n")
    finally:
        if output:
            sink.close()
        db.close()


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
@click.option("--port", type=int, default=0, help="Emulator port (default: any free port).")
@click.pass_obj
def demo(state: State, directory: Path, once: bool, port: int) -> None:
    """Start the bundled Facebook emulator with two demo pages and archive them."""
    from somed.demo import run_demo

    sys.exit(run_demo(directory, once=once, port=port, lang=state.lang))


cli.add_command(check_command)
from somed.cli_quarantine import quarantine_cli  # noqa: E402 - the verb needs `cli` defined

cli.add_command(quarantine_cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="somed")
