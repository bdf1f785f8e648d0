"""Remove an account's credentials from whatever a platform sends back, before anyone keeps it.

One `Scrubber` per account run knows the account's secrets. It finds each secret in every form a
platform or a library may echo it: raw, URL-encoded (`quote`, `quote_plus`, either hex case, even
twice), JSON-escaped (`\\/`, `\\u0041`) and any mixture of these, so it can clean a response body
as bytes, before a client library parses it, without parsing JSON itself. It also blanks the value
of credential query parameters (`access_token=...`, `appsecret_proof=...`) whatever that value is.

Media signatures such as Facebook's `oh`/`oe` or `_nc_sig` are no credentials: they sign one
media URL, give no access to the account, and are needed to download the file later, so they stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"

# Query parameters whose value is a credential, whatever it is (lower case). Platforms' own
# signature parameters of media URLs are deliberately not here (see the module docstring).
SECRET_PARAMS = (
    "access_token",
    "appsecret_proof",
    "client_secret",
    "refresh_token",
    "oauth_token",
    "oauth_signature",
    "api_key",
    "input_token",
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
MIN_SECRET_LENGTH = 4  # shorter "secrets" would redact ordinary words


def _char_pattern(char: str) -> str:
    """Every way one character of a secret may appear in JSON text or a URL."""
    forms = {re.escape(char)}
    if ord(char) < 128:
        code = f"{ord(char):02x}"
        hex_ci = "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in code)
        forms.add(rf"\\u00{hex_ci}")  # JSON escape
        if char not in _UNRESERVED:
            forms.update({f"%{hex_ci}", f"%25{hex_ci}", rf"\\u0025{hex_ci}"})
        if char == " ":
            forms.add(r"\+")
        if char == "/":
            forms.add(r"\\/")
    else:  # a non-ASCII character: as UTF-8 percent-escapes
        escaped = "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        forms.add(re.escape(escaped))
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


def _secret_pattern(secret: str) -> str:
    return "".join(_char_pattern(c) for c in secret)


_PARAM_VALUE = r"(?:\\/|[^&#\s\"'<>\\])*"


class Scrubber:
    """Redacts known secrets and credential parameters from text and bytes."""

    def __init__(self, secrets: Iterable[str] = (), params: Iterable[str] = SECRET_PARAMS) -> None:
        self.secrets: list[str] = []
        self._params = tuple(p.lower() for p in params)
        self._pattern: re.Pattern[str] | None = None
        self._bytes_pattern: re.Pattern[bytes] | None = None
        self._param_pattern = re.compile(
            rf"(?i)(?<![A-Za-z0-9_])((?:{'|'.join(map(re.escape, self._params))})(?:=|%3D))"
            + _PARAM_VALUE
        )
        self._param_bytes = re.compile(self._param_pattern.pattern.encode())
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these secrets from now on."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(known, key=len, reverse=True)
        if self.secrets:
            alternatives = "|".join(_secret_pattern(s) for s in self.secrets)
            self._pattern = re.compile(alternatives)
            self._bytes_pattern = re.compile(alternatives.encode("utf-8"))

    def text(self, text: str) -> str:
        """Return `text` with every secret and credential parameter value replaced by ***."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return self._param_pattern.sub(lambda m: m.group(1) + REDACTED, text)

    def data(self, data: bytes) -> bytes:
        """The same for a body in bytes (UTF-8 JSON or text), without decoding it."""
        if self._bytes_pattern is not None:
            data = self._bytes_pattern.sub(REDACTED.encode(), data)
        return self._param_bytes.sub(lambda m: m.group(1) + REDACTED.encode(), data)

    def found_in(self, text: str) -> bool:
        """True when `text` still carries a secret (for checks and tests)."""
        return self._pattern is not None and self._pattern.search(text) is not None
