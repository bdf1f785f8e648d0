"""`somed retention plan|apply` and `somed hold add|list|release`: disposal and legal holds.

`retention plan` and `hold list` only read the archive (no token, opened read-only);
`retention apply` and the hold changes write, each change in the audit log with the OS user.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from typing import Any

import click

from somed.cli_errors import OneLineCommand


def _archive(state: Any, *, write: bool) -> Any:
    """The archive, read-write or read-only, or exit 2 with one line."""
    from somed.cli import fail_usage, open_archive, open_readonly

    config = state.config()
    if not config.db_path.exists():
        fail_usage(state.t()("status.no_archive", path=config.db_path))
    return open_archive(config) if write else open_readonly(config)


@click.group("retention")
def retention_cli() -> None:
    """Disposal (gallring) by the retention rules of [retention]: plan, then apply."""


@retention_cli.command("plan", cls=OneLineCommand)
@click.option("--json", "as_json", is_flag=True, help="The plan with every item, as JSON.")
@click.pass_obj
def plan_command(state: Any, as_json: bool) -> None:
    """Show what the rules dispose of now, per rule, and the plan's id (read-only)."""
    from somed.display import human_bytes, render_table
    from somed.retention.plan import plan_from_archive
    from somed.status import utc_now

    config = state.config()
    t = state.t()
    with closing(_archive(state, write=False)) as db:
        plan = plan_from_archive(db, config.retention, utc_now())
    if as_json:
        click.echo(json.dumps(plan.to_json(), ensure_ascii=False, indent=2))
        return
    if not config.retention.rules:
        click.echo(t("retention.no_rules", path=config.path))
    else:
        headers = [t("retention.col.rule"), t("retention.col.decision"),
                   t("retention.col.action"), t("retention.col.matched"),
                   t("retention.col.dispose"), t("retention.col.held"),
                   t("retention.col.bytes")]  # fmt: skip
        rows = [[r.name, r.decision, t(f"retention.action.{r.action}", period=r.period or ""),
                 r.matched, r.due, r.held, human_bytes(r.bytes)] for r in plan.rules]  # fmt: skip
        click.echo(render_table(headers, rows))
        click.echo()
    click.echo(t("retention.summary", id=plan.id, dispose=len(plan.disposals), held=plan.held,
                 unmatched=plan.unmatched, examined=plan.examined))  # fmt: skip
    if plan.disposals:
        click.echo(t("retention.apply_hint", id=plan.id))


@retention_cli.command("apply", cls=OneLineCommand)
@click.option("--plan", "plan_id", required=True, metavar="ID",
              help="The id `somed retention plan` showed (what was reviewed).")  # fmt: skip
@click.pass_obj
def apply_command(state: Any, plan_id: str) -> None:
    """Dispose of what plan ID shows; refuse (exit 1) if the plan is no longer the same."""
    from somed.actor import os_actor
    from somed.cli import EXIT_FAILED
    from somed.retention.apply import PlanChanged, apply_plan
    from somed.status import utc_now

    config = state.config()
    t = state.t()
    with closing(_archive(state, write=True)) as db:
        try:
            done = apply_plan(db, config.retention, plan_id, by=os_actor(), now=utc_now(),
                              storage_root=config.storage_dir)  # fmt: skip
        except PlanChanged as exc:
            click.echo("somed: error: " + t("retention.changed", id=exc.asked,
                                            current=exc.current), err=True)  # fmt: skip
            sys.exit(EXIT_FAILED)
    click.echo(t("retention.applied", count=done.disposed, id=done.plan.id,
                 files=done.files_removed))  # fmt: skip


@click.group("hold")
def hold_cli() -> None:
    """Legal holds: items they cover are never disposed of."""


@hold_cli.command("add", cls=OneLineCommand)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@click.option("--account", metavar="KEY", help="Only this account's items.")
@click.option("--from", "from_date", metavar="DATE", help="Created on or after (YYYY-MM-DD).")
@click.option("--to", "to_date", metavar="DATE", help="Created on or before (YYYY-MM-DD).")
@click.option("--query", metavar="TEXT", help="Only items whose text matches (full-text query).")
@click.pass_obj
def hold_add(state: Any, reason: str, account: str | None, from_date: str | None,
             to_date: str | None, query: str | None) -> None:  # fmt: skip
    """Add a legal hold: what it covers is kept whatever the retention rules say."""
    from somed.actor import os_actor
    from somed.cli import check_accounts, fail_usage
    from somed.registrar_actions import place_hold
    from somed.status import utc_now
    from storage.holds import HoldError

    config = state.config()
    if account is not None:
        check_accounts(config, [account])
    try:
        with closing(_archive(state, write=True)) as db:
            hold_id = place_hold(db, [a.key for a in config.accounts], reason=reason,
                                 by=os_actor(), now=utc_now(), account=account,
                                 from_date=from_date, to_date=to_date, query=query)  # fmt: skip
    except HoldError as exc:
        fail_usage(str(exc))
    click.echo(state.t()("hold.added", id=hold_id))


@hold_cli.command("list", cls=OneLineCommand)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def hold_list(state: Any, as_json: bool) -> None:
    """List the holds, active and released (read-only)."""
    from somed.display import hold_covers, local_time, render_table
    from storage.holds import list_holds

    t = state.t()
    with closing(_archive(state, write=False)) as db:
        rows = list_holds(db)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("hold.none"))
        return
    headers = [t("hold.col.id"), t("hold.col.reason"), t("hold.col.covers"),
               t("hold.col.created"), t("hold.col.released")]  # fmt: skip
    table = [[r["id"], r["reason"], hold_covers(r, t("hold.everything")),
              f"{local_time(r['created_at'])} {r['created_by']}",
              f"{local_time(r['released_at'])} {r['released_by']}: {r['release_reason']}"
              if r["released_at"] else "-"] for r in rows]  # fmt: skip
    click.echo(render_table(headers, table))


@hold_cli.command("release", cls=OneLineCommand)
@click.argument("hold_id", metavar="ID", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@click.pass_obj
def hold_release(state: Any, hold_id: int, reason: str) -> None:
    """Release hold ID: its items follow the retention rules again."""
    from somed.actor import os_actor
    from somed.cli import fail_usage
    from somed.status import utc_now
    from storage.holds import HoldError, release_hold

    with closing(_archive(state, write=True)) as db:
        try:
            release_hold(db, hold_id, reason=reason, by=os_actor(), now=utc_now())
        except HoldError as exc:
            fail_usage(str(exc))
    click.echo(state.t()("hold.released", id=hold_id))
