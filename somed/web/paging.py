"""Pages of long lists: which page `?page=` asks for, and the links to the pages beside it."""

from __future__ import annotations

from math import ceil
from typing import Any

from somed.web.context import Context


def pager(ctx: Context, total: int) -> dict[str, Any]:
    """The page asked for (`?page=`, from 1) of `total` rows: number, pages, offset, size."""
    size = ctx.config.web.page_size
    pages = max(1, ceil(total / size))
    try:
        number = min(max(1, int(ctx.query("page", "1"))), pages)
    except ValueError:
        number = 1
    return {"number": number, "pages": pages, "offset": (number - 1) * size, "size": size,
            "total": total}  # fmt: skip


def page_links(ctx: Context, page: dict[str, Any], path: str, **query: Any) -> dict[str, str]:
    """The URLs of the previous and next pages (keeping the filters in `query`)."""
    links = {}
    if page["number"] > 1:
        links["prev"] = ctx.url(path, **query, page=page["number"] - 1)
    if page["number"] < page["pages"]:
        links["next"] = ctx.url(path, **query, page=page["number"] + 1)
    return links
