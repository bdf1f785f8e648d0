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
from collections.abc import Iterable, Iterator
from typing import Any

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


def _char_pattern(char: str, *, json_escapes: bool) -> str:
    """Every way one character of a secret may appear in a URL (and, optionally, JSON escapes)."""
    forms = {re.escape(char)}
    if ord(char) < 128:
        code = f"{ord(char):02x}"
        hex_ci = "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in code)
        if json_escapes:
            forms.update({rf"\\u00{hex_ci}", rf"\\u0025{hex_ci}"})
        if char not in _UNRESERVED:
            forms.update({f"%{hex_ci}", f"%25{hex_ci}"})
        if char == " ":
            forms.add(r"\+")
        if char == "/":
            forms.add(r"\\/")
    else:  # a non-ASCII character: as UTF-8 percent-escapes
        escaped = "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        forms.add(re.escape(escaped))
    if len(forms) == 1:
        return forms.pop()
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


def _secret_pattern(secret: str, *, json_escapes: bool) -> str:
    return "".join(_char_pattern(c, json_escapes=json_escapes) for c in secret)


# A JSON escape of an ASCII character (`\u0041`): only then can a secret hide from the plain form
_ASCII_ESCAPE = re.compile(r"\\u00[0-7][0-9a-fA-F]")
_ASCII_ESCAPE_BYTES = re.compile(_ASCII_ESCAPE.pattern.encode())
_PARAM_VALUE = r"(?:\\/|[^&#\s\"'<>\\])*"
_VALUE = re.compile(_PARAM_VALUE)
_VALUE_BYTES = re.compile(_PARAM_VALUE.encode())
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_NAME_CHAR = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


class Scrubber:
    """Redacts known secrets and credential parameters from text and bytes."""

    def __init__(self, secrets: Iterable[str] = (), params: Iterable[str] = SECRET_PARAMS) -> None:
        self.secrets: list[str] = []
        names = [p.lower() for p in params]
        # matched on a lower-cased copy (fast), so `Access_Token=` and `%3D` count too
        self._param_names = _Literals(names, ["=", "%3d"])
        self._param_names_bytes = _Literals([n.encode() for n in names], [b"=", b"%3d"])
        self._plain: tuple[re.Pattern[str], re.Pattern[bytes]] | None = None
        # a literal piece of each secret that every plain form of it contains: where none is
        # found (nearly every response), the costlier regex substitution is skipped
        self._marks: list[str] | None = None
        self._marks_bytes: list[bytes] | None = None
        self._escaped: tuple[re.Pattern[str], re.Pattern[bytes]] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these secrets from now on."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(known, key=len, reverse=True)
        if self.secrets:
            self._plain = _compiled(self.secrets, json_escapes=False)
            self._escaped = _compiled(self.secrets, json_escapes=True)
            runs = [_literal_run(s) for s in self.secrets]
            self._marks = None if None in runs else [r for r in runs if r is not None]
            self._marks_bytes = None if self._marks is None else [m.encode() for m in self._marks]

    def text(self, text: str) -> str:
        """Return `text` with every secret and credential parameter value replaced by ***."""
        if self._plain is not None and self._escaped is not None:
            if self._marks is None or any(mark in text for mark in self._marks):
                text = self._plain[0].sub(REDACTED, text)
            if _ASCII_ESCAPE.search(text):
                text = self._escaped[0].sub(REDACTED, text)
        lowered = text.translate(_ASCII_LOWER)  # keeps every offset, unlike str.lower()
        return _blank_params(text, lowered, self._param_names, _VALUE, REDACTED)

    def data(self, data: bytes) -> bytes:
        """The same for a body in bytes (UTF-8 JSON or text), without decoding it."""
        if self._plain is not None and self._escaped is not None:
            if self._marks_bytes is None or any(mark in data for mark in self._marks_bytes):
                data = self._plain[1].sub(REDACTED.encode(), data)
            if _ASCII_ESCAPE_BYTES.search(data):
                data = self._escaped[1].sub(REDACTED.encode(), data)
        return _blank_params(data, data.lower(), self._param_names_bytes, _VALUE_BYTES,
                             REDACTED.encode())  # fmt: skip

    def found_in(self, text: str) -> bool:
        """True when `text` still carries a secret (for checks and tests)."""
        return self._escaped is not None and self._escaped[0].search(text) is not None


def _literal_run(secret: str) -> str | None:
    """The longest run of the secret's URL-unreserved ASCII characters, or None.

    The plain pattern gives such a character only its literal form (`_char_pattern`), so any
    plain match of the secret contains this run exactly as it is.
    """
    runs = re.findall(r"[A-Za-z0-9\-_.~]+", secret)
    return max(runs, key=len) if runs else None


def _compiled(
    secrets: list[str], *, json_escapes: bool
) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
    pattern = "|".join(_secret_pattern(s, json_escapes=json_escapes) for s in secrets)
    return re.compile(pattern), re.compile(pattern.encode("utf-8"))


class _Found:
    """Where `_Literals` found a parameter name and its `=` (the part of `re.Match` used)."""

    __slots__ = ("_span",)

    def __init__(self, start: int, end: int) -> None:
        self._span = (start, end)

    def span(self) -> tuple[int, int]:
        """The start and end offsets, as `re.Match.span()`."""
        return self._span


class _Literals:
    """The matches `re.finditer` gives for `(?:name1|name2|...)(?:sep1|sep2)`, found with
    `find`: a regex alternation tries every offset of the text, which on a page of Graph JSON
    costs several times as much (it was the scrubber's main cost on every response)."""

    def __init__(self, names: list[Any], separators: list[Any]) -> None:
        self._names = names
        self._separators = separators

    def finditer(self, text: Any) -> Iterator[_Found]:
        """Leftmost, non-overlapping matches; at one offset the first name (then separator)
        in the given order wins, as in the regex alternation."""
        found: list[tuple[int, int, int]] = []
        for order, name in enumerate(self._names):
            at = text.find(name)
            while at != -1:
                after = at + len(name)
                for separator in self._separators:
                    if text.startswith(separator, after):
                        found.append((at, order, after + len(separator)))
                        break
                at = text.find(name, at + 1)
        found.sort()
        position = 0
        for start, _, end in found:
            if start >= position:
                position = end
                yield _Found(start, end)


def _blank_params(value, lowered, names, value_pattern, redacted):  # type: ignore[no-untyped-def]
    """Replace the value of each credential parameter found in `lowered` (same offsets)."""
    parts = []
    last = 0
    for match in names.finditer(lowered):
        start, end = match.span()
        if start > 0 and _is_name_char(value[start - 1 : start]):
            continue  # e.g. `my_access_token=`: another parameter
        if start < last:
            continue
        stop = value_pattern.match(value, end).end()
        parts += [value[last:end], redacted]
        last = stop
    if not parts:
        return value
    parts.append(value[last:])
    return value[:0].join(parts)


def _is_name_char(char: str | bytes) -> bool:
    text = char.decode("latin-1") if isinstance(char, bytes) else char
    return text in _NAME_CHAR
