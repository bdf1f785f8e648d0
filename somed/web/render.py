"""Jinja2 templates, always autoescaped, with the gettext texts and hashed static files.

Templates call `t("id", name=value)` and `t.n("id", count)` (the same catalogues as the CLI;
the web's own texts in `somed/locale/*/LC_MESSAGES/web.po`), `static("app.css")` for a
cache-busting URL and `integrity("app.js")` for its Subresource Integrity hash.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from somed.display import local_time
from somed.reasons import display_name

STATIC_DIR = Path(__file__).parent / "static"


@cache
def environment() -> Environment:
    """The one template environment (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("somed.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=static_url, integrity=integrity)
    env.filters["local"] = _local
    env.filters["platform"] = display_name
    return env


def _local(value: str | None) -> str:
    """An ISO UTC time as Swedish local time with its zone, "" for None."""
    return local_time(value) if value else ""


@cache
def _digest(name: str) -> bytes:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve():
        raise ValueError(f"not a static file: {name}")
    return hashlib.sha384(path.read_bytes()).digest()


def static_url(name: str) -> str:
    """The URL of a static file with its content hash (cached for a year by the browser)."""
    return f"/static/{name}?v={_digest(name).hex()[:16]}"


def integrity(name: str) -> str:
    """The `integrity` attribute value of a static file (sha384)."""
    return "sha384-" + base64.b64encode(_digest(name)).decode("ascii")


def render_page(template: str, values: dict[str, Any]) -> str:
    """Render `template` with `values`."""
    return environment().get_template(template).render(**values)
