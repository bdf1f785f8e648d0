"""OpenID Connect relying party (authlib) for `[web.oidc]`: authorization code flow with PKCE.

`/oidc/login` sends the browser to the provider's authorization endpoint with a fresh `state`,
`nonce` and PKCE `code_challenge` (S256); the `state`, nonce and verifier are kept for ten
minutes in the database (`pending.PendingSignIns`: any worker process may get the callback),
bound to the browser by the `somed_oidc` cookie (`SameSite=Lax`, so it comes with the
provider's top-level redirect back; path `/oidc/callback`). The callback takes
that state once, swaps the code for tokens at the token endpoint (client secret from
`client_secret_env|_file`, PKCE verifier), and accepts the ID token only when its signature
checks against the provider's JWKS (RS256/PS256/ES256, never `none` or HMAC), its `iss` is the
configured issuer, its `aud` our client id, its `nonce` ours and it has not expired.

The endpoints come from `<issuer>/.well-known/openid-configuration`; any endpoint on another
origin than the issuer's is refused, so somed talks to no one but the configured issuer.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import authlib.deprecate  # noqa: F401 - installs its 'always' filter before ours below
import requests
from authlib.integrations.requests_client import OAuth2Session

with warnings.catch_warnings():  # authlib 1.6+ points to joserfc; authlib.jose stays until 2.0
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError

from somed.config import Config
from somed.config_secrets import read_config_secret
from somed.config_web import OidcConfig
from somed.web.archive import Archive
from somed.web.sso.pending import PendingSignIns, new_bind

log = logging.getLogger(__name__)
BIND_COOKIE = "somed_oidc"
CALLBACK_PATH = "/oidc/callback"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
DISCOVERY_SECONDS = 3600
TIMEOUT = 10
LEEWAY = 60


class OidcRefused(Exception):
    """The provider's answer did not sign anyone in (the message says why, for the log only)."""


@dataclass(frozen=True)
class OidcIdentity:
    """Who the ID token vouches for: name, full name, groups, and where they were going."""

    name: str
    full_name: str | None
    groups: list[str]
    next_path: str


class RelyingParty:
    """somed as an OIDC client: discovery, the flows under way, the token check."""

    def __init__(self, config: Config, archive: Archive) -> None:
        if config.web.oidc is None:
            raise OidcRefused("no [web.oidc] in the config")
        self.config = config
        self.oidc: OidcConfig = config.web.oidc
        self.redirect_uri = config.web.base_url() + CALLBACK_PATH
        self.pending = PendingSignIns(archive, "oidc")
        self._lock = threading.Lock()
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._jwks: dict[str, Any] | None = None

    def _client_secret(self) -> str | None:
        secret = read_config_secret(self.config, "web.oidc.client_secret",
                                    self.oidc.client_secret_env, self.oidc.client_secret_file,
                                    "OIDC client secret")  # fmt: skip
        return secret.reveal() if secret is not None else None

    def _get(self, url: str) -> dict[str, Any]:
        self._same_origin(url)
        try:
            response = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise OidcRefused(f"GET {url} failed: {type(exc).__name__}") from None
        if not isinstance(body, dict):
            raise OidcRefused(f"GET {url}: not a JSON object")
        return body

    def _same_origin(self, url: str) -> None:
        given, issuer = urlsplit(url), urlsplit(self.oidc.issuer)
        if (given.scheme, given.netloc) != (issuer.scheme, issuer.netloc):
            raise OidcRefused(f"{url[:100]} is not on the issuer's origin")

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata (fetched at most once an hour)."""
        with self._lock:
            if self._discovery and time.monotonic() - self._discovery[0] < DISCOVERY_SECONDS:
                return self._discovery[1]
        found = self._get(self.oidc.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if found.get("issuer") != self.oidc.issuer:
            raise OidcRefused(f"discovery names issuer {str(found.get('issuer'))[:100]!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(found.get(key), str):
                raise OidcRefused(f"discovery lacks {key}")
            self._same_origin(found[key])
        with self._lock:
            self._discovery = (time.monotonic(), found)
        return found

    def _session(self) -> OAuth2Session:
        return OAuth2Session(self.oidc.client_id, self._client_secret(),
                             scope=" ".join(self.oidc.scopes), redirect_uri=self.redirect_uri,
                             code_challenge_method="S256")  # fmt: skip

    def login_redirect(self, next_path: str) -> tuple[str, str]:
        """(The authorization URL of a new sign-in, the browser's binding value)."""
        endpoints = self.discovery()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        with self._session() as session:
            url, _ = session.create_authorization_url(endpoints["authorization_endpoint"],
                                                      state=state, nonce=nonce,
                                                      code_verifier=verifier)  # fmt: skip
        bind = new_bind()
        self.pending.put(state, bind, {"nonce": nonce, "verifier": verifier, "next": next_path})
        return str(url), bind

    def callback(self, params: dict[str, str], bind: str, now: float) -> OidcIdentity:
        """Check the provider's answer and the ID token; who it signs in (else OidcRefused)."""
        if params.get("error"):
            raise OidcRefused(f"the provider answered error={params['error'][:100]!r}")
        state, code = params.get("state", ""), params.get("code", "")
        flow = self.pending.take(state, bind) if state else None
        if flow is None:
            raise OidcRefused("unknown, used or foreign state (cookie missing or old)")
        if not code:
            raise OidcRefused("no code in the answer")
        endpoints = self.discovery()
        try:
            with self._session() as session:
                token = session.fetch_token(
                    endpoints["token_endpoint"], code=code, code_verifier=flow["verifier"],
                    grant_type="authorization_code", timeout=TIMEOUT,
                )
        except Exception as exc:  # authlib's OAuthError, requests' errors
            raise OidcRefused(f"the token request failed: {type(exc).__name__}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("no ID token in the token answer")
        claims = self.verify(id_token, flow["nonce"], now)
        name = claims.get(self.oidc.name_claim)
        if not isinstance(name, str) or not name.strip():
            raise OidcRefused(f"the ID token has no {self.oidc.name_claim!r}")
        groups = claims.get(self.oidc.group_claim) or []
        groups = [groups] if isinstance(groups, str) else groups
        full = claims.get(self.oidc.full_name_claim) if self.oidc.full_name_claim else None
        return OidcIdentity(name, full if isinstance(full, str) else None,
                            [str(g) for g in groups if isinstance(g, str | int)],
                            str(flow.get("next") or "/"))  # fmt: skip

    def _keys(self, refresh: bool) -> Any:
        with self._lock:
            cached = None if refresh else self._jwks
        if cached is None:
            cached = self._get(self.discovery()["jwks_uri"])
            with self._lock:
                self._jwks = cached
        return JsonWebKey.import_key_set(cached)

    def verify(self, id_token: str, nonce: str, now: float) -> dict[str, Any]:
        """The ID token's claims, after checking signature, issuer, audience, nonce and time."""
        jwt = JsonWebToken(ALGORITHMS)
        options = {"iss": {"essential": True, "value": self.oidc.issuer},
                   "aud": {"essential": True, "value": self.oidc.client_id},
                   "nonce": {"essential": True, "value": nonce},
                   "exp": {"essential": True}, "sub": {"essential": True}}  # fmt: skip
        claims = None
        for refresh in (False, True):  # the provider may have rolled its keys: fetch them once
            try:
                claims = jwt.decode(id_token, self._keys(refresh), claims_options=options)
                break
            except (ValueError, JoseError) as exc:
                if refresh:
                    raise OidcRefused(f"the ID token's signature: {type(exc).__name__}") from None
        assert claims is not None
        try:
            claims.validate(now=int(now), leeway=LEEWAY)
        except JoseError as exc:
            raise OidcRefused(f"the ID token: {exc.error} {str(exc.description)[:200]}") from None
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and \
                claims.get("azp") != self.oidc.client_id:  # fmt: skip
            raise OidcRefused("the ID token is for several audiences and not authorized to us")
        return dict(claims)

