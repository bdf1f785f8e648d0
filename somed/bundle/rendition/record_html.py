"""One record of a part (and the answers to it) as HTML: a small function, not a template macro.

What the Jinja macro `record` of `record.html` wrote, byte for byte, at a fraction of the cost
(a bundle renders every record of the archive once). Everything the users wrote, and every
text from the catalogues, is escaped with markupsafe as the templates' autoescape does: a
comment holding `<script>` shows as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from somed.display import local_time

Text = Callable[..., str]  # a Translator or Phrases


def _get(values: Mapping[str, Any], key: str) -> Any:
    """A value as a template reads it: a missing key reads as empty."""
    return values.get(key, "")


def time_tag(iso: str | None) -> Markup:
    """`<time datetime="…">` and the local time."""
    return Markup(f'<time datetime="{escape(iso)}">{escape(local_time(iso))}</time>')


def record_html(t: Text, r: Mapping[str, Any], level: int) -> Markup:
    """The `<article>` of record `r` (a `Views.node` dict) under a heading of `level`."""
    out: list[str] = []
    _record(out, t, r, level)
    return Markup("".join(out))


def _record(out: list[str], t: Text, r: Mapping[str, Any], level: int) -> None:
    e = escape
    rid = e(r["id"])
    out.append(f'<article class="rec" id="r-{rid}" aria-labelledby="h-{rid}">\n'
               f'<h{level} id="h-{rid}">{e(r["kind"])}: {e(r["author"])},'
               f' {time_tag(r["created"])}</h{level}>\n'
               f'<p class="meta">{e(r["direction"])}')  # fmt: skip
    if r["url"]:
        out.append(f" · {e(t('rendition.permalink'))}: ")
        if r["link"]:
            out.append(f'<a href="{e(r["link"])}" rel="noopener noreferrer">{e(r["url"])}</a>')
        else:
            out.append(str(e(r["url"])))
    out.append(f" · id {rid}</p>\n")
    if r["numbers"]:
        numbers = ", ".join(str(e(n)) for n in r["numbers"])
        out.append(f'<p class="meta">{e(t("rendition.registry_numbers"))}: {numbers}</p>')
    for f in r["flags"]:
        line = t("rendition.flag", flag=_get(f, "label"), reason=_get(f, "reason") or "-",
                 since=local_time(_get(f, "created_at")))  # fmt: skip
        out.append(f'<p class="meta">{e(line)}')
        if _get(f, "resolved_at"):
            out.append(f" {e(t('rendition.flag_resolved', when=local_time(f['resolved_at'])))}")
        out.append("</p>")
    disposal = r["disposal"]
    if disposal:
        text = t("rendition.disposed", when=local_time(_get(disposal, "disposed_at")),
                 rule=_get(disposal, "rule"), decision=_get(disposal, "decision"))  # fmt: skip
        out.append(f'<p class="mark">{e(text)}</p>\n')
    elif r["versions"]:
        label = e(t("rendition.versions"))
        out.append(f'<section aria-label="{label}"><p class="meta">{label}</p>\n'
                   '<ol class="versions">\n')  # fmt: skip
        for v in r["versions"]:
            seen = t("rendition.version_seen", n=_get(v, "version"),
                     when=local_time(_get(v, "seen_at")))  # fmt: skip
            out.append(f'<li><p class="meta">{e(seen)}</p><p class="text">'
                       f'{e(_get(v, "text") or "")}</p>')  # fmt: skip
            _media(out, t, _get(v, "media"))
            out.append("</li>\n")
        current = t("rendition.version_current", when=local_time(r["edited"] or r["last_seen"]))
        out.append(f'<li><p class="meta">{e(current)}</p><p class="text">{e(r["text"] or "")}</p>')
        _media(out, t, r["media"])
        out.append("</li>\n</ol></section>\n")
    else:
        out.append(f'<p class="text">{e(r["text"] or "")}</p>\n')
        _media(out, t, r["media"])
    if r["hidden"]:
        out.append(f'<p class="meta">{e(t("rendition.hidden"))}</p>')
    if r["deleted"]:
        deleted = t("rendition.deleted", when=local_time(r["deleted"]))
        out.append(f'<p class="mark">{e(deleted)}</p>')
    for child in r["children"]:
        _record(out, t, child, min(level + 1, 6))
    out.append("</article>\n")


def _media(out: list[str], t: Text, items: list[Mapping[str, Any]] | None) -> None:
    """Images shown, other files linked, missing files named."""
    for m in items or ():
        if m["href"] and m["image"]:
            out.append(f'<img src="{escape(m["href"])}" alt="{escape(m["alt"])}">\n')
        elif m["href"]:
            text = escape(t("rendition.media_file", mime=m["mime"]))
            out.append(f'<p class="meta"><a href="{escape(m["href"])}">{text}</a></p>\n')
        else:
            text = escape(t("rendition.media_missing", mime=m["mime"]))
            out.append(f'<p class="meta">{text}</p>')
