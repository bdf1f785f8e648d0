"""A real SMTP server on loopback for the digest tests: aiosmtpd with STARTTLS and a login.

The server's certificate comes from a throw-away CA made by `trustme`; somed trusts it through
`[notify] ca_file`. Every message received is kept with whether it came over TLS and who
logged in.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "somed", "smtp-Pa55-7f3e9b"  # the password tests grep for


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class Handler:
    """Keeps every message (aiosmtpd's handler protocol)."""

    received: list[Received] = field(default_factory=list)
    logins: dict[int, str] = field(default_factory=dict)  # per session: who logged in

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        """Accept only USER with PASSWORD."""
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(), PASSWORD.encode())  # fmt: skip
        if ok:
            self.logins[id(session)] = USER
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)  # fmt: skip
        login = self.logins.get(id(session)) if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message,
                                      session.ssl is not None, login))  # fmt: skip
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS required before login (`tls=False`: plain, no auth)."""

    def __init__(self, folder: Path, *, tls: bool = True) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.ca_file = folder / "smtp-ca.pem"
        kwargs: dict[str, object] = {}
        if tls:
            ca = trustme.CA()
            ca.cert_pem.write_to_path(str(self.ca_file))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            kwargs = dict(tls_context=context, require_starttls=True, auth_required=True,
                          authenticator=self.handler.authenticate)  # fmt: skip
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        """The messages received so far."""
        return self.handler.received
