"""`[web]`: where `somed web` listens, its sessions, sign-in limits and single sign-on.

The session key and the OIDC client secret are secrets like tokens: only `*_env` or `*_file`
name them (`somed.config_secrets`). Groups from the identity provider map to roles through
`[web.roles]` (`admin = ["somed-admins"]`, ...); a user in no mapped group is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from somed.config_errors import _invalid

ROLE_NAMES = ("reader", "editor", "registrar", "admin")
_LISTEN = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")

DEFAULT_MAX_WORKERS = 4  # the default: one worker process per CPU, at most this many
MAX_WORKERS = 64

LoosePath = Annotated[Path, Field(strict=False)]


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class RoleGroups(_Section):
    """`[web.roles]`: the identity provider's group names (or ids) that give each role."""

    reader: list[str] = Field(default_factory=list, max_length=100)
    editor: list[str] = Field(default_factory=list, max_length=100)
    registrar: list[str] = Field(default_factory=list, max_length=100)
    admin: list[str] = Field(default_factory=list, max_length=100)

    def role_for(self, groups: list[str]) -> str | None:
        """The highest role any of `groups` gives, or None."""
        given = set(groups)
        for role in reversed(ROLE_NAMES):
            if given.intersection(getattr(self, role)):
                return role
        return None


class SamlConfig(_Section):
    """`[web.saml]`: SAML 2.0 sign-in (ADFS, Entra ID) as a service provider through pysaml2."""

    idp_metadata_file: LoosePath  # the IdP's metadata XML (downloaded by the admin)
    sp_entity_id: str | None = None  # default: <public_url>/saml/metadata
    sp_key_file: LoosePath | None = None  # signing key and certificate of somed (optional)
    sp_cert_file: LoosePath | None = None
    name_attribute: str | None = None  # default: the NameID
    group_attribute: str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    full_name_attribute: str | None = "http://schemas.microsoft.com/identity/claims/displayname"
    display_name: str = "SAML"
    xmlsec_binary: str | None = None  # default: found on PATH

    @model_validator(mode="after")
    def _key_pair(self) -> SamlConfig:
        if (self.sp_key_file is None) != (self.sp_cert_file is None):
            raise _invalid("only one of sp_key_file and sp_cert_file is set", "set both or none")
        return self


class OidcConfig(_Section):
    """`[web.oidc]`: OpenID Connect sign-in through authlib (Entra ID, Keycloak, ...)."""

    issuer: str = Field(min_length=1)  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str = Field(min_length=1)
    client_secret_env: str | None = None
    client_secret_file: LoosePath | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    name_claim: str = "preferred_username"
    group_claim: str = "groups"
    full_name_claim: str | None = "name"
    display_name: str = "OpenID Connect"

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise _invalid(f"{value[:60]!r} is not a URL", 'write e.g. "https://idp.mora.se/realms/x"')
        return value  # kept as written: the ID token's `iss` must equal it exactly

    @model_validator(mode="after")
    def _one_secret_source(self) -> OidcConfig:
        if self.client_secret_env and self.client_secret_file:
            raise _invalid("both client_secret_env and client_secret_file are set", "keep one")
        return self


class WebConfig(_Section):
    """`[web]`: the web UI's address, public URL, cookies, timeouts and sign-in."""

    listen: str = "127.0.0.1:8080"
    public_url: str | None = None  # e.g. "https://somed.mora.se" (behind the TLS proxy)
    session_key_env: str | None = None
    session_key_file: LoosePath | None = None
    secure_cookies: bool = True  # the cookie only over HTTPS (the proxy speaks TLS)
    idle_timeout_minutes: int = Field(30, ge=1, le=24 * 60)
    absolute_timeout_hours: int = Field(10, ge=1, le=7 * 24)
    max_login_failures: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    page_size: int = Field(50, ge=10, le=500)
    workers: int | None = Field(None, ge=1, le=MAX_WORKERS)  # None: worker_count()
    roles: RoleGroups = Field(default_factory=RoleGroups)
    saml: SamlConfig | None = None
    oidc: OidcConfig | None = None

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        match = _LISTEN.match(value)
        if not match or not 0 < int(match.group(2)) < 65536:
            raise _invalid(f"{value[:60]!r} is not HOST:PORT", 'write e.g. "127.0.0.1:8080"')
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise _invalid(f"{value[:60]!r} is not a URL", 'write e.g. "https://somed.mora.se"')
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _one_key_source(self) -> WebConfig:
        if self.session_key_env and self.session_key_file:
            raise _invalid("both session_key_env and session_key_file are set", "keep one")
        return self

    @property
    def host_port(self) -> tuple[str, int]:
        """`listen` split into host and port."""
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)

    def worker_count(self) -> int:
        """How many worker processes serve: `workers`, else one per CPU (at most four)."""
        if self.workers is not None:
            return self.workers
        return max(1, min(os.cpu_count() or 1, DEFAULT_MAX_WORKERS))

    def base_url(self) -> str:
        """The URL users reach the UI at (the public URL, else the listen address)."""
        if self.public_url:
            return self.public_url
        host, port = self.host_port
        return f"http://{host}:{port}"


def web_defaults() -> dict[str, Any]:
    """The `[web]` defaults as a dict (for docs and tests)."""
    return WebConfig().model_dump()
