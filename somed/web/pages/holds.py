"""Legal holds (spärrar): list, add, release, as `somed hold add|list|release` does.

Adding goes through `somed.registrar_actions.place_hold` (the CLI's checks: a configured
account, dates as YYYY-MM-DD, from before to, a query with words, a reason) and releasing through
`storage.holds.release_hold`, each audited in the user's name.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from somed.display import hold_covers
from somed.registrar_actions import place_hold
from somed.web.context import Context
from somed.web.notices import notify, take_notices
from somed.web.routing import MenuItem, Pages
from storage.holds import HoldError, list_holds, release_hold

PAGES = Pages(menu=[MenuItem(45, "/holds", "web.nav.holds", "registrar")])


def holds_shown(ctx: Context, *, active_only: bool = False) -> list[dict[str, Any]]:
    """The holds (or those in force), each with what it covers in words."""
    rows = list_holds(ctx.db, active_only=active_only)
    for row in rows:
        row["covers"] = hold_covers(row, ctx.t("hold.everything"))
    return rows


@PAGES.get("/holds", role="registrar")
def holds_page(ctx: Context) -> Response:
    """Every hold, active first, with the forms to add one and release one."""
    rows = holds_shown(ctx)
    rows.sort(key=lambda r: (r["released_at"] is not None, -int(r["id"])))
    return ctx.render("holds.html.j2", title=ctx.t("web.holds.title"), holds=rows,
                      accounts=[a.key for a in ctx.config.accounts],
                      notices=take_notices(ctx))  # fmt: skip


def _refused(ctx: Context, exc: HoldError) -> Response:
    """Keep why the hold was refused, back to the list."""
    notify(ctx, exc.code, alert=True, **exc.params)
    return ctx.redirect("/holds")


@PAGES.post("/holds", role="registrar", name="hold_add")
def add(ctx: Context) -> Response:
    """Add a hold from the form: reason, and optionally account, from, to and query."""
    account = ctx.field("account").strip() or None
    query = ctx.field("query").strip() or None
    try:
        with ctx.archive.writer() as db:
            hold_id = place_hold(db, [a.key for a in ctx.config.accounts],
                                 reason=ctx.field("reason").strip(), by=ctx.actor, now=ctx.now,
                                 account=account, from_date=ctx.field("from").strip() or None,
                                 to_date=ctx.field("to").strip() or None,
                                 query=query)  # fmt: skip
    except HoldError as exc:
        return _refused(ctx, exc)
    notify(ctx, "web.holds.added", id=hold_id)
    return ctx.redirect("/holds")


@PAGES.post("/holds/{hold_id:int}/release", role="registrar", name="hold_release")
def release(ctx: Context) -> Response:
    """Release a hold, with the reason given: its items follow the retention rules again."""
    hold_id = int(ctx.param("hold_id"))
    try:
        with ctx.archive.writer() as db:
            release_hold(db, hold_id, reason=ctx.field("reason").strip(), by=ctx.actor,
                         now=ctx.now)  # fmt: skip
    except HoldError as exc:
        return _refused(ctx, exc)
    notify(ctx, "web.holds.released", id=hold_id)
    return ctx.redirect("/holds")
