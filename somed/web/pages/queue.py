"""The queue (kö): open flags and items to register; register, dismiss, mark individual case.

The list is `somed flags`'s (`somed.queue_list.flag_rows`); every change goes through
`somed.registrar_actions` as the CLI's verbs do, in the user's name. Registering needs a
registrar; an editor may dismiss flags and mark individual cases of the accounts they are editor
or substitute of, and sees only those accounts (and no private messages). One form holds the
checkboxes (`item`, `flag`); each button posts it to its own route (`formaction`), so one or
many are handled alike. Every POST ends in a redirect to the list with what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlite_utils import Database
from starlette.responses import Response

from somed.item_ref import format_item, parse_item
from somed.queue_list import flag_rows, why_text
from somed.registrar_actions import Refused, dismiss, mark_case, register_numbers
from somed.web.context import Context
from somed.web.notices import notify, take_notices
from somed.web.paging import page_links, pager
from somed.web.routing import MenuItem, Pages

PAGES = Pages(menu=[MenuItem(30, "/queue", "web.nav.queue", "editor")])
MAX_SELECTED = 500
EXCERPT = 160
RECENT = 10  # registry numbers listed under the queue


def chosen(ctx: Context, name: str) -> list[str]:
    """The values of a repeated form field (checkboxes), without blanks or repeats."""
    getlist = getattr(ctx.form, "getlist", None)
    values = getlist(name) if getlist else [ctx.form.get(name, "")]
    found = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(found))[:MAX_SELECTED]


def _excerpts(ctx: Context, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The start of each listed item's text (private messages left out: not shown here)."""
    found: dict[str, str] = {}
    for row in rows:
        if row.get("item") and row.get("kind") != "message" and row.get("item_id"):
            hit = ctx.db.execute("SELECT text FROM items WHERE platform = ? AND id = ?",
                                 [row["platform"], row["item_id"]]).fetchone()  # fmt: skip
            text = (hit[0] or "") if hit else ""
            found[row["item"]] = text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")
    return found


def visible_rows(ctx: Context) -> list[dict[str, Any]]:
    """The queue and open flags this user may see: an editor's accounts, no private messages."""
    assert ctx.user is not None
    keys = None if ctx.user.allows("registrar") else ctx.user.worked_accounts(ctx.config)
    platforms = {a.key: a.platform for a in ctx.config.accounts}
    rows = flag_rows(ctx.db, ctx.t, platforms, accounts=keys)
    if not ctx.user.sees_private:
        rows = [r for r in rows if r.get("kind") != "message"]
    return rows


def recently_registered(ctx: Context, limit: int = RECENT) -> list[dict[str, Any]]:
    """The newest registry numbers given (any account: for registrars), newest first."""
    rows = ctx.db.execute(
        "SELECT r.platform, r.item_id, r.number, r.registered_at, r.registered_by, i.account"
        " FROM registrations AS r LEFT JOIN items AS i ON i.platform = r.platform"
        " AND i.id = r.item_id ORDER BY r.registered_at DESC, r.rowid DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [{"item": format_item(p, i), "number": n, "at": at, "by": by, "account": account}
            for p, i, n, at, by, account in rows]  # fmt: skip


@PAGES.get("/queue", role="editor")
def queue_page(ctx: Context) -> Response:
    """The registration queue and the other open flags, with the actions this user may take."""
    assert ctx.user is not None
    rows = visible_rows(ctx)
    queued = [r for r in rows if r["in_queue"]]
    others = [r for r in rows if not r["in_queue"]]
    page = pager(ctx, len(queued))
    shown = queued[page["offset"] : page["offset"] + page["size"]]
    for row in shown + others:
        row["why_text"] = why_text(ctx.t, row)
    return ctx.render(
        "queue.html.j2", title=ctx.t("web.queue.title"), queued=shown, others=others, page=page,
        links=page_links(ctx, page, "/queue"), excerpts=_excerpts(ctx, shown + others),
        notices=take_notices(ctx), may_register=ctx.user.allows("registrar"),
        registered=recently_registered(ctx) if ctx.user.allows("registrar") else [],
    )  # fmt: skip


def _account_of_item(ctx: Context, ref: tuple[str, str]) -> str | None:
    """The account of an archived item, None when it is not in the archive."""
    row = ctx.db.execute("SELECT account FROM items WHERE platform = ? AND id = ?",
                         list(ref)).fetchone()  # fmt: skip
    return str(row[0]) if row else None


def _account_of_flag(ctx: Context, flag_id: int) -> str | None:
    """The account a flag belongs to, None when there is no such flag."""
    row = ctx.db.execute("SELECT account FROM flags WHERE id = ?", [flag_id]).fetchone()
    return str(row[0]) if row else None


def _items(ctx: Context) -> list[tuple[str, str]] | None:
    """The items chosen (`item` fields, `PLATFORM:ID`); None when one is not a reference."""
    refs = []
    for text in chosen(ctx, "item"):
        try:
            refs.append(parse_item(text))
        except ValueError:
            return None
    return refs


def _may_work(ctx: Context, accounts: Sequence[str | None]) -> bool:
    """True when the user may work every one of these accounts (None: not found, checked later)."""
    assert ctx.user is not None
    return all(key is None or ctx.user.works_account(ctx.config, key) for key in accounts)


def _each(ctx: Context, targets: Sequence[Any] | None,
          act: Callable[[Database, Any], tuple[str, dict[str, Any]]]) -> Response:  # fmt: skip
    """Do `act` for each target in its own short write, keep what happened, back to the list.

    A refusal of the input itself (no reason, no number) stops at the first; one about a target
    (already dismissed, not in the archive) is noted and the others go on.
    """
    if targets is None:
        notify(ctx, "web.queue.bad_item", alert=True)
    elif not targets:
        notify(ctx, "web.queue.none_chosen", alert=True)
    for target in targets or []:
        try:
            with ctx.archive.writer() as db:
                text_id, params = act(db, target)
        except Refused as exc:
            notify(ctx, f"web.queue.refused.{exc.code}", alert=True, **exc.params)
            if exc.code.startswith("usage."):
                break
            continue
        notify(ctx, text_id, **params)
    return ctx.redirect("/queue")


@PAGES.post("/queue/register", role="registrar", name="queue_register")
def register_items(ctx: Context) -> Response:
    """Give each chosen item the registry number (diarienummer) written."""
    number = ctx.field("number")

    def act(db: Database, ref: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        [(given, added)] = register_numbers(db, ref, [number], by=ctx.actor, now=ctx.now)
        text_id = "web.queue.registered" if added else "web.queue.already_registered"
        return text_id, {"item": format_item(*ref), "number": given}

    return _each(ctx, _items(ctx), act)


@PAGES.post("/queue/dismiss", role="editor", name="queue_dismiss")
def dismiss_flags(ctx: Context) -> Response:
    """Mark each chosen flag wrong, with the reason written (an editor: own accounts only)."""
    try:
        ids: list[int] | None = [int(v) for v in chosen(ctx, "flag")]
    except ValueError:
        ids = None
    if not _may_work(ctx, [_account_of_flag(ctx, flag_id) for flag_id in ids or []]):
        return ctx.problem(403, "web.queue.not_yours")
    reason = ctx.field("reason")

    def act(db: Database, flag_id: int) -> tuple[str, dict[str, Any]]:
        dismiss(db, flag_id, reason=reason, by=ctx.actor, now=ctx.now)
        return "web.queue.dismissed", {"id": flag_id}

    return _each(ctx, ids, act)


@PAGES.post("/queue/case", role="editor", name="queue_case")
def mark_cases(ctx: Context) -> Response:
    """Mark each chosen item (or the one named) as an individual case, with the reason."""
    refs = _items(ctx)
    named = ctx.field("ref").strip()
    if refs is not None and named:
        try:
            refs.append(parse_item(named))
        except ValueError:
            refs = None
    if not _may_work(ctx, [_account_of_item(ctx, ref) for ref in refs or []]):
        return ctx.problem(403, "web.queue.not_yours")
    reason = ctx.field("reason")

    def act(db: Database, ref: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        flag_id = mark_case(db, ref, reason=reason, by=ctx.actor, now=ctx.now)
        return "web.queue.case_marked", {"item": format_item(*ref), "id": flag_id}

    return _each(ctx, refs, act)
