"""The audit log (granskningslogg): filtered, paginated, as CSV, with the chain check on top.

Filters: actor and action (exact), target (contains), a date range in Swedish dates (both days
included). The chain check is `storage.audit.verify`, the one `somed audit --verify` runs. The CSV
(`/audit.csv`, the same filters) is written with `defusedcsv`: reasons are written by people, and
a spreadsheet must not run one as a formula. Every download is itself an entry
(`audit_exported`, with the filters and the number of rows).
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from defusedcsv import csv
from starlette.responses import Response

from connectors.model import utc_iso
from somed.display import LOCAL_TZ, local_time
from somed.web.context import Context
from somed.web.paging import page_links, pager
from somed.web.routing import MenuItem, Pages
from storage import audit

PAGES = Pages(menu=[MenuItem(60, "/audit", "web.nav.audit", "registrar")])
FILTERS = ("actor", "action", "target", "from", "to")
COLUMNS = ("id", "at", "actor", "action", "target", "reason", "details")
MAX_CSV_ROWS = 200_000


def _day(text: str) -> date | None:
    """A YYYY-MM-DD date, None when blank or not a date."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _midnight(day: date) -> str:
    """Swedish midnight at the start of `day`, as UTC ISO."""
    return utc_iso(datetime.combine(day, time(0), tzinfo=LOCAL_TZ)) or ""


def filters(ctx: Context) -> dict[str, str]:
    """The filters asked for (query parameters), blanks left out."""
    return {name: ctx.query(name).strip()[:200] for name in FILTERS if ctx.query(name).strip()}


def where(chosen: dict[str, str]) -> tuple[str, list[Any]]:
    """The SQL WHERE clause and values for the filters."""
    parts: list[str] = []
    values: list[Any] = []
    for name in ("actor", "action"):
        if name in chosen:
            parts.append(f"{name} = ?")
            values.append(chosen[name])
    if "target" in chosen:
        parts.append("target LIKE ? ESCAPE '\\'")
        escaped = chosen["target"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values.append(f"%{escaped}%")
    start, end = _day(chosen.get("from", "")), _day(chosen.get("to", ""))
    if start is not None:
        parts.append("at >= ?")
        values.append(_midnight(start))
    if end is not None:
        parts.append("at < ?")
        values.append(_midnight(end + timedelta(days=1)))
    return (" WHERE " + " AND ".join(parts) if parts else ""), values


def _rows(ctx: Context, chosen: dict[str, str], limit: int, offset: int) -> list[dict[str, Any]]:
    """The entries that pass the filters, newest first."""
    clause, values = where(chosen)
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log{clause} ORDER BY id DESC LIMIT ? OFFSET ?"
    return [dict(row) for row in ctx.db.query(sql, [*values, limit, offset])]


@PAGES.get("/audit", role="registrar")
def audit_page(ctx: Context) -> Response:
    """The audit log, newest first, with the filters, pages and the chain check's result."""
    chosen = filters(ctx)
    clause, values = where(chosen)
    total = int(ctx.db.execute(f"SELECT count(*) FROM audit_log{clause}", values).fetchone()[0])
    page = pager(ctx, total)
    checked, problems = audit.verify(ctx.db)
    chain = [ctx.t(f"registrar.chain.{p.problem}", id=p.entry_id) for p in problems]
    actions = [r[0] for r in ctx.db.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1")]
    return ctx.render(
        "audit.html.j2", title=ctx.t("web.audit.title"), chosen=chosen, actions=actions,
        entries=_rows(ctx, chosen, page["size"], page["offset"]), page=page,
        links=page_links(ctx, page, "/audit", **chosen), checked=checked, chain=chain,
        csv_url=ctx.url("/audit.csv", **chosen),
    )  # fmt: skip


@PAGES.get("/audit.csv", role="registrar", name="audit_csv")
def audit_csv(ctx: Context) -> Response:
    """The filtered audit log as CSV (headers in the reader's language, local times); audited."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ctx.t(f"web.audit.col.{c}") for c in COLUMNS])
    chosen = filters(ctx)
    found = _rows(ctx, chosen, MAX_CSV_ROWS, 0)
    for row in found:
        details = row["details"]
        if details:
            details = json.dumps(json.loads(details), ensure_ascii=False, sort_keys=True)
        writer.writerow([row["id"], local_time(row["at"]), row["actor"], row["action"],
                         row["target"] or "", row["reason"] or "", details or ""])  # fmt: skip
    ctx.audit("audit_exported", "audit_log", None, {"filters": chosen, "rows": len(found)})
    name = f"somed-audit-{ctx.now.astimezone(LOCAL_TZ):%Y%m%d-%H%M}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
