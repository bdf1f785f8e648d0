"""What a page handler gets: the request, the config, the archive, the user, the texts, the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlite_utils import Database
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from connectors.model import utc_iso
from somed.config import Config
from somed.i18n import LANGUAGES, Translator
from somed.web import session as sessions
from somed.web.archive import Archive
from somed.web.render import render_page
from somed.web.user import WebUser
from storage import audit

ACTOR_PREFIX = "web:"  # the audit log's actor of a change made in the web UI: web:<user>


@dataclass
class Context:
    """One request as a page handler sees it."""

    request: Request
    config: Config
    archive: Archive
    t: Translator
    user: WebUser | None
    now: datetime
    form: Mapping[str, Any] = field(default_factory=dict)
    nav: list[dict[str, str]] = field(default_factory=list)

    @property
    def db(self) -> Database:
        """The read-only archive connection of this thread."""
        return self.archive.reader()

    @property
    def session(self) -> dict[str, Any]:
        """The signed session of this request."""
        return self.request.session

    @property
    def actor(self) -> str:
        """The audit log's name for the signed-in user (`web:<name>`)."""
        return ACTOR_PREFIX + (self.user.name if self.user else "anonymous")

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def query(self, name: str, default: str = "") -> str:
        """A query parameter ("" or `default` when absent), cut to a sane length."""
        return str(self.request.query_params.get(name, default))[:2000]

    def field(self, name: str) -> str:
        """A form field as text ("" when absent or a file)."""
        value = self.form.get(name, "")
        return value[:10_000] if isinstance(value, str) else ""

    def url(self, path: str, **query: Any) -> str:
        """`path` with the non-empty `query` values encoded."""
        given = {k: v for k, v in query.items() if v not in (None, "", False)}
        return f"{path}?{urlencode(given, doseq=True)}" if given else path

    def values(self, **values: Any) -> dict[str, Any]:
        """What every template gets, plus `values`."""
        return {
            "t": self.t, "lang": self.t.language, "languages": LANGUAGES, "user": self.user,
            "csrf": sessions.csrf_token(self.session) if "session" in self.request.scope else "",
            "nav": self.nav,
            "path": self.request.url.path, "full_path": str(self.request.url.path)
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            "organisation": self.config.organisation.name if self.config.organisation else None,
            "now": self.now, **values,
        }  # fmt: skip

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """The page `template` rendered with `values` (and the common ones)."""
        return HTMLResponse(render_page(template, self.values(**values)), status_code=status)

    def redirect(self, url: str) -> RedirectResponse:
        """A 303 to `url` (after a POST: the browser GETs it)."""
        return RedirectResponse(url, status_code=303)

    def problem(self, status: int, message_id: str, **params: Any) -> Response:
        """An error page with a text from the catalogue."""
        title = self.t(f"web.error.{status}")
        return self.render("problem.html.j2", status=status, title=title,
                           message=self.t(message_id, **params))  # fmt: skip

    def audit(self, action: str, target: str, reason: str | None = None,
              details: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        """Append one audit entry in the user's name (its own short transaction)."""
        from storage.db import transaction

        row = audit.audit_row(utc_iso(self.now) or "", self.actor, action, target, reason, details)
        with self.archive.writer() as db, transaction(db):
            audit.append(db, [row])
