"""A watchdog for the part of a request the body loop cannot see: sending it and its headers.

`connectors.http` checks a request's deadline between the reads of its body. Until the headers
have arrived, urllib3 and http.client read on their own, line by line, and a server dripping a
header line a second would hold them for hours. `WatchedAdapter` uses connections that, when a
request is sent, start a timer for what is left of the deadline; when it fires, the socket is
shut down, the blocked read returns, and the session reports the deadline (`net.deadline`).
The timer is cancelled as soon as the headers are in.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

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


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _arm(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _arm(self)
        super().request(*args, **kwargs)


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
