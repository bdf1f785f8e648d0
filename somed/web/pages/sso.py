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

from starlette.responses import Response

from somed.config_errors import ConfigError
from somed.web.context import Context
from somed.web.pages.login import SSO_PROVIDERS, safe_next
from somed.web.routing import Pages
from somed.web.sso import oidc, saml, signin
from somed.web.sso.pending import LIFETIME_SECONDS

log = logging.getLogger(__name__)
PAGES = Pages()
for _provider in (("saml", "/saml/login"), ("oidc", "/oidc/login")):
    if _provider not in SSO_PROVIDERS:
        SSO_PROVIDERS.append(_provider)


def _not_configured(ctx: Context) -> Response:
    return ctx.redirect("/login")


def _unavailable(ctx: Context, what: str, exc: Exception) -> Response:
    log.error("%s sign-in is not available: %s", what, exc)
    return signin.refused(ctx, "web.sso.unavailable", status=503)


def _service_provider(ctx: Context) -> saml.ServiceProvider:
    return saml.provider(ctx.request.app.state, ctx.config)


@PAGES.get("/saml/login", role=None)
def saml_login(ctx: Context) -> Response:
    """Send the browser to the IdP with a new AuthnRequest (HTTP-Redirect binding)."""
    if ctx.config.web.saml is None:
        return _not_configured(ctx)
    next_path = safe_next(ctx.query("next", "/"))
    try:
        location, bind = _service_provider(ctx).login_redirect(next_path)
    except Exception as exc:  # unreadable metadata, no xmlsec1: say so, do not crash
        return _unavailable(ctx, "SAML", exc)
    response = ctx.redirect(location)
    # SameSite=None: it must come with the IdP's cross-site POST to the ACS (saml.py)
    response.set_cookie(saml.BIND_COOKIE, bind, max_age=LIFETIME_SECONDS, path=saml.ACS_PATH,
                        secure=True, httponly=True, samesite="none")  # fmt: skip
    return response


@PAGES.post(saml.ACS_PATH, role=None, csrf=False)
def saml_acs(ctx: Context) -> Response:
    """Take the IdP's signed answer (HTTP-POST binding) and sign the user in, or refuse."""
    if ctx.config.web.saml is None:
        return _not_configured(ctx)
    value = ctx.form.get("SAMLResponse", "")
    answer = value if isinstance(value, str) else ""
    bind = ctx.request.cookies.get(saml.BIND_COOKIE, "")
    try:
        identity = _service_provider(ctx).consume(answer, bind)
    except saml.SamlRefused as exc:
        log.warning("SAML answer refused: %s", exc)
        response = signin.refused(ctx, "web.sso.failed", status=400)
    except Exception as exc:
        response = _unavailable(ctx, "SAML", exc)
    else:
        response = signin.finish(ctx, "saml", identity.name, identity.full_name,
                                 identity.groups, identity.next_path)  # fmt: skip
    response.delete_cookie(saml.BIND_COOKIE, path=saml.ACS_PATH, secure=True, httponly=True,
                           samesite="none")  # fmt: skip
    return response


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
    return oidc.relying_party(ctx.request.app.state, ctx.config)


@PAGES.get("/oidc/login", role=None)
def oidc_login(ctx: Context) -> Response:
    """Send the browser to the provider's authorization endpoint (code flow with PKCE)."""
    if ctx.config.web.oidc is None:
        return _not_configured(ctx)
    next_path = safe_next(ctx.query("next", "/"))
    try:
        location, bind = _relying_party(ctx).login_redirect(next_path)
    except (oidc.OidcRefused, ConfigError) as exc:
        return _unavailable(ctx, "OIDC", exc)
    response = ctx.redirect(location)
    # SameSite=Lax: it must come with the provider's top-level redirect back (oidc.py)
    response.set_cookie(oidc.BIND_COOKIE, bind, max_age=LIFETIME_SECONDS,
                        path=oidc.CALLBACK_PATH, secure=ctx.config.web.secure_cookies,
                        httponly=True, samesite="lax")  # fmt: skip
    return response


@PAGES.get(oidc.CALLBACK_PATH, role=None)
def oidc_callback(ctx: Context) -> Response:
    """Swap the code for the ID token, check it, and sign the user in, or refuse."""
    if ctx.config.web.oidc is None:
        return _not_configured(ctx)
    params = {key: ctx.query(key) for key in ("code", "state", "error")}
    bind = ctx.request.cookies.get(oidc.BIND_COOKIE, "")
    try:
        identity = _relying_party(ctx).callback(params, bind, ctx.now.timestamp())
    except oidc.OidcRefused as exc:
        log.warning("OIDC answer refused: %s", exc)
        response = signin.refused(ctx, "web.sso.failed", status=400)
    except ConfigError as exc:
        response = _unavailable(ctx, "OIDC", exc)
    else:
        response = signin.finish(ctx, "oidc", identity.name, identity.full_name,
                                 identity.groups, identity.next_path)  # fmt: skip
    response.delete_cookie(oidc.BIND_COOKIE, path=oidc.CALLBACK_PATH,
                           secure=ctx.config.web.secure_cookies, httponly=True,
                           samesite="lax")  # fmt: skip
    return response
