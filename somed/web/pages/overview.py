"""The overview: every account's health, last success, token, open flags, snapshot, the queue."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from somed.duties.windows import current_window
from somed.status import account_status, health_note
from somed.web.context import Context
from somed.web.routing import MenuItem, Pages
from storage.captures import latest_capture

PAGES = Pages(menu=[MenuItem(10, "/", "web.nav.overview", "reader")])
QUEUE_SHOWN = 20


def snapshot_of(ctx: Context, key: str) -> dict[str, Any]:
    """The account's snapshot state for the current half-year: the valid capture, or none."""
    window = current_window(ctx.now, ctx.config.capture.windows)
    found = latest_capture(ctx.db, key, verdict="valid", since=window.start)
    return {"window": window.label, "capture": found}


def run_queue(ctx: Context, limit: int = QUEUE_SHOWN) -> list[dict[str, Any]]:
    """The newest run and capture requests, queued and running first."""
    rows = ctx.db.execute(
        "SELECT id, account, kind, requested_by, requested_at, state, started_at, finished_at"
        " FROM run_requests ORDER BY state IN ('queued', 'running') DESC, id DESC LIMIT ?",
        [limit],
    ).fetchall()
    keys = ("id", "account", "kind", "requested_by", "requested_at", "state", "started_at",
            "finished_at")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


@PAGES.get("/", role="reader")
def overview(ctx: Context) -> Response:
    """Every account at a glance, and the run queue."""
    rows = account_status(ctx.config, ctx.db, now=ctx.now)
    for row in rows:
        row["note"] = health_note(ctx.t, row)
        row["snapshot"] = snapshot_of(ctx, row["key"])
        row["open_flags"] = len(row["flags"])
    return ctx.render("overview.html.j2", title=ctx.t("web.overview.title"), rows=rows,
                      queue=run_queue(ctx))  # fmt: skip
