"""Sending mail through the configured SMTP server: STARTTLS first, then the login, never plain.

The password is read only from `password_env` or `password_file` (as tokens are), when mail is
about to be sent, and added to what the logs redact; it never reaches an error text: a failure
is described by the exception's class and the server's SMTP code.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage

from connectors.base import Secret
from somed.config import Config
from somed.config_secrets import read_config_secret


class MailError(Exception):
    """Mail could not be sent: `reason` (a code) and `params` (no credential ever)."""

    def __init__(self, message: str, *, reason: str, params: Mapping[str, object]) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = dict(params)


def smtp_password(config: Config, env: Mapping[str, str] | None = None) -> Secret | None:
    """The SMTP password from `password_env` or `password_file` (None when none is set)."""
    notify = config.notify
    return read_config_secret(
        config, "notify.password", notify.password_env, notify.password_file, "password", env
    )


def send_all(
    config: Config, messages: Sequence[EmailMessage], password: Secret | None
) -> dict[str, MailError | None]:
    """Send each message over one SMTP session; per recipient, None when sent, else the error."""
    notify = config.notify
    results: dict[str, MailError | None] = {}
    if not messages:
        return results
    host = notify.smtp_host or ""
    try:
        cafile = str(notify.ca_file) if notify.ca_file else None
        context = ssl.create_default_context(cafile=cafile) if notify.starttls else None
    except (OSError, ssl.SSLError) as exc:
        name = type(exc).__name__
        params = {"host": host, "where": cafile, "error": name}
        error = MailError(f"CA file unusable: {name}", reason="notify.ca_file", params=params)
        return {str(mail["To"]): error for mail in messages}
    try:
        with smtplib.SMTP(host, notify.smtp_port, timeout=notify.timeout_seconds) as smtp:
            smtp.ehlo()
            if context is not None:
                smtp.starttls(context=context)
                smtp.ehlo()
            if notify.username:
                smtp.login(notify.username, password.reveal() if password else "")
            for mail in messages:
                try:
                    smtp.send_message(mail)
                    results[str(mail["To"])] = None
                except smtplib.SMTPRecipientsRefused as exc:
                    results[str(mail["To"])] = _error(exc, host)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        error = _error(exc, host)
        for mail in messages:
            results.setdefault(str(mail["To"]), error)
    return results


def _error(exc: BaseException, host: str) -> MailError:
    """A send failure in words safe to log and store: the class and the SMTP code only."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = codes[0] if codes else None
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reason = "notify.smtp_login"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        reason = "notify.smtp_no_starttls"
    elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
        reason = "notify.smtp_tls"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        reason = "notify.smtp_refused"
    elif isinstance(exc, smtplib.SMTPException):
        reason = "notify.smtp_failed"
    else:
        reason = "notify.smtp_unreachable"
    params = {"host": host, "error": type(exc).__name__, "code": code}
    text = f"{type(exc).__name__}" + (f" {code}" if code else "")
    return MailError(f"mail to {host} failed: {text}", reason=reason, params=params)
