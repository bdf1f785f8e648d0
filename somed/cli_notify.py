"""`somed notify [--dry-run]`: send the daily digests now, or print them and send nothing."""

from __future__ import annotations

import sys
from contextlib import closing
from typing import Any

import click

from somed.cli_errors import OneLineCommand


@click.command("notify", cls=OneLineCommand)
@click.option("--dry-run", is_flag=True, help="Print every digest; send and record nothing.")
@click.pass_obj
def notify_command(state: Any, dry_run: bool) -> None:
    """Send each owner's and editor's daily digest now (exit 1 if a send failed)."""
    from somed.cli import EXIT_FAILED, fail_usage, open_archive, open_readonly
    from somed.config_errors import ConfigError
    from somed.notify import render
    from somed.notify.digest import build_digests
    from somed.notify.send import send_digests
    from somed.status import utc_now

    config = state.config()
    t = state.t()
    if dry_run:
        db = open_readonly(config)
        assert db is not None
        with closing(db):
            found = build_digests(db, config, utc_now())
        if not found:
            click.echo(t("notify.no_recipients"))
        for digest in found:
            click.echo(f"{t('notify.to')}: {digest.recipient}")
            if digest.empty:
                click.echo(t("notify.nothing") + "\n")
                continue
            click.echo(f"{t('notify.subject_label')}: {render.subject(t, digest)}\n")
            click.echo(render.body(t, digest))
        return
    if not config.notify.smtp_host:
        fail_usage(t("notify.not_configured", path=config.path))
    with closing(open_archive(config)) as db:
        try:
            report = send_digests(db, config, utc_now(), t=t)
        except ConfigError as exc:
            fail_usage(str(exc))
            raise  # unreachable
    for address in report.sent:
        click.echo(t("notify.sent", to=address))
    for address in report.empty:
        click.echo(t("notify.empty", to=address))
    for address, error in report.failed:
        why = t(f"reason.{error.reason}", **error.params)
        click.echo(t("notify.failed", to=address, reason=why), err=True)
    if not (report.sent or report.empty or report.failed):
        click.echo(t("notify.no_recipients"))
    sys.exit(EXIT_FAILED if report.failed else 0)
