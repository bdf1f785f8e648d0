"""Commercial messages and spam: links to commercial domains, sales words, repeated texts.

A single sales word is not enough ("finns det rabatt för pensionärer?"): a text is commercial
when it links to a listed commercial domain, or has two sales hits, or one sales hit and a link.
Texts posted again and again meet under `repeat_key` (case, spaces and punctuation aside);
`somed.moderation.scan.spam_copies` says when the copies are spam.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from somed.moderation.findings import Finding

_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|net|org|shop|store|biz|info|io|co|se|nu|eu|xyz"
    r"|online|site|club|top|bet|casino|app|ly|me|to|gg|tv|cc|uk|de)(?:/[^\s<>\"']*)?(?![\w.-])"
)
_LINK_HINT = re.compile(r"[a-z0-9-]\.[a-z]")
_HOST = re.compile(r"^(?:https?://)?([^/:?#\s]+)")
_KEY_DROP = re.compile(r"[\W_]+")
MIN_REPEAT_CHARS = 20  # shorter texts ("Tack!", "Bra!") are repeated innocently


class Domains:
    """Commercial domains: a host matches a listed domain or any of its subdomains."""

    def __init__(self, domains: Iterable[str]) -> None:
        self.names = {d.lower().lstrip("*.").rstrip(".") for d in domains if d.strip()}

    def commercial(self, host: str) -> str | None:
        """The listed domain `host` belongs to, or None."""
        host = host.lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        parts = host.split(".")
        for i in range(len(parts)):
            name = ".".join(parts[i:])
            if name in self.names:
                return name
        return None


def links(lowered: str) -> list[tuple[tuple[int, int], str]]:
    """The links in a prepared text: span and host."""
    found = []
    if not _LINK_HINT.search(lowered):
        return found
    for m in _LINK.finditer(lowered):
        host = _HOST.match(m.group())
        if host:
            found.append((m.span(), host.group(1)))
    return found


def commercial_finding(lowered: str, sales: Finding | None, domains: Domains) -> Finding | None:
    """The commercial finding of a prepared text given its sales-word hits, or None."""
    found_links = links(lowered)
    finding = Finding("commercial", "commercial")
    for span, host in found_links:
        name = domains.commercial(host)
        if name is not None:
            finding.add(span, name)
    if sales is not None and (len(sales.spans) >= 2 or found_links):
        finding.spans.extend(s for s in sales.spans if s not in finding.spans)
        finding.terms.extend(t for t in sales.terms if t not in finding.terms)
        finding.spans.extend(s for s, _ in found_links if s not in finding.spans)
    return finding if finding.spans else None


def repeat_key(text: str | None) -> str | None:
    """The key under which identical texts meet (None for short texts that repeat innocently)."""
    if not text:
        return None
    folded = _KEY_DROP.sub(" ", text.casefold()).strip()
    if len(folded) < MIN_REPEAT_CHARS:
        return None
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
