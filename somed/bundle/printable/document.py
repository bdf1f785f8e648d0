"""A part's threads drawn on PDF pages: what `part.html` and `record.html` show, in the same order.

The input is what the HTML templates get (the `Views` dicts of `html.py`), so both renditions
show the same records with the same words from the same catalogues: a post with its comments
and replies nested below it (a rule in the margin for each level), versions oldest first,
deletions and disposals framed, images drawn from the bundle's own files, and every text the
users wrote drawn as text, never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from somed.bundle.printable.pages import BODY, H1, H2, HEAD, MARKED, META, Pages
from somed.display import local_time
from somed.i18n import Phrases

PHRASES = (
    "rendition.permalink", "rendition.registry_numbers", "rendition.flag",
    "rendition.flag_resolved", "rendition.disposed", "rendition.versions",
    "rendition.version_seen", "rendition.version_current", "rendition.hidden",
    "rendition.deleted", "rendition.image_unreadable", "rendition.media_file",
    "rendition.media_missing",
)  # fmt: skip


@dataclass(frozen=True)
class PartDocument:
    """Everything one PDF part shows (picklable: it is sent to a worker process)."""

    title: str
    intro: str
    author: str
    created: str  # UTC ISO time of the bundle
    phrases: Phrases  # the texts of `PHRASES`, in the rendition's language
    root: str  # the payload folder: images without a `source` in the store are read from it
    threads: list[dict[str, Any]]
    footer: str


def draw_part(pages: Pages, doc: PartDocument) -> None:
    """Draw the title, the introduction and every thread of the part."""
    t = doc.phrases
    root = Path(doc.root).resolve()
    pages.text(doc.title, H1)
    pages.text(doc.intro, BODY)
    for number, thread in enumerate(doc.threads, 1):
        pages.nest(0)
        pages.space(10)
        pages.room(H2.leading + HEAD.leading + 2 * META.leading + BODY.leading)
        pages.rule()
        pages.bookmark(f"t-{number}", thread["title"])
        pages.text(thread["title"], H2)
        if thread["root"]:
            _record(pages, thread["root"], t, root)
        else:
            pages.text(thread["note"], META)
        for record in thread["top"]:
            _record(pages, record, t, root)
    pages.nest(0)
    pages.space(10)
    pages.text(doc.footer, META)


def _record(pages: Pages, r: dict[str, Any], t: Phrases, root: Path) -> None:
    """One record and the answers to it, as `record.html` shows it."""
    pages.nest(r["depth"] + 1)
    pages.space(4)
    pages.room(HEAD.leading + META.leading + BODY.leading)
    pages.text(f"{r['kind']}: {r['author']}, {local_time(r['created'])}", HEAD)
    pages.text(" · ".join(filter(None, (r["direction"], f"id {r['id']}"))), META)
    if r["url"]:
        pages.text(f"{t('rendition.permalink')}: {r['url']}", META, link=r["link"])
    if r["numbers"]:
        pages.text(f"{t('rendition.registry_numbers')}: {', '.join(r['numbers'])}", META)
    for f in r["flags"]:
        line = t("rendition.flag", flag=f["label"], reason=f.get("reason") or "-",
                 since=local_time(f.get("created_at")))  # fmt: skip
        if f.get("resolved_at"):
            line += " " + t("rendition.flag_resolved", when=local_time(f["resolved_at"]))
        pages.text(line, META)
    disposal = r["disposal"]
    if disposal:
        pages.text(t("rendition.disposed", when=local_time(disposal.get("disposed_at")),
                     rule=disposal.get("rule"), decision=disposal.get("decision")),
                   MARKED, box=True)  # fmt: skip
    elif r["versions"]:
        pages.text(t("rendition.versions"), META)
        for v in r["versions"]:
            pages.text(t("rendition.version_seen", n=v.get("version"),
                         when=local_time(v.get("seen_at"))), META)  # fmt: skip
            _content(pages, v.get("text"), v["media"], t, root)
        pages.text(t("rendition.version_current",
                     when=local_time(r["edited"] or r["last_seen"])), META)  # fmt: skip
        _content(pages, r["text"], r["media"], t, root)
    else:
        _content(pages, r["text"], r["media"], t, root)
    if r["hidden"]:
        pages.text(t("rendition.hidden"), META)
    if r["deleted"]:
        pages.text(t("rendition.deleted", when=local_time(r["deleted"])), MARKED, box=True)
    for child in r["children"]:
        _record(pages, child, t, root)
        pages.nest(r["depth"] + 1)


def _content(
    pages: Pages, text: str | None, media: list[dict[str, Any]], t: Phrases, root: Path
) -> None:
    """A text as it was written, then its media: images drawn, other files named."""
    if text:
        pages.text(text, BODY)
    for m in media:
        path = m.get("path")
        if path and m["image"]:
            file = Path(m["source"]) if m.get("source") else (root / path).resolve()
            inside = m.get("source") or file.is_relative_to(root)
            if inside and file.is_file() and pages.image(file):
                continue
            pages.text(f"{t('rendition.image_unreadable', mime=m['mime'])}: {path}", META)
        elif path:
            pages.text(f"{t('rendition.media_file', mime=m['mime'])}: {path}", META)
        else:
            pages.text(t("rendition.media_missing", mime=m["mime"]), META)
