"""The `somed check` verb: check each account's token with its platform, store and print it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from connectors.model import utc_iso
from somed.check import CheckOutcome, expires_soon, run_checks
from somed.display import local_time, render_table
from somed.i18n import Translator
from somed.reasons import rejected_token, render, stream_name

if TYPE_CHECKING:
    from somed.cli import State
    from somed.config import Config


@click.command("check")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="KEY",
    help="Check only this account (repeatable). Default: every enabled account.",
)
@click.pass_obj
def check_command(state: State, accounts: tuple[str, ...]) -> None:
    """Check each token: who it is, what it may read, when it expires; exit 1 if any fails."""
    from somed.cli import EXIT_FAILED, check_accounts, open_archive

    config = state.config()
    keys = check_accounts(config, accounts)
    with closing(open_archive(config)) as db:
        outcomes = run_checks(config, db, keys)
    print_checks(config, state.t(), outcomes)
    sys.exit(EXIT_FAILED if any(o.failed for o in outcomes) else 0)


def print_checks(config: Config, t: Translator, outcomes: Sequence[CheckOutcome]) -> None:
    """The per-account table of a check, then a note per account and a summary line."""
    headers = [
        t("col.account"),
        t("col.identity"),
        t("col.streams"),
        t("col.token_expires"),
        t("col.data_access_expires"),
    ]
    table = []
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            table.append([outcome.account, t("check.not_readable"), "-", "-", "-"])
            continue
        streams = ", ".join(stream_name(t, s) for s in result.allowed_streams)
        table.append(
            [
                outcome.account,
                result.identity,
                streams,
                _when(t, result.expires_at),
                _when(t, result.data_access_expires_at),
            ]
        )
    click.echo(render_table(headers, table))
    now = datetime.now(UTC)
    days = config.monitoring.token_warning_days
    for outcome in outcomes:
        notes = _notes(config, t, outcome, now, days)
        if notes:
            click.echo(f"\n{outcome.account}: {' '.join(notes)}")
    failed = [o for o in outcomes if o.failed]
    click.echo()
    click.echo(
        t("check.failed", count=len(failed), total=len(outcomes))
        if failed
        else t("check.ok", total=len(outcomes))
    )


def _notes(
    config: Config, t: Translator, outcome: CheckOutcome, now: datetime, days: int
) -> list[str]:
    """What a person should know about one account's check, in `t`'s language."""
    from somed.display import token_place

    where = token_place(config.account(outcome.account))
    platform = outcome.platform
    if outcome.status == "auth_failed":
        reason = rejected_token(t, outcome.reason, outcome.params, platform=platform)
        return [t("note.auth_failed", reason=reason, where=where)]
    if outcome.result is None:
        why = render(t, outcome.reason, outcome.params, platform=platform, detail=outcome.message)
        return [t("note.check_failed", reason=why)]
    result = outcome.result
    notes = [t("note.no_permission", stream=stream_name(t, s)) + "." for s in result.denied]
    if result.missing_permissions:
        names = ", ".join(result.missing_permissions)
        notes.append(t("note.permissions_missing", permissions=names))
    if expires_soon(result.expires_at, now, days):
        notes.append(t("note.token_expiring", at=_when(t, result.expires_at)))
    if expires_soon(result.data_access_expires_at, now, days):
        notes.append(t("note.data_access_expiring", at=_when(t, result.data_access_expires_at)))
    return notes


def _when(t: Translator, moment: datetime | None) -> str:
    """An expiry in local time with its zone, or "never"."""
    return local_time(utc_iso(moment)) if moment else t("token.never_expires")
