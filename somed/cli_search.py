"""`somed search QUERY`: find archived items by their words (read-only, no token)."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

import click

from connectors.model import DIRECTIONS, KINDS
from somed.cli_errors import OneLineCommand


@click.command("search", cls=OneLineCommand)
@click.argument("query", metavar="QUERY")
@click.option(
    "--account", "accounts", multiple=True, metavar="KEY", help="Only this account (repeatable)."
)
@click.option("--since", metavar="DATE", help="Created at or after (YYYY-MM-DD, Swedish time).")
@click.option("--until", metavar="DATE", help="Created before (YYYY-MM-DD, Swedish time).")
@click.option("--direction", type=click.Choice(DIRECTIONS), default=None, help="own or incoming.")
@click.option(
    "--kind", "kinds", type=click.Choice(KINDS), multiple=True, help="Only this kind (repeatable)."
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most N hits."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def search_command(
    state: Any,
    query: str,
    accounts: tuple[str, ...],
    since: str | None,
    until: str | None,
    direction: str | None,
    kinds: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """Search the archive's texts: words, "phrases" and prefixes (skol*), newest first."""
    from somed.cli import check_accounts, fail_usage, open_readonly, parse_when
    from somed.display import local_time, render_table
    from somed.item_ref import format_item
    from storage.search import BadQuery, search

    config = state.config()
    t = state.t()
    since_at, until_at = parse_when(since, "--since"), parse_when(until, "--until")
    if since_at is not None and until_at is not None and since_at >= until_at:
        fail_usage(t("usage.since_after_until", since=since, until=until))
    keys = check_accounts(config, accounts) if accounts else None
    db = open_readonly(config, missing_ok=True)
    hits: list[dict[str, Any]] = []
    if db is not None:
        with closing(db):
            try:
                hits = search(db, query, accounts=keys, since=since_at, until=until_at,
                              direction=direction, kinds=kinds or None, limit=limit)  # fmt: skip
            except BadQuery:
                fail_usage(t("registrar.search.bad_query", query=query))
    for hit in hits:
        hit["item"] = format_item(hit["platform"], hit["item_id"])
    if as_json:
        click.echo(json.dumps(hits, ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo(t("registrar.search.none"))
        return
    headers = [t("registrar.col.item"), t("col.account"), t("registrar.col.created"),
               t("registrar.col.snippet")]  # fmt: skip
    table = [
        [h["item"], h["account"], local_time(h["created_at"]), " ".join(h["snippet"].split())]
        for h in hits
    ]
    click.echo(render_table(headers, table))
    click.echo()
    click.echo(t.n("registrar.search.count", len(hits)))
