"""The human-readable rendition of a bundle: per account and calendar month, HTML and PDF/A.

For each account, the records of the period are streamed from the archive into a temporary
file sorted by thread (`spill`), planned into parts of at most a few thousand records with
threads kept whole (`parts`), and each part is written as one self-contained HTML file (user
text escaped, a Content-Security-Policy that forbids scripts and network fetches) and the same
as PDF/A-2b, drawn from the same data by ReportLab in worker processes
(`somed.bundle.printable`). `index.html` lists the parts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from connectors.model import parse_utc, utc_iso
from somed.bundle.printable.document import PHRASES, PartDocument
from somed.bundle.printable.worker import PdfMaker
from somed.bundle.rendition.html import Views, render
from somed.bundle.rendition.parts import Part, plan_parts
from somed.bundle.rendition.spill import UNDATED, Spill, temporary_spill
from somed.bundle.rendition.threads import Node, build_thread, count_nodes
from somed.bundle.staging import Staging
from somed.display import local_time
from somed.i18n import Translator
from storage import queries

HTML_MIME = "text/html"
PDF_MIME = "application/pdf"


def write_renditions(
    staging: Staging,
    db: Database,
    accounts: list[dict[str, Any]],
    since: str | None,
    until: str | None,
    *,
    payload: str,
    media_paths: Mapping[str, str],
    lang: str = "sv",
    pdf: bool = True,
    pdf_workers: int = 2,
    media_sources: Mapping[str, Path] | None = None,
    spill: Spill | None = None,
    maker: PdfMaker | None = None,
) -> None:
    """Write `rendition/<account>/` (index.html, <YYYY-MM>[-n].html and .pdf) under `payload`.

    `media_paths` (sha256 -> path in the payload) are what the pages link to; the PDFs draw the
    images from `media_sources` (sha256 -> the file in the archive's store) when given, so the
    rendition need not wait for the media to be copied, else from the payload. `spill`: the
    period's records, already spilled (a bundle fills it while writing `records.jsonl`);
    without it they are read from `db`. `maker`: the PDF workers to use (the caller closes
    them; a bundle starts them before it writes the records), else `pdf_workers` are started.
    """
    t = Translator(lang)
    with contextlib.ExitStack() as stack:
        if spill is None:
            spill = stack.enter_context(temporary_spill())
            for account in accounts:
                spill.add(queries.export_items(db, account=account["key"], since=parse_utc(since),
                                               until=parse_utc(until)))  # fmt: skip
        if pdf and maker is None:
            maker = stack.enter_context(contextlib.closing(PdfMaker(pdf_workers)))
        elif not pdf:
            maker = None
        for account in accounts:
            views = Views(t, media_paths, f"rendition/{account['key']}", media_sources)
            _account(staging, spill, account, payload, views, t, maker)


def _account(
    staging: Staging,
    spill: Spill,
    account: dict[str, Any],
    payload: str,
    views: Views,
    t: Translator,
    maker: PdfMaker | None,
) -> None:
    """Write one account's parts and its index."""
    key = account["key"]
    folder = f"{payload}/rendition/{key}"
    now = staging.now or utc_iso(datetime.now(UTC))
    parts = plan_parts(spill.threads(key))
    rows = []
    for part in parts:
        threads = _part_threads(spill, key, part, views, t)
        title = t("rendition.part_title", account=account.get("name") or key,
                  month=_month_label(t, part))  # fmt: skip
        rel = f"{folder}/{part.name}.html"
        html = render("part.html", t=t, lang=t.language, title=title, account=account,
                      count=part.records, threads=threads, now=now)  # fmt: skip
        staging.write_bytes(rel, html.encode("utf-8"), HTML_MIME, "rendition")
        if maker is not None:
            doc = PartDocument(
                title=title, intro=t("rendition.part_intro", count=part.records,
                                     account=key, platform=account.get("platform")),
                author=account.get("owner") or account.get("name") or key, created=now,
                phrases=t.phrases(PHRASES), root=str(staging.path(payload)),
                threads=threads,
                footer=t("rendition.footer", when=local_time(now)),
            )  # fmt: skip
            maker.submit(doc, _writer(staging, f"{folder}/{part.name}.pdf"))
        rows.append({"name": part.name, "label": _month_label(t, part),
                     "threads": len(part.threads), "records": part.records,
                     "pdf": maker is not None})  # fmt: skip
    profiles = [views.node(Node(p)) for p in spill.profiles.get(key, [])]
    title = t("rendition.index_title", account=account.get("name") or key)
    html = render("index.html", t=t, lang=t.language, title=title, account=account, parts=rows,
                  profiles=profiles, now=now)  # fmt: skip
    staging.write_bytes(f"{folder}/index.html", html.encode("utf-8"), HTML_MIME, "rendition")


def _writer(staging: Staging, rel: str):  # noqa: ANN202 - a callback
    def done(data: bytes) -> None:
        with staging.open(rel, PDF_MIME, "rendition") as out:
            out.write(data)

    return done


def _part_threads(
    spill: Spill, account: str, part: Part, views: Views, t: Translator
) -> list[dict[str, Any]]:
    """The threads of a part, ready for the template."""
    shown = []
    for key in part.threads:
        root, top = build_thread(spill.records(account, key))
        first = root.record if root else (top[0].record if top else {})
        when = local_time(first.get("created_at"))
        if key.startswith("conversation:"):
            people = sorted({n.record.get("author", {}).get("name") or "?" for n in top
                             if n.record.get("direction") == "incoming"})  # fmt: skip
            title = t("rendition.conversation", people=", ".join(people) or "?", when=when)
        elif root is not None:
            text = " ".join((root.record.get("text") or "").split())
            title = t(
                "rendition.thread", when=when, text=text[:60] + ("…" if len(text) > 60 else "")
            )
        else:
            title = t("rendition.thread_outside", id=key.partition(":")[2])
        shown.append({
            "title": title,
            "root": views.node(root) if root else None,
            "top": [views.node(n) for n in top],
            "note": t("rendition.root_outside"),
            "records": count_nodes(root, top),
        })  # fmt: skip
    return shown


def _month_label(t: Translator, part: Part) -> str:
    if part.month == UNDATED:
        label = t("rendition.undated")
    else:
        year, month = part.month.split("-")
        label = f"{t(f'rendition.month.{int(month)}')} {year}"
    return label if part.number == 0 else f"{label} ({t('rendition.part', n=part.number)})"
