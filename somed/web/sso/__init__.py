"""Single sign-on for the web UI: SAML 2.0 (`saml.py`, pysaml2) and OpenID Connect (`oidc.py`).

Both end in `signin.finish`: the identity provider's groups give the role through `[web.roles]`,
the user row is recorded (`storage.users.upsert_sso_user`), the session started and the sign-in
(or its refusal) written to the audit log. The routes are in `somed.web.pages.sso`.
"""
