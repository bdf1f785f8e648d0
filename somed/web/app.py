"""The Starlette app of `somed web`: routes from `pages/`, each checked for its role server-side.

Every request: the session is read (and ended when idle, too old or its user disabled), the
route's role is checked (no user: to `/login`; too low a role: 403), a POST's CSRF token is
checked (403 without it), then the handler runs in the thread pool with a `Context`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from somed.config import Config
from somed.i18n import LANGUAGES, Translator
from somed.web import session as sessions
from somed.web.archive import Archive
from somed.web.context import Context
from somed.web.headers import SecurityHeaders
from somed.web.render import STATIC_DIR
from somed.web.routing import Page, all_pages, menu
from storage.db import ArchiveUnavailable

log = logging.getLogger(__name__)
MAX_FORM_FIELDS = 2000
MAX_FORM_PART = 1024 * 1024


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def create_app(
    config: Config, *, clock: Callable[[], datetime] = utc_now, session_key: str | None = None,
    run_bundles: bool = True,
) -> Starlette:
    """The web UI for `config`'s archive.

    `run_bundles`: this process builds the bundle jobs (its worker started on first use). A
    worker process of `somed web` gets False: the supervising process builds them.
    """
    archive = Archive(config)
    items = menu()

    def endpoint(page: Page) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            now = clock()
            language = request.session.get("lang") or config.ui.language
            t = Translator(language if language in LANGUAGES else None)
            try:
                user = await run_in_threadpool(
                    sessions.current_user, request.session, archive.reader(), config, now
                )
            except ArchiveUnavailable as exc:
                log.warning("the archive cannot be read: %s", exc)
                ctx = Context(request, config, archive, t, None, now)
                return ctx.problem(503, "web.error.archive", detail=str(exc))
            nav = [{"path": m.path, "text": t(m.text)} for m in items
                   if user is not None and user.allows(m.role)]  # fmt: skip
            ctx = Context(request, config, archive, t, user, now, nav=nav)
            if page.role is not None:
                if user is None:
                    query = f"?{request.url.query}" if request.url.query else ""
                    target = request.url.path + query
                    return ctx.redirect(f"/login?next={quote(target)}")
                if not user.allows(page.role):
                    return ctx.problem(403, "web.error.role", role=t(f"web.role.{page.role}"))
            if request.method == "POST":
                form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS,
                                          max_part_size=MAX_FORM_PART)  # fmt: skip
                # csrf=False: the SAML ACS only, authenticated by its signature (routing.py)
                if page.csrf and not sessions.csrf_ok(request.session, form.get("csrf_token")):
                    return ctx.problem(403, "web.error.csrf")
                ctx.form = form
            try:
                return await run_in_threadpool(page.handler, ctx)
            except ArchiveUnavailable as exc:
                log.warning("the archive cannot be read: %s", exc)
                return ctx.problem(503, "web.error.archive", detail=str(exc))

        return serve

    routes: list[Any] = [
        Route(page.path, endpoint(page), methods=list(page.methods), name=page.name)
        for page in all_pages()
    ]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"))

    async def not_found(request: Request, exc: Exception) -> Response:
        t = Translator(request.session.get("lang") or config.ui.language)
        ctx = Context(request, config, archive, t, None, clock())
        return ctx.problem(404, "web.error.not_found")

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("web request %s failed", request.url.path, exc_info=exc)
        t = Translator(config.ui.language)
        ctx = Context(request, config, archive, t, None, clock())
        return ctx.problem(500, "web.error.server")

    web = config.web
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_key or sessions.session_key(config),
            session_cookie=sessions.COOKIE,
            max_age=web.absolute_timeout_hours * 3600,
            same_site="strict",
            https_only=web.secure_cookies,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={404: not_found, 500: server_error})  # fmt: skip
    app.state.archive = archive
    app.state.config = config
    app.state.run_bundles = run_bundles
    return app
