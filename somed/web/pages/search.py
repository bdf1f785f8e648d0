"""Search: the archive's full text (the same search as `somed search`), filtered, paginated, CSV.

`GET /search?q=...` with the filters `platform`, `account`, `kind`, `direction` (own|incoming),
`from`/`to` (YYYY-MM-DD, Swedish dates, `to` inclusive as a day), `deleted=1`, `flagged=1`,
`registered=1` and `page=N`; `GET /search.csv` exports the same hits. Readers and editors never
get private messages (kind `message`): not in hits, not in counts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from defusedcsv import csv
from starlette.responses import Response

from connectors.model import DIRECTIONS, KINDS
from somed.display import local_time
from somed.item_ref import format_item
from somed.web.context import Context
from somed.web.highlight import MARKS, highlight, plain
from somed.web.routing import MenuItem, Pages
from somed.when import parse_moment
from storage.search import BadQuery, search

PAGES = Pages(menu=[MenuItem(20, "/search", "web.nav.search", "reader")])
PRIVATE_KINDS = ("message",)
MAX_PAGES = 200  # deeper pages: narrow the search instead
CSV_LIMIT = 10_000
CSV_COLUMNS = ("item", "platform", "account", "kind", "direction", "created_at", "author",
               "deleted_at", "url", "snippet")  # fmt: skip
FLAGS = ("deleted", "flagged", "registered")


@dataclass
class SearchForm:
    """What the person asked for (as typed, for the form) and what it means for the search."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    page: int = 1
    nothing_visible: bool = False  # a reader asked for private messages only

    def query_string(self, **changes: Any) -> dict[str, Any]:
        """The form's values (with `changes`) as query parameters for a link."""
        return {**self.values, **changes}


def account_choices(ctx: Context) -> list[tuple[str, str]]:
    """(key, platform) of every account in the config or the archive's register."""
    found = {a.key: a.platform for a in ctx.config.accounts}
    for key, platform in ctx.db.execute("SELECT key, platform FROM accounts").fetchall():
        found.setdefault(key, platform)
    return sorted(found.items())


def visible_kinds(ctx: Context) -> tuple[str, ...]:
    """The kinds this user may search (private messages only for registrar and up)."""
    user = ctx.user
    return (
        KINDS
        if user is not None and user.sees_private
        else tuple(k for k in KINDS if k not in PRIVATE_KINDS)
    )


def _day(ctx: Context, name: str, errors: list[str], *, end: bool = False) -> datetime | None:
    """The date parameter `name` as the Swedish midnight it starts (`end`: ends) with, or None."""
    text = ctx.query(name).strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
        if day is None:
            raise ValueError(text)
        return parse_moment((day + timedelta(days=1) if end and day < date.max else day)
                            .isoformat())  # fmt: skip
    except ValueError:
        errors.append(ctx.t("web.search.bad_date", value=text))
        return None


def read_form(ctx: Context) -> SearchForm:
    """The query parameters checked: the search's filters, or the messages of what is wrong."""
    form = SearchForm()
    names = ("q", "platform", "account", "kind", "direction", "from", "to")
    form.values = {name: ctx.query(name).strip() for name in names}
    for name in FLAGS:
        form.values[name] = "1" if ctx.query(name) == "1" else ""
    accounts = dict(account_choices(ctx))
    platforms = sorted(set(accounts.values()))
    kinds = visible_kinds(ctx)
    v, errors, filters = form.values, form.errors, form.filters
    if v["platform"] and v["platform"] not in platforms:
        errors.append(ctx.t("web.search.bad_platform", value=v["platform"]))
    if v["account"] and v["account"] not in accounts:
        errors.append(ctx.t("web.search.bad_account", value=v["account"]))
    if v["kind"] and v["kind"] not in KINDS:
        errors.append(ctx.t("web.search.bad_kind", value=v["kind"]))
    if v["direction"] and v["direction"] not in DIRECTIONS:
        errors.append(ctx.t("web.search.bad_direction", value=v["direction"]))
    since, until = _day(ctx, "from", errors), _day(ctx, "to", errors, end=True)
    if since is not None and until is not None and since >= until:
        errors.append(ctx.t("web.search.since_after_until", since=v["from"], until=v["to"]))
    page = ctx.query("page", "1")
    form.page = min(max(int(page), 1), MAX_PAGES) if page.isdigit() else 1
    if v["kind"] and v["kind"] not in kinds:
        form.nothing_visible = True
    filters.update(
        accounts=[v["account"]] if v["account"] else None,
        platforms=[v["platform"]] if v["platform"] else None,
        kinds=[v["kind"]] if v["kind"] else (list(kinds) if kinds != KINDS else None),
        direction=v["direction"] or None,
        since=since,
        until=until,
        deleted_only=v["deleted"] == "1",
        flagged_only=v["flagged"] == "1",
        registered_only=v["registered"] == "1",
    )
    return form


def find(ctx: Context, form: SearchForm, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """The hits of `form` (BadQuery when its words hold nothing to search for)."""
    if form.nothing_visible:
        return []
    return search(ctx.db, form.values["q"], limit=limit, offset=offset, marks=MARKS,
                  **form.filters)  # fmt: skip


def render_search(ctx: Context, form: SearchForm, hits: list[dict[str, Any]], *,
                  asked: bool, more: bool = False, status: int = 200) -> Response:  # fmt: skip
    """The search page: the form as filled in, its messages, and one page of `hits`."""
    size = ctx.config.web.page_size
    first = (form.page - 1) * size + 1
    for hit in hits:
        hit["snippet_html"] = highlight(hit["snippet"])
    link = form.query_string
    return ctx.render(
        "search.html.j2", status=status, title=ctx.t("web.search.title"), form=form, hits=hits,
        asked=asked, accounts=account_choices(ctx), kinds=visible_kinds(ctx),
        directions=DIRECTIONS, flags=FLAGS, first=first, last=first + len(hits) - 1,
        previous_url=ctx.url("/search", **link(page=form.page - 1)) if form.page > 1 else None,
        next_url=ctx.url("/search", **link(page=form.page + 1)) if more else None,
        csv_url=ctx.url("/search.csv", **link()) if hits else None,
    )  # fmt: skip


@PAGES.get("/search", role="reader")
def search_page(ctx: Context) -> Response:
    """The search form and, once asked, one page of hits, newest first."""
    form = read_form(ctx)
    size = ctx.config.web.page_size
    found: list[dict[str, Any]] = []
    asked = bool(form.values["q"])
    if asked and not form.errors:
        try:
            found = find(ctx, form, size + 1, (form.page - 1) * size)
        except BadQuery:
            form.errors.append(ctx.t("web.search.bad_query", query=form.values["q"]))
    more = len(found) > size and form.page < MAX_PAGES
    return render_search(ctx, form, found[:size], asked=asked, more=more)


def to_csv(ctx: Context, hits: list[dict[str, Any]]) -> str:
    """The hits as CSV (UTF-8, a header row in the user's language, formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ctx.t(f"web.search.csv.{column}") for column in CSV_COLUMNS])
    for hit in hits:
        writer.writerow([
            format_item(hit["platform"], hit["item_id"]), hit["platform"], hit["account"],
            hit["kind"], hit["direction"], local_time(hit["created_at"]) if hit["created_at"]
            else "", hit.get("author_name") or "", local_time(hit["deleted_at"])
            if hit.get("deleted_at") else "", hit["url"] or "",
            " ".join(plain(hit["snippet"]).split()),
        ])  # fmt: skip
    return out.getvalue()


@PAGES.get("/search.csv", role="reader")
def search_csv(ctx: Context) -> Response:
    """The same hits as the search page (up to `CSV_LIMIT`), as a CSV download."""
    form = read_form(ctx)
    if not form.values["q"]:
        form.errors.append(ctx.t("web.search.empty"))
    hits: list[dict[str, Any]] = []
    if not form.errors:
        try:
            hits = find(ctx, form, CSV_LIMIT)
        except BadQuery:
            form.errors.append(ctx.t("web.search.bad_query", query=form.values["q"]))
    if form.errors:
        return render_search(ctx, form, [], asked=True, status=400)
    ctx.audit("download.search", "search", details={
        "query": form.values["q"], "filters": {k: v for k, v in form.values.items()
                                               if v and k != "q"}, "hits": len(hits)})  # fmt: skip
    body = "\ufeff" + to_csv(ctx, hits)  # the BOM lets spreadsheet programs read UTF-8
    name = f"somed-sok-{ctx.now:%Y%m%d-%H%M%S}.csv"
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip
