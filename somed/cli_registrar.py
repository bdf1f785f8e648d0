"""The registrar's verbs: `somed flags` (the queue, dismiss, case), `somed register`, `somed audit`.

Listing (`flags`, `audit`) opens the archive read-only (no token, any user who may read the
storage folder). Every change (`flags dismiss`, `flags case`, `register`) is written in one
transaction with its audit entry, in the name of `somed.actor.os_actor()`.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import click

from somed.cli_errors import OneLineCommand, OneLineErrorGroup


def _item(state: Any, text: str) -> tuple[str, str]:
    """(platform, id) from ITEM, or exit 2 with one line."""
    from somed.cli import fail_usage
    from somed.item_ref import parse_item

    try:
        return parse_item(text)
    except ValueError as exc:
        fail_usage(str(exc))
        raise  # unreachable


def _writable(state: Any) -> Any:
    """The archive opened for writing (migrated), or exit 2 with one line."""
    from somed.cli import fail_usage, open_archive

    config = state.config()
    if not config.db_path.exists():
        fail_usage(state.t()("status.no_archive", path=config.db_path))
    return open_archive(config)


def _refused(state: Any, exc: Any) -> None:
    """Say why a change was refused (`somed.registrar_actions.Refused`), in one line; exit."""
    from somed.cli import EXIT_FAILED, fail_usage

    text = state.t()(f"registrar.{exc.code}", **exc.params)
    if exc.usage:
        fail_usage(text)
    click.echo(f"somed: error: {text}", err=True)
    sys.exit(EXIT_FAILED)


@click.group("flags", cls=OneLineErrorGroup, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--open", "open_only", is_flag=True, help="Only what is still open.")
@click.option(
    "--account", "accounts", multiple=True, metavar="KEY", help="Only this account (repeatable)."
)
@click.option(
    "--export",
    "export_format",
    type=click.Choice(["csv"]),
    default=None,
    help="The registration queue as a list to work from (csv).",
)
@click.pass_context
def flags_cli(
    ctx: click.Context,
    as_json: bool,
    open_only: bool,
    accounts: tuple[str, ...],
    export_format: str | None,
) -> None:
    """The registration queue and the open flags (read-only, no token)."""
    if ctx.invoked_subcommand is not None:
        return
    from somed.cli import check_accounts, fail_usage, open_readonly
    from somed.display import local_time, render_table
    from somed.queue_list import flag_rows, to_csv, why_text

    state = ctx.obj
    if as_json and export_format:
        fail_usage(state.t()("registrar.usage.one_format"))
    config = state.config()
    t = state.t()
    keys = check_accounts(config, accounts) if accounts else None
    platforms = {a.key: a.platform for a in config.accounts}
    db = open_readonly(config, missing_ok=True)
    rows: list[dict[str, Any]] = []
    if db is not None:
        with closing(db):
            rows = flag_rows(db, t, platforms, accounts=keys, open_only=open_only)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if export_format == "csv":
        click.echo(to_csv(t, rows), nl=False)
        return
    queued = [r for r in rows if r["in_queue"]]
    others = [r for r in rows if not r["in_queue"]]
    if queued:
        headers = [t("registrar.col.item"), t("col.account"), t("registrar.col.kind"),
                   t("registrar.col.created"), t("flags.col.why")]  # fmt: skip
        table = [
            [r["item"], r["account"], t(f"registrar.kind.{r['kind']}"),
             local_time(r["created_at"]), why_text(t, r)]
            for r in queued
        ]  # fmt: skip
        click.echo(render_table(headers, table))
        click.echo()
        click.echo(t.n("registrar.queue.count", len(queued)))
    if others:
        if queued:
            click.echo()
        headers = [t("col.account"), t("flags.col.flag"), t("flags.col.since"), t("flags.col.why")]
        table = [
            [r["account"] + (f" {r['item']}" if r["item"] else ""), t(f"flag.{r['flag']}"),
             local_time(r["created_at"]), r["text"]]
            for r in others
        ]  # fmt: skip
        click.echo(render_table(headers, table))
        click.echo()
        click.echo(t.n("flags.count", len(others)))
    if not rows:
        click.echo(t("flags.none"))


@flags_cli.command("dismiss")
@click.argument("flag_id", metavar="FLAG_ID", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why it is wrong (kept).")
@click.pass_obj
def dismiss_command(state: Any, flag_id: int, reason: str) -> None:
    """Mark a flag as wrong: it is kept, closed, with who and why (audited)."""
    from somed.actor import os_actor
    from somed.registrar_actions import Refused, checked_reason, dismiss

    t = state.t()
    try:
        checked_reason(reason)
        with closing(_writable(state)) as db:
            dismiss(db, flag_id, reason=reason, by=os_actor(), now=datetime.now(UTC))
    except Refused as exc:
        _refused(state, exc)
    click.echo(t("registrar.dismissed", id=flag_id))


@flags_cli.command("case")
@click.argument("item", metavar="ITEM")
@click.option("--reason", required=True, metavar="TEXT", help="Which case, or why (kept).")
@click.pass_obj
def case_command(state: Any, item: str, reason: str) -> None:
    """Mark an item as concerning an individual case: it joins the registration queue."""
    from somed.actor import os_actor
    from somed.registrar_actions import Refused, checked_reason, mark_case

    t = state.t()
    ref = _item(state, item)
    try:
        checked_reason(reason)
        with closing(_writable(state)) as db:
            flag_id = mark_case(db, ref, reason=reason, by=os_actor(), now=datetime.now(UTC))
    except Refused as exc:
        _refused(state, exc)
        return
    click.echo(t("registrar.case_marked", item=item, id=flag_id))


@click.command("register", cls=OneLineCommand)
@click.argument("item", metavar="ITEM")
@click.option(
    "--number",
    "numbers",
    required=True,
    multiple=True,
    metavar="NR",
    help='The registry number (diarienummer), e.g. "KS 2026/123" (repeatable).',
)
@click.pass_obj
def register_command(state: Any, item: str, numbers: tuple[str, ...]) -> None:
    """Record an item's registry number: it leaves the registration queue (audited)."""
    from somed.actor import os_actor
    from somed.registrar_actions import Refused, register_numbers

    t = state.t()
    ref = _item(state, item)
    try:
        with closing(_writable(state)) as db:
            done = register_numbers(db, ref, numbers, by=os_actor(), now=datetime.now(UTC))
    except Refused as exc:
        _refused(state, exc)
        return
    for number, added in done:
        key = "registrar.registered" if added else "registrar.already_registered"
        click.echo(t(key, item=item, number=number))


@click.command("audit", cls=OneLineCommand)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--verify", is_flag=True, help="Walk the hash chain; exit 1 if it is broken.")
@click.pass_obj
def audit_command(state: Any, as_json: bool, verify: bool) -> None:
    """The audit log: who changed or removed what, when and why (read-only, no token)."""
    from somed.cli import EXIT_FAILED, open_readonly
    from somed.display import local_time, render_table
    from storage import audit

    config = state.config()
    t = state.t()
    db = open_readonly(config, missing_ok=True)
    if verify:
        checked, problems = audit.verify(db) if db is not None else (0, [])
        if db is not None:
            db.close()
        if as_json:
            found = [{"entry_id": p.entry_id, "problem": p.problem} for p in problems]
            click.echo(json.dumps({"checked": checked, "problems": found}, indent=2))
        else:
            for p in problems:
                text = t(f"registrar.chain.{p.problem}", id=p.entry_id)
                click.echo(f"somed: error: {text}", err=True)
            if not problems:
                click.echo(t.n("registrar.chain.ok", checked))
        sys.exit(EXIT_FAILED if problems else 0)
    rows = []
    if db is not None:
        with closing(db):
            rows = audit.entries(db)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("registrar.audit.none"))
        return
    columns = ("at", "actor", "action", "target", "reason")
    headers = [t(f"registrar.audit.col.{c}") for c in columns]
    table = [
        [local_time(r["at"]), r["actor"], r["action"], r["target"] or "-", r["reason"] or "-"]
        for r in rows
    ]
    click.echo(render_table(headers, table))
