"""The `somed capture` verb: one capture now, through the running daemon when there is one."""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING, Any

import click

from somed.capture_report import outcome_of, print_capture

if TYPE_CHECKING:
    from somed.cli import State


@click.command("capture")
@click.option("--account", "account", required=True, metavar="KEY", help="The account to capture.")
@click.option(
    "--url",
    metavar="URL",
    default=None,
    help="A post permalink of the account to capture instead of its public page.",
)
@click.pass_obj
def capture_command(state: State, account: str, url: str | None) -> None:
    """Capture an account's public page (or one post) now; exit 1 unless the verdict is valid."""
    from somed.cli import EXIT_FAILED, check_accounts, fail_queue_access, fail_usage, open_archive
    from somed.logs import setup_logging
    from somed.run_requests import daemon_running, through_daemon

    config = state.config()
    check_accounts(config, [account])
    if url is not None and not url.lower().startswith(("http://", "https://")):
        fail_usage(state.t()("usage.bad_url", option="--url", value=url))
    setup_logging(config.logging.format, "warning", secrets=config.secret_values(),
                  stream=sys.stderr)  # fmt: skip
    outcome: dict[str, Any] | None = None
    if daemon_running(config.storage_dir):  # it holds the browser logins: let it do the work
        try:
            done = through_daemon(config.db_path, config.storage_dir, [account], kind="capture",
                                  url=url)  # fmt: skip
        except (OSError, sqlite3.Error) as exc:
            fail_queue_access(config, exc, "capture")
            raise  # unreachable
        if done[0].state == "done":
            outcome = dict(done[0].outcome or {"account": account, "status": "failed"})
    if outcome is None:
        from somed.capture import CaptureRequest, capture_accounts

        open_archive(config).close()
        results = capture_accounts(config, [CaptureRequest(account, url=url, trigger="manual")])
        outcome = outcome_of(results[0])
    print_capture(state.t(), outcome, config.storage_dir)
    sys.exit(0 if outcome.get("verdict") == "valid" else EXIT_FAILED)
