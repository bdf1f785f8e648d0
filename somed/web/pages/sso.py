"""Single sign-on routes: SAML 2.0 (`/saml/login`, `/saml/acs`, `/saml/metadata`) and OpenID
Connect (`/oidc/login`, `/oidc/callback`); each provider adds its button to the sign-in form.

All are public (`role=None`): they are how one signs in. `/saml/acs` is the one POST without our
CSRF token (`csrf=False`): the IdP's page posts it cross-site; what makes it trustworthy is the
assertion's signature and its InResponseTo, a request this browser started (`somed.web.sso.saml`).
A provider that is not configured sends its routes to the sign-in form (a bookmark of a removed
provider lands where the ways to sign in are), never to an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from starlette.responses import Response

from somed.config_errors import ConfigError
from somed.web.context import Context
from somed.web.pages.login import SSO_PROVIDERS, safe_next
from somed.web.routing import Pages
from somed.web.sso import oidc, once_per_app, saml, signin
from somed.web.sso.pending import LIFETIME_SECONDS

log = logging.getLogger(__name__)
Identity = saml.SamlIdentity | oidc.OidcIdentity
PAGES = Pages()
for _provider in (("saml", "/saml/login"), ("oidc", "/oidc/login")):
    if _provider not in SSO_PROVIDERS:
        SSO_PROVIDERS.append(_provider)


def _not_configured(ctx: Context) -> Response:
    return ctx.redirect("/login")


def _unavailable(ctx: Context, what: str, exc: Exception) -> Response:
    log.error("%s sign-in is not available: %s", what, exc)
    return signin.refused(ctx, "web.sso.unavailable", status=503)


@dataclass(frozen=True)
class BindCookie:
    """The short-lived cookie binding a sign-in under way to the browser that started it."""

    name: str
    path: str
    samesite: Literal["lax", "none"]
    secure: bool

    def set(self, response: Response, value: str) -> None:
        """Give the browser the binding value (HttpOnly, for the sign-in's lifetime)."""
        response.set_cookie(self.name, value, max_age=LIFETIME_SECONDS, path=self.path,
                            secure=self.secure, httponly=True, samesite=self.samesite)  # fmt: skip

    def clear(self, response: Response) -> None:
        """Remove it once the provider has answered (used or refused)."""
        response.delete_cookie(self.name, path=self.path, secure=self.secure, httponly=True,
                               samesite=self.samesite)  # fmt: skip


# SAML's: SameSite=None, it must come with the IdP's cross-site POST to the ACS (saml.py)
SAML_COOKIE = BindCookie(saml.BIND_COOKIE, saml.ACS_PATH, "none", True)


def oidc_cookie(ctx: Context) -> BindCookie:
    """OIDC's: `SameSite=Lax`, it must come with the provider's top-level redirect (oidc.py)."""
    return BindCookie(oidc.BIND_COOKIE, oidc.CALLBACK_PATH, "lax", ctx.config.web.secure_cookies)


def start_sign_in(ctx: Context, what: str, start: Callable[[str], tuple[str, str]],
                  cookie: BindCookie, errors: tuple[type[Exception], ...]) -> Response:  # fmt: skip
    """Send the browser to the provider (`start(next) -> (location, bind)`) with its cookie."""
    next_path = safe_next(ctx.query("next", "/"))
    try:
        location, bind = start(next_path)
    except errors as exc:  # unreadable metadata, no xmlsec1, provider down: say so
        return _unavailable(ctx, what, exc)
    response = ctx.redirect(location)
    cookie.set(response, bind)
    return response


def end_sign_in(
    ctx: Context, source: str, answer: Callable[[], Identity], cookie: BindCookie,
    refused: type[Exception], errors: tuple[type[Exception], ...],
) -> Response:  # fmt: skip
    """Check the provider's answer (`answer()`: who it vouches for), sign in or refuse."""
    try:
        identity = answer()
    except refused as exc:
        log.warning("%s answer refused: %s", source.upper(), exc)
        response = signin.refused(ctx, "web.sso.failed", status=400)
    except errors as exc:
        response = _unavailable(ctx, source.upper(), exc)
    else:
        response = signin.finish(ctx, source, identity.name, identity.full_name,
                                 identity.groups, identity.next_path)  # fmt: skip
    cookie.clear(response)
    return response


def _service_provider(ctx: Context) -> saml.ServiceProvider:
    return once_per_app(ctx.request.app.state, "somed_saml",
                        lambda: saml.ServiceProvider(ctx.config, ctx.archive))  # fmt: skip


@PAGES.get("/saml/login", role=None)
def saml_login(ctx: Context) -> Response:
    """Send the browser to the IdP with a new AuthnRequest (HTTP-Redirect binding)."""
    if ctx.config.web.saml is None:
        return _not_configured(ctx)
    return start_sign_in(ctx, "SAML", lambda n: _service_provider(ctx).login_redirect(n),
                         SAML_COOKIE, (Exception,))  # fmt: skip


@PAGES.post(saml.ACS_PATH, role=None, csrf=False)
def saml_acs(ctx: Context) -> Response:
    """Take the IdP's signed answer (HTTP-POST binding) and sign the user in, or refuse."""
    if ctx.config.web.saml is None:
        return _not_configured(ctx)
    value = ctx.form.get("SAMLResponse", "")
    answer = value if isinstance(value, str) else ""
    bind = ctx.request.cookies.get(SAML_COOKIE.name, "")
    return end_sign_in(ctx, "saml", lambda: _service_provider(ctx).consume(answer, bind),
                       SAML_COOKIE, saml.SamlRefused, (Exception,))  # fmt: skip


@PAGES.get(saml.METADATA_PATH, role=None)
def saml_metadata(ctx: Context) -> Response:
    """Our SP metadata for the IdP's administrator (entity id, ACS URL, certificate)."""
    if ctx.config.web.saml is None:
        return _not_configured(ctx)
    try:
        body = _service_provider(ctx).metadata()
    except Exception as exc:
        return _unavailable(ctx, "SAML", exc)
    return Response(body, media_type="application/samlmetadata+xml")


def _relying_party(ctx: Context) -> oidc.RelyingParty:
    return once_per_app(ctx.request.app.state, "somed_oidc",
                        lambda: oidc.RelyingParty(ctx.config, ctx.archive))  # fmt: skip


@PAGES.get("/oidc/login", role=None)
def oidc_login(ctx: Context) -> Response:
    """Send the browser to the provider's authorization endpoint (code flow with PKCE)."""
    if ctx.config.web.oidc is None:
        return _not_configured(ctx)
    return start_sign_in(ctx, "OIDC", lambda n: _relying_party(ctx).login_redirect(n),
                         oidc_cookie(ctx), (oidc.OidcRefused, ConfigError))  # fmt: skip


@PAGES.get(oidc.CALLBACK_PATH, role=None)
def oidc_callback(ctx: Context) -> Response:
    """Swap the code for the ID token, check it, and sign the user in, or refuse."""
    if ctx.config.web.oidc is None:
        return _not_configured(ctx)
    params = {key: ctx.query(key) for key in ("code", "state", "error")}
    cookie = oidc_cookie(ctx)
    bind = ctx.request.cookies.get(cookie.name, "")
    return end_sign_in(
        ctx, "oidc", lambda: _relying_party(ctx).callback(params, bind, ctx.now.timestamp()),
        cookie, oidc.OidcRefused, (ConfigError,),
    )
