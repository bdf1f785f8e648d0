"""Where a connector's traffic may go: the configured endpoint, or the platform's own hosts.

Every request and every redirect hop passes `NetPolicy.route`. With `[platforms.X] endpoint`
set, the first request of a chain is sent there (scheme and host swapped, path kept), and a
redirect may lead only to the endpoint itself or to one of the platform's hosts (which is then
sent to the endpoint too): no traffic leaves for anywhere else. Without an endpoint a URL must be
https, on the platform's host list (`Connector.hosts`, shell patterns such as `*.fbcdn.net`), and
resolve only to public addresses: never loopback, private, link-local or otherwise reserved ones.
The addresses checked are the ones connected to (`pinned`): the connection does not ask the
resolver again, so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from connectors.base import FatalError, TransientError
from connectors.endpoint import onto_endpoint

Resolver = Callable[[str, int], Sequence[str]]


class NetworkRefused(FatalError):
    """A URL the network rules forbid (another host, a private address): never retried."""

    default_reason = "net.refused"


_RESOLVED: dict[tuple[str, int], tuple[float, list[str]]] = {}
_RESOLVED_LOCK = threading.Lock()
RESOLVE_TTL = 60.0  # seconds a checked answer is reused (one lookup per host, not per request)
_PINNED = threading.local()  # the addresses this thread's last checked route may connect to


def pinned(host: str, port: int) -> list[str] | None:
    """The checked public addresses a connection of this thread to `host` must use, or None
    when its route was not checked (an endpoint is configured, or it was never routed)."""
    table: dict[tuple[str, int], list[str]] | None = getattr(_PINNED, "table", None)
    return None if table is None else table.get((host.lower().rstrip("."), port))


def _pin(host: str, port: int, addresses: list[str]) -> None:
    table = getattr(_PINNED, "table", None)
    if table is None or len(table) > 64:  # a thread talks to a few hosts; keep it small
        table = _PINNED.table = {}
    table[(host.lower().rstrip("."), port)] = addresses


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (through the system resolver, cached for a minute)."""
    now = time.monotonic()
    with _RESOLVED_LOCK:
        cached = _RESOLVED.get((host, port))
    if cached is not None and now - cached[0] < RESOLVE_TTL:
        return cached[1]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    with _RESOLVED_LOCK:
        _RESOLVED[(host, port)] = (now, addresses)
    return addresses


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class NetPolicy:
    """The network rules of one platform: endpoint, host list and the total deadline."""

    platform: str = ""
    endpoint: str | None = None
    hosts: tuple[str, ...] = ()
    deadline_seconds: float = 120.0
    read_timeout_seconds: float = 30.0
    max_body_bytes: int = 64 * 1024 * 1024  # an API answer larger than this is no answer
    resolver: Resolver = field(default=resolve, compare=False, repr=False)

    def host_allowed(self, host: str) -> bool:
        """True when `host` is one of the platform's own (matching its shell patterns)."""
        host = host.lower().rstrip(".")
        return any(fnmatchcase(host, pattern.lower()) for pattern in self.hosts)

    def route(self, url: str, *, hop: bool) -> str:
        """Return the URL to send `url` to, or raise `NetworkRefused` (hop: a redirect target)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.endpoint:
            target = urlsplit(self.endpoint)
            if hop and _origin(parts) == _origin(target):
                return url
            if hop and not self.host_allowed(host):
                raise self._refused("redirect", host, "it leads away from the configured endpoint")
            return onto_endpoint(url, self.endpoint)
        what = "redirect" if hop else "request"
        if parts.scheme != "https":
            raise self._refused(what, host, "only https is allowed without a configured endpoint")
        if self.hosts and not self.host_allowed(host):
            raise self._refused(what, host, f"it is not one of {self.platform}'s hosts")
        self._check_addresses(what, host, parts.port or 443)
        return url

    def _check_addresses(self, what: str, host: str, port: int) -> None:
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise TransientError(
                f"network problem: cannot resolve {host}: {type(exc).__name__}",
                reason="net.dns",
                params={"host": host},
            ) from None
        for address in addresses:
            if not is_public(address):
                raise self._refused(what, host, f"it resolves to the non-public address {address}")
        _pin(host, port, list(addresses))

    def _refused(self, what: str, host: str, why: str) -> NetworkRefused:
        reason = "net.redirect_refused" if what == "redirect" else "net.host_refused"
        return NetworkRefused(
            f"{what} to {host or '(no host)'} refused: {why}",
            reason=reason,
            params={"host": host, "platform": self.platform},
        )


def _origin(parts: object) -> tuple[str, str]:
    """Scheme and host:port of a split URL (default ports spelled out)."""
    scheme = getattr(parts, "scheme", "").lower()
    host = (getattr(parts, "hostname", None) or "").lower()
    port = getattr(parts, "port", None) or (443 if scheme == "https" else 80)
    return scheme, f"{host}:{port}"
