"""`somed bundle`: a registrar's package of one account's (or every account's) records.

Read-only: it needs no token and opens the archive read-only. It prints the package's path and
id; on a terminal a progress line shows what is being written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from somed.bundle.model import FORMATS, BundleRequest


class TerminalBundleProgress:
    """One line on stderr, rewritten as the phases and their bytes go by."""

    def __init__(self, t: Any) -> None:
        self.t = t
        self._shown = ""

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        """Show the phase, and how far it is when its size is known."""
        name = self.t(f"bundle.phase.{phase}")
        if total:
            line = f"{name}: {done / 1e6:,.0f} / {total / 1e6:,.0f} MB ({100 * done // total} %)"
        else:
            line = f"{name}: {done / 1e6:,.0f} MB" if done else f"{name} …"
        if line != self._shown:
            click.echo(f"\r{line:<72}", err=True, nl=False)
            self._shown = line

    def end(self) -> None:
        """End the live line."""
        if self._shown:
            click.echo("", err=True)


@click.command("bundle")
@click.option("--account", "accounts", multiple=True, metavar="KEY",
              help="This account (repeatable).")
@click.option("--all-accounts", is_flag=True, help="Every account: a municipality-wide package.")
@click.option("--from", "since", metavar="DATE",
              help="Records created at or after (YYYY-MM-DD, Swedish time). Default: the first.")
@click.option("--to", "until", metavar="DATE",
              help="Records created before (YYYY-MM-DD, Swedish time; not included). Default: now.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="fgs", show_default=True,
              help="FGS 2.0 / E-ARK SIP (e-archive) or BagIt.")
@click.option("--zip", "as_zip", is_flag=True, help="One ZIP file holding the package folder.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The folder the package is put in. Default: <storage.dir>/bundles.")
@click.pass_obj
def bundle_command(
    state: Any,
    accounts: tuple[str, ...],
    all_accounts: bool,
    since: str | None,
    until: str | None,
    fmt: str,
    as_zip: bool,
    out: Path | None,
) -> None:
    """Make a registrar bundle (FGS or BagIt) of accounts' records, snapshots and logs."""
    from somed.bundle.build import build_bundle
    from somed.bundle.content import BundleError
    from somed.bundle.staging import BundleExists
    from somed.cli import EXIT_FAILED, check_accounts, fail_usage, parse_when
    from somed.config import ConfigError
    from storage.db import ArchiveUnavailable

    config = state.config()
    t = state.t()
    if all_accounts == bool(accounts):
        fail_usage(t("bundle.usage.which_accounts"))
    keys = check_accounts(config, accounts) if accounts else []
    since_at, until_at = parse_when(since, "--from"), parse_when(until, "--to")
    if since_at is not None and until_at is not None and since_at >= until_at:
        fail_usage(t("bundle.usage.from_after_to", since=since, until=until))
    try:
        config.organisation_required()
    except ConfigError as exc:
        fail_usage(str(exc))
    request = BundleRequest(tuple(keys), since_at, until_at, fmt, as_zip, out)  # type: ignore[arg-type]
    progress = TerminalBundleProgress(t) if sys.stderr.isatty() else None
    try:
        result = build_bundle(config, request, progress=progress)
    except ArchiveUnavailable as exc:
        fail_usage(str(exc))
        return
    except (BundleError, BundleExists, OSError) as exc:
        if progress:
            progress.end()
        detail = getattr(exc, "strerror", None) or str(exc)
        click.echo(f"somed: error: {t('bundle.failed', why=detail)}", err=True)
        sys.exit(EXIT_FAILED)
    if progress:
        progress.end()
    click.echo(result.path)
    click.echo(t("bundle.made", package_id=result.package_id, items=result.items,
                 files=result.files, mb=f"{result.bytes / 1e6:,.1f}"))  # fmt: skip
