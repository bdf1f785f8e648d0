"""HTTP plumbing shared by connectors: endpoint redirection and secret-free error text."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

USER_AGENT = "somed/0.1 (+https://github.com/somed-archive/somed)"

_QUERY = re.compile(r"\?[^\s'\"]*")


class RedirectingSession(requests.Session):
    """A Session that sends every request to `endpoint` (scheme and host swapped, path kept).

    Used for `[platforms.X] endpoint = ...`: the platform's API host and its media CDN hosts all
    land on the emulator, so no traffic leaves the machine.
    """

    def __init__(self, endpoint: str | None = None) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        self._target = urlsplit(endpoint.rstrip("/")) if endpoint else None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send the request, rewriting its scheme and host when an endpoint is configured."""
        if self._target is not None:
            parts = urlsplit(url if isinstance(url, str) else url.decode())
            path = self._target.path + parts.path
            url = urlunsplit((self._target.scheme, self._target.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def scrub(text: str) -> str:
    """Remove query strings (where tokens travel) from an error text before anyone logs it."""
    return _QUERY.sub("?…", text)
