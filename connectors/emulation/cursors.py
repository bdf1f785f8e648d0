"""Opaque paging tokens: a position encoded URL-safe and signed, so tampering is detected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class InvalidCursor(ValueError):
    """A token that this codec did not issue (tampered, truncated or from another codec)."""


class CursorCodec:
    """Encode a JSON-able position (an id, an offset, a dict) into a token and back.

    Tokens are base64url without padding: the compact JSON, then a truncated HMAC-SHA256 tag
    keyed by `secret`. Clients see opaque strings, as on every platform; the emulator knows the
    position again, and a changed character raises `InvalidCursor`, which the platform answers
    with its own "invalid cursor" error.
    """

    TAG_BYTES = 8

    def __init__(self, secret: str | bytes = "somed-emulator") -> None:
        self._key = secret.encode() if isinstance(secret, str) else secret

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[: self.TAG_BYTES]

    def encode(self, position: Any) -> str:
        """Return the token for `position`."""
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
        raw = payload + self._tag(payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, token: str) -> Any:
        """Return the position a token names, or raise `InvalidCursor`."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as error:
            raise InvalidCursor("not a cursor") from error
        payload, tag = raw[: -self.TAG_BYTES], raw[-self.TAG_BYTES :]
        if len(raw) <= self.TAG_BYTES or not hmac.compare_digest(tag, self._tag(payload)):
            raise InvalidCursor("cursor signature does not match")
        try:
            return json.loads(payload)
        except ValueError as error:
            raise InvalidCursor("cursor payload is not JSON") from error
