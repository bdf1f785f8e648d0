"""The proxy and certificate settings a session takes from the environment, read once.

A municipal server often reaches the internet only through a proxy (`HTTPS_PROXY`,
`NO_PROXY`) or a TLS-inspecting one with its own CA (`REQUESTS_CA_BUNDLE`). requests honours
those variables when a session trusts the environment, but reads them again on every request,
four or five scans of the whole environment each time (about 0.2 ms a request: a tenth of a
media file's cost), and it also looks for `~/.netrc` credentials, which somed must never send.
`NetSession` therefore trusts nothing implicitly: it reads these settings here, once, and
applies them to each request itself, with requests' own rules for which hosts bypass the proxy.
"""

from __future__ import annotations

import os
import urllib.request
from urllib.parse import urlsplit

from requests.utils import should_bypass_proxies

MAX_HOSTS = 1024  # bypass answers kept per session (hosts are few: the API and its CDNs)


class ProxyEnvironment:
    """`HTTP(S)_PROXY`, `ALL_PROXY`, `NO_PROXY` and the CA bundle variables as they were when
    the session was made."""

    def __init__(self) -> None:
        self.proxies: dict[str, str] = urllib.request.getproxies()
        self.ca_bundle: str | None = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        )
        self._no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
        self._bypass: dict[str, bool] = {}

    def proxies_for(self, url: str) -> dict[str, str]:
        """The proxies a request to `url` goes through (none when `NO_PROXY` names its host)."""
        if not self.proxies:
            return {}
        host = urlsplit(url).hostname or ""
        bypass = self._bypass.get(host)
        if bypass is None:
            bypass = should_bypass_proxies(url, no_proxy=self._no_proxy or None)
            if len(self._bypass) < MAX_HOSTS:
                self._bypass[host] = bypass
        return {} if bypass else self.proxies
