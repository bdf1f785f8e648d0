"""The HTML of a part and of an account's index, from Jinja2 templates (user text escaped)."""

from __future__ import annotations

import base64
import hashlib
import posixpath
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape

from somed.bundle.rendition.record_html import record_html
from somed.bundle.rendition.threads import Node
from somed.display import local_time
from somed.i18n import Translator


@cache
def css() -> str:
    """The inline style sheet of every page."""
    return (resources.files(__package__) / "templates" / "rendition.css").read_text("utf-8")


def content_security_policy() -> str:
    """No scripts, no network: only the bundle's own images and the page's own style sheet."""
    digest = base64.b64encode(hashlib.sha256(css().encode()).digest()).decode()
    return (f"default-src 'none'; img-src 'self'; style-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'")  # fmt: skip


@cache
def environment() -> Environment:
    """The template environment (autoescape on for everything)."""
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(css=css, csp=content_security_policy, local_time=local_time,
                       record_html=record_html)  # fmt: skip
    return env


def web_link(url: str | None) -> str | None:
    """`url` when it is an http(s) link (anything else is shown as text only).

    A prefix test, not `urlsplit`: as strict, a tenth of the cost, and it cannot raise on a
    malformed address (`urlsplit` does, on a broken IPv6 host).
    """
    return url if url and url[:8].lower().startswith(("http://", "https://")) else None


class Views:
    """Turns records into what the templates show, for one page's location."""

    def __init__(
        self,
        t: Translator,
        media_paths: Mapping[str, str],
        page_dir: str,
        media_sources: Mapping[str, Path] | None = None,
    ) -> None:
        self.t = t
        self.media_paths = media_paths
        self.page_dir = page_dir  # the page's folder, relative to the payload
        self.media_sources = media_sources or {}  # sha256 -> the file in the archive's store
        self._kinds: dict[str, str] = {}  # a record kind -> its label
        self._directions = {d: t(f"rendition.direction.{d}") for d in ("own", "incoming")}

    def _label(self, prefix: str, name: str) -> str:
        """The catalogue's label for `name` (a kind, a flag), or the name itself."""
        return self.t(prefix + name) if self.t.has(prefix + name) else name

    def media(self, items: list[dict[str, Any]], what: _What | str) -> list[dict[str, Any]]:
        """Media of a record or version: relative link, image or not, alt text."""
        shown = []
        what = str(what) if items else ""
        for n, media in enumerate(items, 1):
            digest = media.get("sha256") or ""
            path = self.media_paths.get(digest)
            source = self.media_sources.get(digest)
            mime = media.get("mime_type") or ""
            shown.append({
                "href": quote(posixpath.relpath(path, self.page_dir)) if path else None,
                "path": path,  # relative to the payload
                "source": str(source) if path and source else None,  # where the PDF reads it
                "image": mime.startswith("image/"),
                "mime": mime or "-",
                "alt": self.t("rendition.image_alt", n=n, what=what),
            })  # fmt: skip
        return shown

    def node(self, node: Node) -> dict[str, Any]:
        """A record with its answers, ready for the template."""
        r = node.record
        t = self.t
        who = (r.get("author") or {}).get("name") or t("rendition.unknown_author")
        kind = self._kinds.get(r["kind"])
        if kind is None:
            kind = self._kinds[r["kind"]] = self._label("rendition.kind.", r["kind"])
        what = _What(t, kind, who, r.get("created_at"))
        disposal = r.get("disposal")
        return {
            "id": r["id"],
            "kind": kind,
            "direction": self._directions.get(r.get("direction"), ""),
            "author": who,
            "created": r.get("created_at"),
            "edited": r.get("edited_at"),
            "url": r.get("url"),
            "link": web_link(r.get("url")),
            "text": r.get("text"),
            "deleted": r.get("deleted_at"),
            "disposal": disposal,
            "hidden": bool((r.get("extra") or {}).get("is_hidden")),
            "versions": [
                {**v, "media": self.media(v.get("media") or [], what)}
                for v in r.get("versions") or []
            ],
            "last_seen": r.get("last_seen_at"),
            "media": self.media(r.get("media") or [], what),
            "numbers": r.get("registry_numbers") or [],
            "flags": [
                {**f, "label": self._label("flag.", f["flag"])} for f in r.get("flags") or []
            ],
            "depth": node.depth,
            "children": [self.node(child) for child in node.children],
        }


class _What:
    """What a record is, in words ("kommentar av X, <time>"), made only when a medium needs it."""

    __slots__ = ("t", "kind", "author", "created")

    def __init__(self, t: Translator, kind: str, author: str, created: str | None) -> None:
        self.t, self.kind, self.author, self.created = t, kind, author, created

    def __str__(self) -> str:
        return self.t("rendition.what", kind=self.kind.lower(), author=self.author,
                      when=local_time(self.created))  # fmt: skip


def render(template: str, **values: Any) -> str:
    """Render one of the templates."""
    return environment().get_template(template).render(**values)
