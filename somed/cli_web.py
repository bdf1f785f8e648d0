"""`somed web` (the web UI, served by uvicorn) and `somed user add|list|disable` (its people)."""

from __future__ import annotations

import json
import sys
from contextlib import closing
from typing import Any

import click

from somed.cli_errors import OneLineCommand, OneLineErrorGroup
from somed.config_web import MAX_WORKERS

ROLES = ("admin", "registrar", "editor", "reader")


@click.command("web", cls=OneLineCommand)
@click.option("--listen", metavar="HOST:PORT", help="Listen here instead of [web] listen.")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS),
              help="Worker processes instead of [web] workers.")  # fmt: skip
@click.pass_obj
def web_command(state: Any, listen: str | None, workers: int | None) -> None:
    """Serve the web UI on [web] listen (put it behind a TLS reverse proxy)."""
    from somed.cli import fail_usage, open_archive
    from somed.config_errors import ConfigError
    from somed.logs import setup_logging
    from somed.web.app import create_app
    from somed.web.serve import SWITCH_INTERVAL, serve, with_web
    from somed.web.session import session_key

    sys.setswitchinterval(SWITCH_INTERVAL)  # not the CLI's shorter one: see somed.web.serve
    config = state.config()
    if listen:
        try:
            config = with_web(config, listen=listen)
        except ValueError:
            fail_usage(state.t()("web.usage.listen", value=listen[:60]))
            return
    if workers:
        config = with_web(config, workers=workers)
    setup_logging(config.logging.format, config.logging.level, secrets=config.secret_values())
    open_archive(config).close()  # migrated once; pages then read it read-only
    try:
        key = session_key(config)
    except ConfigError as exc:
        fail_usage(str(exc))
        return
    if config.organisation is not None:  # here only, whatever the workers: jobs built once
        from somed.web.bundle_jobs import worker_for

        worker_for(config)  # fails what a stopped web service left, takes up the queue
    started = serve(config, key, lambda: create_app(config, session_key=key))
    sys.exit(0 if started else 1)


@click.group("user", cls=OneLineErrorGroup)
def user_cli() -> None:
    """The web UI's local users: add, list, disable."""


@user_cli.command("add", cls=OneLineCommand)
@click.argument("name", metavar="NAME")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--full-name", metavar="TEXT", help="The person's name (as an account's editor).")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (one line).")  # fmt: skip
@click.pass_obj
def user_add(state: Any, name: str, role: str, full_name: str | None, password_stdin: bool) -> None:
    """Add a local user with a password read from standard input."""
    from somed.actor import os_actor
    from somed.cli import fail_usage, open_archive
    from somed.status import utc_now
    from somed.users import UserError, add_local_user

    t = state.t()
    line = sys.stdin.readline(4097)
    password = line.rstrip("\r\n")
    if not password:
        fail_usage(t("user.password_missing"))
    config = state.config()
    with closing(open_archive(config)) as db:
        try:
            add_local_user(db, name, role, password, full_name=full_name, by=os_actor(),
                           now=utc_now())  # fmt: skip
        except UserError as exc:
            fail_usage(t(exc.reason, **exc.params))
    click.echo(t("user.added", name=name, role=t(f"web.role.{role}")))


@user_cli.command("list", cls=OneLineCommand)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def user_list(state: Any, as_json: bool) -> None:
    """List the users (read-only)."""
    from somed.cli import open_readonly
    from somed.display import local_time, render_table
    from storage.users import list_users

    t = state.t()
    db = open_readonly(state.config(), missing_ok=True)
    rows: list[dict[str, Any]] = []
    if db is not None:
        with closing(db):
            rows = list_users(db)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("user.none"))
        return
    heads = [t("user.col.name"), t("user.col.role"), t("user.col.full_name"),
             t("user.col.source"), t("user.col.state"), t("user.col.last_login")]  # fmt: skip
    table = [
        [row["name"], t(f"web.role.{row['role']}"), row["full_name"] or "-", row["source"],
         t("user.disabled") if row["disabled_at"] else t("user.active"),
         local_time(row["last_login_at"])]
        for row in rows
    ]  # fmt: skip
    click.echo(render_table(heads, table))


@user_cli.command("disable", cls=OneLineCommand)
@click.argument("name", metavar="NAME")
@click.option("--reason", metavar="TEXT", help="Why (kept in the audit log).")
@click.pass_obj
def user_disable(state: Any, name: str, reason: str | None) -> None:
    """Disable a user: they can no longer sign in, and their sessions end."""
    from somed.actor import os_actor
    from somed.cli import fail_usage, open_archive
    from somed.status import utc_now
    from somed.users import UserError, disable

    t = state.t()
    with closing(open_archive(state.config())) as db:
        try:
            changed = disable(db, name, by=os_actor(), reason=reason, now=utc_now())
        except UserError as exc:
            fail_usage(t(exc.reason, **exc.params))
            return
    click.echo(t("user.disabled_now" if changed else "user.disabled_already", name=name))
