"""A small real OpenID Connect provider on loopback: discovery, JWKS, authorize, token.

It does what a provider must for somed's flow: the authorization endpoint checks the client and
redirect URI and remembers the code's nonce and PKCE challenge; the token endpoint checks the
client secret (HTTP Basic or form), the code (once only), the redirect URI and the PKCE
verifier (S256), and answers with an RS256 ID token signed with its key (authlib.jose), the key
published at the JWKS URL. Who signs in is set by the test (`provider.user`); `nonce`
overrides the nonce put into the ID token (to show a wrong one is refused) and `signing_key`
signs with another key than the published one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import authlib.deprecate  # noqa: E402,F401 - installs its 'always' filter first

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken


@dataclass
class OidcUser:
    """The person who signs in at the provider."""

    name: str
    groups: list[str] = field(default_factory=list)
    full_name: str | None = None


def new_key(kid: str) -> Any:
    """A fresh RSA signing key (JWK) with key id `kid`."""
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})


class OidcProvider:
    """An OIDC provider served on 127.0.0.1 for one client (start() / stop())."""

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = {redirect_uri}  # the client's registered redirect URIs
        self.key = new_key("test-key-1")
        self.signing_key: Any = None  # None: self.key
        self.user = OidcUser("anna")
        self.nonce: str | None = None  # None: the nonce of the authorization request
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.provider = self  # type: ignore[attr-defined]
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/somed"

    def discovery(self) -> dict[str, Any]:
        """The provider metadata at /.well-known/openid-configuration."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def start(self) -> OidcProvider:
        """Serve in a thread."""
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def authorize(self, params: dict[str, str]) -> tuple[int, str]:
        """(status, redirect location or error) for an authorization request."""
        if params.get("client_id") != self.client_id or params.get("redirect_uri") not in self.redirect_uris:
            return 400, "unknown client or redirect_uri"
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return 400, "not an OpenID code request"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return 400, "PKCE S256 required"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": params.get("nonce"), "challenge": params["code_challenge"],
                            "user": self.user, "redirect_uri": params["redirect_uri"]}  # fmt: skip
        query = urlencode({"code": code, "state": params.get("state", "")})
        return 302, f"{params['redirect_uri']}?{query}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for a token request."""
        self.token_requests += 1
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        user: OidcUser = grant["user"]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": f"sub-{user.name}", "aud": self.client_id,
            "iat": now, "exp": now + 300, "nonce": self.nonce or grant["nonce"],
            "preferred_username": user.name, "groups": user.groups,
        }  # fmt: skip
        if user.full_name:
            claims["name"] = user.full_name
        key = self.signing_key or self.key
        header = {"alg": "RS256", "kid": key.as_dict()["kid"]}
        id_token = JsonWebToken(["RS256"]).encode(header, claims, key).decode()
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    def _provider(self) -> OidcProvider:
        return self.server.provider  # type: ignore[attr-defined,no-any-return]

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        provider = self._provider()
        parts = urlsplit(self.path)
        prefix = urlsplit(provider.issuer).path
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == prefix + "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif parts.path == prefix + "/jwks":
            self._json(200, {"keys": [provider.key.as_dict(is_private=False)]})
        elif parts.path == prefix + "/authorize":
            status, where = provider.authorize(params)
            if status != 302:
                self._json(status, {"error": where})
                return
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        provider = self._provider()
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path != urlsplit(provider.issuer).path + "/token":
            self._json(404, {"error": "not found"})
            return
        status, body = provider.token(form, self.headers.get("Authorization"))
        self._json(status, body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet."""
