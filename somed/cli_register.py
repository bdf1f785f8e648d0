"""`somed accounts` and `somed close`: the register, and closing (`flags`: `cli_registrar`).

`accounts` is a read-only verb (no token, the archive opened read-only, for any
user who may read the storage folder); `close` writes, and reads the account's token itself.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from typing import Any

import click

from somed.cli_errors import OneLineCommand


@click.command("accounts", cls=OneLineCommand)
@click.option("--json", "as_json", is_flag=True, help="The list as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="The list as CSV.")
@click.option("--html", "as_html", is_flag=True, help="The list as an accessible HTML page.")
@click.option(
    "--internal", is_flag=True, help="Add the editor, substitute and plan (not for publishing)."
)
@click.pass_obj
def accounts_command(
    state: Any, as_json: bool, as_csv: bool, as_html: bool, internal: bool
) -> None:
    """The public list of accounts (register of accounts; read-only, no token)."""
    from somed.cli import fail_usage, open_readonly
    from somed.register_list import account_list, cell, labels, to_csv, to_html
    from somed.status import utc_now

    if sum((as_json, as_csv, as_html)) > 1:
        fail_usage(state.t()("usage.one_format"))
    config = state.config()
    t = state.t()
    db = open_readonly(config, missing_ok=True)
    if db is None:
        rows = account_list(config, None, internal=internal)
    else:
        with closing(db):
            rows = account_list(config, db, internal=internal)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(to_csv(t, rows, internal=internal), nl=False)
    elif as_html:
        click.echo(to_html(t, rows, now=utc_now(), internal=internal))
    else:
        from somed.display import render_table

        heads = labels(t, internal)
        order = [c for c in heads if c != "url"] + ["url"]  # the long links last
        table = [[cell(t, row, column) or "-" for column in order] for row in rows]
        click.echo(render_table([heads[c] for c in order], table))


@click.command("close", cls=OneLineCommand)
@click.option("--account", "key", required=True, metavar="KEY", help="The account to close.")
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@click.option(
    "--force", is_flag=True, help="Close even if a step failed (recorded with who and why)."
)
@click.pass_obj
def close_command(state: Any, key: str, reason: str, force: bool) -> None:
    """Archive, capture and then close an account; refuse if a step fails (exit 1)."""
    from somed.cli import EXIT_FAILED, check_accounts, fail_usage, open_archive
    from somed.close import close
    from somed.logs import setup_logging
    from somed.reasons import render

    config = state.config()
    t = state.t()
    check_accounts(config, [key])
    if not reason.strip():
        fail_usage(t("usage.close_reason"))
    setup_logging(
        config.logging.format, "warning", secrets=config.secret_values(), stream=sys.stderr
    )
    open_archive(config).close()  # migrated, the register synced from the config
    platform = config.account(key).platform

    def said(step: Any) -> None:
        why = render(t, step.reason, step.params, platform=platform) if step.reason else ""
        what = "skipped" if step.skipped else ("ok" if step.ok else "failed")
        click.echo(t(f"closing.step.{step.name}.{what}", reason=why, **step.made))

    try:
        result = close(config, key, reason=reason, force=force, on_step=said)
    except LookupError:
        fail_usage(t("closing.not_registered", account=key))
        return
    except ValueError:
        click.echo(f"somed: error: {t('closing.already_closed', account=key)}", err=True)
        sys.exit(EXIT_FAILED)
    if not result.closed:
        step = result.failed[0]
        why = render(t, step.reason, step.params, platform=platform)
        message = t("closing.refused", account=key, step=t(f"closing.name.{step.name}"), reason=why)
        click.echo(f"somed: error: {message}", err=True)
        sys.exit(EXIT_FAILED)
    if result.forced:
        names = ", ".join(t(f"closing.name.{name}") for name in result.forced)
        click.echo(t("closing.forced", account=key, steps=names))
    else:
        click.echo(t("closing.done", account=key))
