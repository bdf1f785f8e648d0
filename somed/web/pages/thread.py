"""Thread: an item with its whole thread (the post and every comment and reply, or a conversation).

`GET /items/{platform}/{item_id}` reads the thread in a few queries by `thread_id` (the
index), whatever its size, and shows it as a tree (`somed.web.thread_view`): each item's
author, times, upprättad/inkommen, versions with their differences, deletion and disposal marks,
flags, registry numbers, media, the capture of its permalink, and (`?raw=1`) the stored raw
JSON of each version. A conversation (private messages) exists only for registrars and admins:
anyone else gets 404, and every view is written to the audit log (`view.message`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from connectors.model import DIRECTIONS, KINDS
from somed.display import local_time
from somed.item_ref import format_item
from somed.web.context import Context
from somed.web.routing import Pages
from somed.web.thread_view import build_tree, flatten, page_holding, paginate, version_history
from storage.captures import captures_of_urls
from storage.queries import assemble_records

PAGES = Pages()
PRIVATE_KINDS = ("message",)
MAX_THREAD = 5000  # items shown of one thread (the oldest first); beyond, a note says so
PAGE_ITEMS = 50  # items on one page of a long thread (whole top comments with their replies)
SHAPE = "id, parent_id, thread_id, kind, created_at"  # what the tree and the paging need
COLUMNS = (
    "platform, account, kind, id, parent_id, thread_id, direction, author_id, author_name, text,"
    " created_at, edited_at, url, first_seen_at, last_seen_at, deleted_at, sha256,"
    " version_count, extra"
)
REPEATED = ("unknown_author", "created", "edited", "first_seen", "last_seen", "current",
            "no_text", "flags", "registry_numbers", "captures", "versions", "no_raw")  # fmt: skip
CAPTURE_FILES = (("png_sha256", "png"), ("pdf_sha256", "pdf"), ("wacz_sha256", "wacz"),
                 ("manifest_sha256", "manifest"))  # fmt: skip


def _rows(cursor: Any) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def load_thread(
    ctx: Context, platform: str, item_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], bool]:
    """(the item, its thread's rows oldest first, whether the thread was cut at MAX_THREAD)."""
    db = ctx.db
    found = _rows(db.execute(f"SELECT {COLUMNS} FROM items WHERE platform = ? AND id = ?",
                             [platform, item_id]))  # fmt: skip
    if not found:
        return None, [], False
    item = found[0]
    root = item["thread_id"] or item["id"]
    rows = _rows(db.execute(  # the tree's shape only: the page's own items are read in full later
        f"SELECT {SHAPE} FROM items WHERE thread_id = :root AND platform = :platform"
        f" UNION SELECT {SHAPE} FROM items WHERE platform = :platform AND id = :root"
        " ORDER BY created_at, id LIMIT :limit",
        {"root": root, "platform": platform, "limit": MAX_THREAD + 1},
    ))  # fmt: skip
    cut = len(rows) > MAX_THREAD
    rows = rows[:MAX_THREAD]
    if not any(r["id"] == item["id"] for r in rows):
        rows.append({name: item[name] for name in SHAPE.split(", ")})
    return item, rows, cut


def full_rows(ctx: Context, platform: str, ids: list[str]) -> list[dict[str, Any]]:
    """The items `ids` of `platform` with every column the page shows, in the order given."""
    cursor = ctx.db.execute(
        f"SELECT {COLUMNS} FROM items WHERE platform = ?"
        " AND id IN (SELECT value FROM json_each(?))",
        [platform, json.dumps(ids)],
    )
    found = {r["id"]: r for r in _rows(cursor)}
    return [found[i] for i in ids if i in found]


def version_rows(ctx: Context, platform: str, ids: list[str], raw: bool) -> dict[str, Any]:
    """Per item id: {version: seen_at} and, with `raw`, {version: raw JSON text}."""
    if not ids:
        return {}
    column = ", raw" if raw else ""
    cursor = ctx.db.execute(
        f"SELECT item_id, version, seen_at{column} FROM item_versions WHERE platform = ?"
        " AND item_id IN (SELECT value FROM json_each(?)) ORDER BY item_id, version",
        [platform, json.dumps(ids)],
    )
    found: dict[str, Any] = {}
    for row in cursor.fetchall():
        entry = found.setdefault(row[0], {"seen": {}, "raw": []})
        entry["seen"][int(row[1])] = row[2]
        if raw:
            entry["raw"].append({"version": row[1], "seen_at": row[2], "json": _pretty(row[3])})
    return found


def _pretty(text: str | None) -> str:
    """Raw JSON indented for reading (as stored when it is not JSON)."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        return text


def capture_links(ctx: Context, records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per item url: the captures of that page, newest first, with their files' hashes."""
    urls = [r["url"] for r in records if r.get("url")]
    by_url: dict[str, list[dict[str, Any]]] = {}
    for capture in reversed(captures_of_urls(ctx.db, urls)):
        files = [(role, capture[column]) for column, role in CAPTURE_FILES if capture[column]]
        shown = {"started_at": capture["started_at"], "verdict": capture["verdict"],
                 "files": files}  # fmt: skip
        for url in {capture["url_asked"], capture["url_fetched"], capture["final_url"]}:
            if url:
                by_url.setdefault(url, []).append(shown)
    return by_url


class Times:
    """Stored UTC times as Swedish local time, each distinct one converted once per page."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, value: str | None) -> str:
        """`value` in local time ("" for None)."""
        if not value:
            return ""
        if value not in self.seen:
            self.seen[value] = local_time(value)
        return self.seen[value]


def labels(ctx: Context) -> dict[str, str]:
    """The texts every item of a thread repeats, translated once per page."""
    found = {f"kind.{k}": ctx.t(f"web.records.kind.{k}") for k in KINDS}
    found |= {f"direction.{d}": ctx.t(f"web.records.direction.{d}") for d in DIRECTIONS}
    found |= {name: ctx.t(f"web.records.{name}") for name in REPEATED}
    found |= {name: ctx.t(f"web.thread.{name}") for name in ("this_item", "on_platform")}
    return found


def _web_link(url: str | None) -> bool:
    """True for an http(s) URL (a platform's `javascript:` or `data:` URL is never a link)."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def media_view(media: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The media of an item as the page shows them (no stored path)."""
    shown = []
    for m in media:
        mime = m.get("mime_type") or ""
        shown.append({"sha256": m.get("sha256"), "mime_type": mime or None,
                      "size": m.get("size"), "kind": m.get("kind"),
                      "image": bool(m.get("sha256")) and mime.startswith("image/")})  # fmt: skip
    return shown


def flag_name(ctx: Context, flag: str) -> str:
    """A flag's name in the user's language (its code when the catalogues have none)."""
    return ctx.t(f"flag.{flag}") if ctx.t.has(f"flag.{flag}") else flag


def item_view(
    ctx: Context,
    record: dict[str, Any],
    versions: dict[str, Any],
    captures: dict[str, list[dict[str, Any]]],
    times: Times,
) -> dict[str, Any]:
    """What the page shows of one record beside the record itself: versions, media, times..."""
    history = version_history(record, versions["seen"])
    for version in history:
        version["seen_local"] = times(version["seen_at"])
        version["edited_local"] = times(version["edited_at"])
    at = {name: times(record[name]) for name in
          ("created_at", "edited_at", "first_seen_at", "last_seen_at", "deleted_at")}  # fmt: skip
    if record["disposal"]:
        at["disposed_at"] = times(record["disposal"]["disposed_at"])
    return {
        "history": history, "raw": versions["raw"], "media": media_view(record["media"]),
        "captures": captures.get(record["url"], []) if record["url"] else [],
        "link": record["url"] if _web_link(record["url"]) else None, "at": at,
        "flags": [{**f, "name": flag_name(ctx, f["flag"]),
                   "at": times(f["resolved_at"] or f["created_at"])} for f in record["flags"]],
    }  # fmt: skip


@PAGES.get("/items/{platform}/{item_id:path}", role="reader")
def thread_page(ctx: Context) -> Response:
    """The item's whole thread as a tree, the item itself marked."""
    platform, item_id = ctx.param("platform"), ctx.param("item_id")
    item, rows, cut = load_thread(ctx, platform, item_id)
    if item is None:
        return ctx.problem(404, "web.error.not_found")
    private = any(r["kind"] in PRIVATE_KINDS for r in rows)
    if private and not (ctx.user is not None and ctx.user.sees_private):
        return ctx.problem(404, "web.error.not_found")  # so its existence does not leak
    raw = ctx.query("raw") == "1"
    pages = paginate(build_tree(rows), PAGE_ITEMS)
    try:
        number = min(max(1, int(ctx.query("page"))), len(pages))
    except ValueError:
        number = page_holding(pages, item_id)
    tree = pages[number - 1]
    nodes = flatten(tree)
    page_rows = full_rows(ctx, platform, [str(node.record["id"]) for node in nodes])
    records = list(assemble_records(ctx.db, page_rows))
    by_id = {r["id"]: r for r in records}
    for node in nodes:
        node.record = by_id[node.record["id"]]
    several = [r["id"] for r in records if raw or r["versions"]]
    versions = version_rows(ctx, platform, several, raw)
    captures = capture_links(ctx, records)
    times = Times()
    shown = {
        r["id"]: item_view(ctx, r, versions.get(r["id"], {"seen": {}, "raw": []}), captures, times)
        for r in records
    }
    if private:
        ctx.audit("view.message", format_item(platform, item_id),
                  details={"thread": item["thread_id"] or item["id"],
                           "messages": sum(r["kind"] in PRIVATE_KINDS for r in rows)})  # fmt: skip
    root = next((r for r in records if r["id"] == (item["thread_id"] or item["id"])), None)
    base = f"/items/{quote(platform)}/{quote(item_id)}"
    pager = {
        "number": number, "pages": len(pages),
        "prev": ctx.url(base, raw="1" if raw else "", page=number - 1) if number > 1 else None,
        "next": ctx.url(base, raw="1" if raw else "", page=number + 1)
        if number < len(pages) else None,
    }  # fmt: skip
    return ctx.render(
        "thread.html.j2", title=ctx.t("web.thread.title_private" if private
                                      else "web.thread.title"),
        item=item, root=root, tree=tree, shown=shown, private=private, raw=raw,
        cut=cut, limit=MAX_THREAD, count=len(rows), ref=format_item(platform, item_id),
        pager=pager,
        raw_url=ctx.url(base, raw="1"), plain_url=base, labels=labels(ctx),
    )  # fmt: skip
