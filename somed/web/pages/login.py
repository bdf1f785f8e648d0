"""Signing in with a local password (`/login`), signing out, and the language switch."""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.responses import Response

from somed.display import local_time
from somed.i18n import LANGUAGES
from somed.users import sign_in
from somed.web import session as sessions
from somed.web.context import Context
from somed.web.routing import Pages
from somed.web.user import WebUser

log = logging.getLogger(__name__)
PAGES = Pages()
SSO_PROVIDERS: list[tuple[str, str]] = []  # (config section, login path), filled by sso modules


def safe_next(target: str) -> str:
    """`target` if it is a path on this site, else "/" (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def sso_links(ctx: Context) -> list[dict[str, str]]:
    """The single sign-on buttons of the configured identity providers."""
    links = []
    for section, path in SSO_PROVIDERS:
        settings = getattr(ctx.config.web, section, None)
        if settings is not None:
            links.append({"name": settings.display_name, "url": path})
    return links


@PAGES.get("/login", role=None)
def login_form(ctx: Context) -> Response:
    """The sign-in form (local users) and the single sign-on buttons."""
    if ctx.user is not None:
        return ctx.redirect(safe_next(ctx.query("next", "/")))
    return ctx.render("login.html.j2", title=ctx.t("web.login.title"), error=None,
                      next=safe_next(ctx.query("next", "/")), username="",
                      sso=sso_links(ctx))  # fmt: skip


@PAGES.post("/login", role=None, name="login_submit")
def login_submit(ctx: Context) -> Response:
    """Check the password; sign in, or say why not (lockout after repeated failures)."""
    name, password = ctx.field("username").strip(), ctx.field("password")
    web = ctx.config.web
    remote = ctx.request.client.host if ctx.request.client else None
    lockout = timedelta(minutes=web.lockout_minutes)
    with ctx.archive.writer() as db:
        outcome = sign_in(db, name[:200], password, now=ctx.now, remote=remote,
                          max_failures=web.max_login_failures, lockout=lockout)  # fmt: skip
    if outcome.user is None:
        log.info("sign-in refused for %r (%s) from %s", name[:100], outcome.refused, remote)
        if outcome.refused == "locked" and outcome.locked_until is not None:
            error = ctx.t("web.login.locked", until=local_time(outcome.locked_until.isoformat()))
            status = 429
        else:
            error = ctx.t("web.login.wrong")
            status = 401
        return ctx.render("login.html.j2", status=status, title=ctx.t("web.login.title"),
                          error=error, next=safe_next(ctx.field("next")), username=name[:200],
                          sso=sso_links(ctx))  # fmt: skip
    row = outcome.user
    user = WebUser(str(row["name"]), str(row["role"]), row.get("full_name"), "local")  # type: ignore[arg-type]
    sessions.start(ctx.session, user, ctx.now)
    log.info("%s signed in (%s)", user.name, user.role)
    return ctx.redirect(safe_next(ctx.field("next") or "/"))


@PAGES.post("/logout", role=None)
def logout(ctx: Context) -> Response:
    """Sign out and go to the sign-in form."""
    sessions.end(ctx.session)
    return ctx.redirect("/login")


@PAGES.post("/language", role=None)
def language(ctx: Context) -> Response:
    """Switch the language of the pages (kept in the session) and go back."""
    chosen = ctx.field("lang")
    if chosen in LANGUAGES:
        ctx.session["lang"] = chosen
    return ctx.redirect(safe_next(ctx.field("next") or "/"))
