"""SAML 2.0 service provider (pysaml2) for `[web.saml]`: ADFS, Entra ID or any SAML IdP.

somed sends an AuthnRequest by HTTP-Redirect and takes the answer at `/saml/acs` by HTTP-POST.
An answer counts only when: its assertion is signed by a certificate from the IdP's metadata
(`want_assertions_signed`; pysaml2 checks it with xmlsec1), it is addressed to our ACS and our
entity id, it is within its validity time, and its InResponseTo is a request this process sent
within the last ten minutes from the same browser (`pending.PendingSignIns`, in the database so
that any worker process takes the answer, bound by the `somed_saml` cookie) and not answered
before: unsolicited, replayed or foreign answers fail.

The binding cookie must come with the IdP's cross-site POST, so it is `SameSite=None; Secure`
(path `/saml/acs`, ten minutes, random value, no identity in it). Browsers keep Secure cookies
only over HTTPS and on `http://localhost`/`127.0.0.1`: SAML sign-in needs somed behind TLS.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor

from somed.config import Config
from somed.config_web import SamlConfig
from somed.web.archive import Archive
from somed.web.sso.pending import PendingSignIns, new_bind

log = logging.getLogger(__name__)
BIND_COOKIE = "somed_saml"
ACS_PATH = "/saml/acs"
METADATA_PATH = "/saml/metadata"
CLOCK_SKEW_SECONDS = 60  # the IdP's clock and ours may differ this much (NotBefore, NotOnOrAfter)
MAX_RESPONSE = 512 * 1024  # a base64 SAMLResponse; real ones are a few kB


class SamlRefused(Exception):
    """The IdP's answer did not sign anyone in (the message says why, for the log only)."""


@dataclass(frozen=True)
class SamlIdentity:
    """Who the IdP vouched for: name, full name, groups, and where they were going."""

    name: str
    full_name: str | None
    groups: list[str]
    next_path: str


def sp_settings(config: Config) -> dict[str, Any]:
    """The pysaml2 SP configuration of `[web.saml]`."""
    saml = _saml(config)
    base = config.web.base_url()
    settings: dict[str, Any] = {
        "entityid": saml.sp_entity_id or base + METADATA_PATH,
        "xmlsec_binary": saml.xmlsec_binary or shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "metadata": {"local": [str(_path(config, saml.idp_metadata_file))]},
        "allow_unknown_attributes": True,
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "service": {
            "sp": {
                "name": "somed",
                "endpoints": {"assertion_consumer_service": [(base + ACS_PATH, BINDING_HTTP_POST)]},
                "allow_unsolicited": False,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": saml.sp_key_file is not None,
                "only_use_keys_in_metadata": True,
            },
        },
    }
    if saml.sp_key_file is not None and saml.sp_cert_file is not None:
        key, cert = str(_path(config, saml.sp_key_file)), str(_path(config, saml.sp_cert_file))
        settings.update(key_file=key, cert_file=cert,
                        encryption_keypairs=[{"key_file": key, "cert_file": cert}])  # fmt: skip
    return settings


def _saml(config: Config) -> SamlConfig:
    if config.web.saml is None:
        raise SamlRefused("no [web.saml] in the config")
    return config.web.saml


def _path(config: Config, path: Any) -> Any:
    return path if path.is_absolute() else config.path.parent / path


class ServiceProvider:
    """somed as a SAML SP: the pysaml2 client and the requests awaiting an answer."""

    def __init__(self, config: Config, archive: Archive) -> None:
        self.config = config
        self.saml = _saml(config)
        sp_config = SPConfig()
        sp_config.load(sp_settings(config))
        self.sp_config = sp_config
        self.client = Saml2Client(config=sp_config)
        self.pending = PendingSignIns(archive, "saml")

    def idp_entity_id(self) -> str:
        """The identity provider of the metadata (the first, when it lists several)."""
        idps = sorted(self.client.metadata.identity_providers())
        if not idps:
            raise SamlRefused("the IdP metadata names no identity provider")
        return str(idps[0])

    def login_redirect(self, next_path: str) -> tuple[str, str]:
        """(The IdP URL carrying a new AuthnRequest, the browser's binding value)."""
        request_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp_entity_id(), relay_state="", binding=BINDING_HTTP_REDIRECT
        )
        bind = new_bind()
        self.pending.put(str(request_id), bind, {"next": next_path})
        location = dict(info["headers"])["Location"]
        return str(location), bind

    def metadata(self) -> bytes:
        """Our SP metadata (entity id, ACS, certificate when configured) as XML."""
        return str(entity_descriptor(self.sp_config)).encode("utf-8")

    def consume(self, saml_response: str, bind: str) -> SamlIdentity:
        """Check the IdP's POSTed answer; who it signs in (SamlRefused when it does not)."""
        if not saml_response or len(saml_response) > MAX_RESPONSE:
            raise SamlRefused("no SAMLResponse, or one too large")
        outstanding = {key: data["next"] for key, data in self.pending.keys_for(bind).items()}
        if not outstanding:
            raise SamlRefused("no sign-in under way from this browser (cookie missing or old)")
        try:
            response = self.client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as exc:  # pysaml2 raises many kinds; every one means "not signed in"
            raise SamlRefused(f"{type(exc).__name__}: {str(exc)[:300]}") from None
        if response is None:
            raise SamlRefused("the answer could not be read")
        taken = self.pending.take(str(response.in_response_to), bind)
        if taken is None:  # answered already (replay, or two tabs racing)
            raise SamlRefused(f"request {response.in_response_to!r} was answered before")
        return SamlIdentity(*self._who(response), next_path=str(taken.get("next") or "/"))

    def _who(self, response: Any) -> tuple[str, str | None, list[str]]:
        values = attribute_values(response)
        name: str | None = None
        if self.saml.name_attribute:
            found = values.get(self.saml.name_attribute) or []
            name = found[0] if found else None
        elif response.name_id is not None and response.name_id.text:
            name = response.name_id.text.strip()
        if not name:
            raise SamlRefused("the answer names no user")
        full = values.get(self.saml.full_name_attribute or "") or []
        groups = values.get(self.saml.group_attribute) or []
        return name, (full[0] if full else None), groups


def attribute_values(response: Any) -> dict[str, list[str]]:
    """The signed assertion's attributes by name and by friendly name, plus pysaml2's `ava`."""
    found: dict[str, list[str]] = {}
    assertion = response.assertion
    for statement in getattr(assertion, "attribute_statement", None) or []:
        for attribute in statement.attribute or []:
            texts = [v.text.strip() for v in attribute.attribute_value or [] if v.text]
            for key in (attribute.name, attribute.friendly_name):
                if key:
                    found.setdefault(key, []).extend(texts)
    for key, texts in (response.ava or {}).items():
        found.setdefault(key, [str(t) for t in texts])
    return found

