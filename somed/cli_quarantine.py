"""`somed quarantine [--json]` and `somed quarantine retry`: items kept raw, and a second try.

Neither needs a token: listing only reads the archive, and a retry normalises the stored raw
items again with the code of this somed (after an upgrade, say), offline, through each
connector's `renormalise`; those that now pass are archived like any walk's records.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import click
from sqlite_utils import Database

from connectors.model import utc_iso, valid_utf8
from connectors.registry import connector_class
from storage import quarantine
from storage.db import transaction
from storage.writer import ArchiveWriter


def _open(state: Any, accounts: Sequence[str], *, write: bool = False) -> tuple[Any, Database]:
    """The config and the archive, or exit 2 with one line (no archive, unknown account).

    Listing opens the archive read-only (no token, any user who may read it); `retry` writes.
    """
    from somed.cli import fail_usage, open_archive, open_readonly

    config = state.config()
    known = [a.key for a in config.accounts]
    for key in accounts:
        if key not in known:
            fail_usage(f"--account {key!r}: no such account in {config.path}")
    if not config.db_path.exists():
        fail_usage(state.t()("status.no_archive", path=config.db_path))
    if write:
        return config, open_archive(config)
    db = open_readonly(config)
    assert db is not None
    return config, db


def _rows(db: Database, accounts: Sequence[str]) -> list[dict[str, Any]]:
    rows = quarantine.entries(db)
    return [r for r in rows if not accounts or r["account"] in accounts]


def _dumps(value: Any) -> str:
    """JSON for a terminal: non-ASCII kept, lone surrogates (no terminal prints) escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text if valid_utf8(text) else json.dumps(value, indent=2)


@click.group("quarantine", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (raw items too).")
@click.option(
    "--account", "accounts", multiple=True, metavar="KEY", help="Only this account (repeatable)."
)
@click.pass_context
def quarantine_cli(ctx: click.Context, as_json: bool, accounts: tuple[str, ...]) -> None:
    """List items kept raw because they could not be archived (needs no token)."""
    if ctx.invoked_subcommand is not None:
        return
    from somed.display import local_time, render_table

    state = ctx.obj
    config, db = _open(state, accounts)
    with closing(db):
        rows = _rows(db, accounts)
    if as_json:
        click.echo(_dumps(rows))
        return
    t = state.t()
    if not rows:
        click.echo(t("quarantine.none"))
        return
    columns = ("stream", "item", "first_seen", "seen", "error")
    headers = [t("col.account"), *(t(f"quarantine.col.{c}") for c in columns)]
    table = [
        [r["account"], r["stream"], r["item_id"] or "-", local_time(r["first_seen_at"]),
         r["seen_count"], r["error"][:100]]
        for r in rows
    ]  # fmt: skip
    click.echo(render_table(headers, table))
    click.echo()
    click.echo(t.n("quarantine.count", len(rows)))


def retry_entries(db: Database, accounts: Sequence[str] = ()) -> tuple[int, int]:
    """Normalise open entries again; archive those that pass. Return (moved, still held)."""
    now = datetime.now(UTC)
    stamp = utc_iso(now) or ""
    writer = ArchiveWriter(db, lambda: now)
    moved = 0
    rows = _rows(db, accounts)
    for row in rows:
        entry = quarantine.as_entry(row)
        try:
            record = connector_class(entry.platform).renormalise(entry)
        except Exception as exc:  # noqa: BLE001 - today's code fails on it too: it stays held
            with transaction(db):
                quarantine.note_retry(db, row["id"], f"{type(exc).__name__}: {exc}", stamp)
            continue
        with transaction(db):
            stats = writer.write_batch(entry.account, [record], stream=entry.stream)
            if not stats.quarantined:
                quarantine.resolve(db, row["id"], stamp)
                moved += 1
    return moved, len(rows) - moved


@quarantine_cli.command("retry")
@click.option(
    "--account", "accounts", multiple=True, metavar="KEY", help="Only this account (repeatable)."
)
@click.pass_obj
def retry(state: Any, accounts: tuple[str, ...]) -> None:
    """Normalise quarantined items again; archive those that now pass (exit 1 if some stay)."""
    _, db = _open(state, accounts, write=True)
    with closing(db):
        moved, held = retry_entries(db, accounts)
    click.echo(state.t()("quarantine.retried", moved=moved, held=held))
    sys.exit(1 if held else 0)
