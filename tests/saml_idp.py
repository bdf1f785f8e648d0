"""A real SAML 2.0 identity provider on loopback, built from pysaml2's `saml2.server.Server`.

`SamlIdp(folder, sp_metadata)` makes its own RSA key and self-signed certificate, writes its
metadata to `folder/idp-metadata.xml` (what an admin downloads from ADFS or Entra ID) and
serves the HTTP-Redirect single sign-on endpoint on a free port. Who signs in is set by the
test (`idp.user = IdpUser(...)`), as a person would type it at the IdP's form; `sign` turns the
assertion signature off to show that an unsigned answer is refused. `login(url)` follows the
SP's redirect and returns the auto-submit form the IdP's page would post (ACS URL and fields).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AUTHN_PASSWORD_PROTECTED as PASSWORD_PROTECTED
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.server import Server

GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"


def key_and_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate for `name`, as PEM files in `folder`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class IdpUser:
    """The person who signs in at the IdP: name (NameID), groups, display name."""

    name: str
    groups: list[str] = field(default_factory=list)
    display_name: str | None = None


class SamlIdp:
    """A pysaml2 IdP served on 127.0.0.1 (start() / stop())."""

    def __init__(self, folder: Path, name: str = "idp") -> None:
        self.folder = folder
        self.key, self.cert = key_and_certificate(folder, name)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.idp = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.entity_id = f"{self.base_url}/idp"
        self.metadata_file = folder / f"{name}-metadata.xml"
        self.user = IdpUser("anna")
        self.sign = True
        self.server: Server | None = None
        self.trusted: list[Path] = []
        self.metadata_file.write_text(str(entity_descriptor(self._config([]))), "utf-8")

    def _config(self, sp_metadata: list[Path]) -> IdPConfig:
        settings: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": str(self.key),
            "cert_file": str(self.cert),
            "service": {"idp": {
                "name": "test IdP",
                "endpoints": {"single_sign_on_service": [
                    (f"{self.base_url}/sso/redirect", BINDING_HTTP_REDIRECT)]},
                "policy": {"default": {"lifetime": {"minutes": 5},
                                       "attribute_restrictions": None,
                                       "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}},
                "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
            }},
        }  # fmt: skip
        if sp_metadata:
            settings["metadata"] = {"local": [str(path) for path in sp_metadata]}
        config = IdPConfig()
        config.load(settings)
        return config

    def trust(self, sp_metadata_xml: bytes) -> None:
        """Know one more SP by its metadata (as an admin adds a relying party in ADFS)."""
        self.trusted.append(self.folder / f"sp-metadata-{len(self.trusted)}.xml")
        self.trusted[-1].write_bytes(sp_metadata_xml)
        self.server = Server(config=self._config(self.trusted))

    def start(self) -> SamlIdp:
        """Serve in a thread."""
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, query: str) -> tuple[str, dict[str, str]]:
        """The IdP's answer to an HTTP-Redirect AuthnRequest: (ACS URL, form fields)."""
        assert self.server is not None, "trust() the SP first"
        params = {k: v[0] for k, v in parse_qs(query).items()}
        request = self.server.parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        message = request.message
        binding, destination = self.server.pick_binding(
            "assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=message.issuer.text,
            request=message)  # fmt: skip
        identity: dict[str, list[str]] = {GROUPS: list(self.user.groups)}
        if self.user.display_name:
            identity[DISPLAY_NAME] = [self.user.display_name]
        response = self.server.create_authn_response(
            identity, in_response_to=message.id, destination=destination,
            sp_entity_id=message.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=self.user.name),
            sign_assertion=self.sign, sign_response=False,
            authn={"class_ref": PASSWORD_PROTECTED, "authn_auth": self.entity_id},
        )
        encoded = self.server.apply_binding(binding, str(response), destination,
                                            params.get("RelayState", ""), response=True)  # fmt: skip
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', encoded["data"]))
        return destination, {k: html.unescape(v) for k, v in fields.items()}

    def login(self, url: str) -> tuple[str, dict[str, str]]:
        """Follow the SP's redirect to this IdP over HTTP; the form its page would post."""
        page = requests.get(url, timeout=10, allow_redirects=False)
        page.raise_for_status()
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        assert action, page.text[:500]
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
        return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        idp: SamlIdp = self.server.idp  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        if parts.path != "/sso/redirect":
            self.send_error(404)
            return
        try:
            destination, fields = idp.answer(parts.query)
        except Exception as exc:  # the test sees the failure as a 400 with its reason
            self.send_error(400, explain=f"{type(exc).__name__}: {exc}")
            return
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in fields.items())  # fmt: skip
        body = (f'<html><body><form method="post" action="{html.escape(destination)}">'
                f'{inputs}<button type="submit">Fortsätt</button></form></body></html>')
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet."""
