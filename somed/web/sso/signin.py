"""The end of every single sign-on: groups to role, the user row, the audit entry, the session.

Why a page and not a redirect: the session cookie is `SameSite=Strict`. The identity provider
answers cross-site (SAML: a POST from its page to `/saml/acs`; OIDC: a redirect to
`/oidc/callback`), so the browser sends no somed cookie with that request. The session is
started in that response (browsers store a Strict cookie set by a top-level navigation), but a
303 from it would still be part of the cross-site navigation and Chromium would not send the
new cookie with the redirected request: the user would land on `/login`. So the answer is a
small page of ours (`sso_continue.html.j2`) that moves on with `<meta http-equiv="refresh">`
(no script, allowed by the CSP) and a plain link: that navigation starts on our own site, so
the Strict cookie goes with it.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from connectors.model import utc_iso
from somed.web import session as sessions
from somed.web.context import ACTOR_PREFIX, Context
from somed.web.pages.login import safe_next
from somed.web.user import WebUser
from storage import audit
from storage.db import transaction
from storage.users import get_user, upsert_sso_user

log = logging.getLogger(__name__)
MAX_NAME = 200
MAX_GROUPS = 500


def _entry(ctx: Context, name: str, action: str, reason: str | None,
           details: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    return audit.audit_row(utc_iso(ctx.now) or "", ACTOR_PREFIX + name, action, f"user:{name}",
                           reason, details)  # fmt: skip


def finish(ctx: Context, source: str, name: str, full_name: str | None, groups: list[str],
           next_path: str) -> Response:  # fmt: skip
    """Sign in `name` vouched for by `source` ("saml"/"oidc"), or refuse them; both audited."""
    name = name.strip()[:MAX_NAME]
    full_name = full_name.strip()[:MAX_NAME] if full_name and full_name.strip() else None
    groups = [str(g) for g in groups[:MAX_GROUPS]]
    if not name:
        log.warning("%s sign-in without a user name refused", source)
        return refused(ctx, "web.sso.failed", status=400)
    role = ctx.config.web.roles.role_for(groups)
    now = utc_iso(ctx.now) or ""
    refusal: str | None = None
    with ctx.archive.writer() as db, transaction(db):
        row = get_user(db, name)
        if row is not None and (row.get("source") or "local") != source:
            refusal = "other_source"  # a local user (or the other provider's) keeps the name
        elif row is not None and row.get("disabled_at"):
            refusal = "disabled"
        elif role is None:
            refusal = "no_group"
        else:
            upsert_sso_user(db, name, role, full_name=full_name, source=source, now=now)
        details: dict[str, Any] = {"source": source, "role": role}
        if refusal is not None:
            details["groups"] = groups[:50]
            audit.append(db, [_entry(ctx, name, "user.sso_refused", refusal, details)])
        else:
            audit.append(db, [_entry(ctx, name, "user.sso_sign_in", None, details)])
    if refusal is not None:
        log.info("%s sign-in of %r refused (%s)", source, name, refusal)
        message = {"no_group": "web.sso.no_group", "disabled": "web.sso.disabled",
                   "other_source": "web.sso.other_source"}[refusal]  # fmt: skip
        return refused(ctx, message, name=name)
    assert role is not None
    user = WebUser(name, role, full_name, source)
    sessions.start(ctx.session, user, ctx.now)
    log.info("%s signed in through %s (%s)", name, source, role)
    target = safe_next(next_path or "/")
    return ctx.render("sso_continue.html.j2", title=ctx.t("web.sso.continue_title"),
                      target=target)  # fmt: skip


def refused(ctx: Context, message_id: str, status: int = 403, **params: Any) -> Response:
    """The page saying single sign-on did not sign the user in, and why."""
    return ctx.render("sso_refused.html.j2", status=status, title=ctx.t("web.sso.refused_title"),
                      message=ctx.t(message_id, **params))  # fmt: skip
