"""A watchdog for the part of a request the body loop cannot see: sending it and its headers.

`connectors.http` checks a request's deadline between the reads of its body. Until the headers
have arrived, urllib3 and http.client read on their own, line by line, and a server dripping a
header line a second would hold them for hours. `WatchedAdapter` uses connections that, when a
request is sent, start a timer for what is left of the deadline; when it fires, the socket is
shut down, the blocked read returns, and the session reports the deadline (`net.deadline`).
The timer is cancelled as soon as the headers are in. Its connections also connect only to the
addresses the network rules checked for their host (`connectors.netpolicy.pinned`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.netpolicy import pinned

_WATCH = threading.local()  # the calling thread's seconds left, and its running timer


def _arm(connection: HTTPConnection) -> None:
    seconds = getattr(_WATCH, "seconds", None)
    if seconds is None:
        return
    earlier = getattr(_WATCH, "timer", None)
    if earlier is not None:
        earlier.cancel()
    timer = threading.Timer(max(0.0, seconds()), _shut, args=(connection,))
    timer.daemon = True
    _WATCH.timer = timer
    timer.start()


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _connect_pinned(
    connection: HTTPConnection, connect: Callable[[], socket.socket]
) -> socket.socket:
    """Open the connection's socket to the addresses its route was checked for (see
    `connectors.netpolicy.pinned`), in turn; unchecked routes connect as usual. TLS still
    verifies the certificate against the host name, not the address."""
    addresses = pinned(connection.host, connection.port or 0)
    if not addresses:
        return connect()
    named = connection._dns_host  # type: ignore[attr-defined]
    failure: Exception | None = None
    try:
        for address in addresses:
            connection._dns_host = address  # type: ignore[attr-defined]
            try:
                return connect()
            except OSError as exc:  # urllib3's NewConnectionError is one: try the next address
                failure = exc
    finally:
        connection._dns_host = named  # type: ignore[attr-defined]
    assert failure is not None
    raise failure


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _arm(self)
        super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self, super()._new_conn)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _arm(self)
        super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _connect_pinned(self, super()._new_conn)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections are watched by `watching()`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager with watched connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool,
                                                   "https": _WatchedHTTPSPool}  # fmt: skip


@contextlib.contextmanager
def watching(seconds_left: Any) -> Iterator[None]:
    """Shut the socket of a request sent inside this block once `seconds_left()` runs out,
    unless its headers arrived first (the block ends when they have)."""
    _WATCH.seconds = seconds_left
    try:
        yield
    finally:
        timer = getattr(_WATCH, "timer", None)
        if timer is not None:
            timer.cancel()
        _WATCH.seconds = None
        _WATCH.timer = None
