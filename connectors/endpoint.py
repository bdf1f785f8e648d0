"""Sending a platform's URL to the configured endpoint instead (standard library only).

The network rules (`netpolicy`) do it for API and media traffic, the capture hints for the
browser; both use this one function, so a page and its API land on the same emulator or proxy.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def onto_endpoint(url: str, endpoint: str) -> str:
    """`url` sent to `endpoint`: the endpoint's scheme and host, the URL's path (below the
    endpoint's own path) and query."""
    parts, base = urlsplit(url), urlsplit(endpoint)
    path = parts.path or "/"
    path = path if path.startswith(base.path) else base.path.rstrip("/") + path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))
