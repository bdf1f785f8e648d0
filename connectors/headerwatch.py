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
import heapq
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.netpolicy import pinned

_WATCH = threading.local()  # the calling thread's seconds left, and its armed alarm


class _Alarm:
    """One armed watch: when it is due, its connection's socket is shut (unless cancelled)."""

    __slots__ = ("at", "connection", "cancelled")

    def __init__(self, at: float, connection: HTTPConnection) -> None:
        self.at, self.connection, self.cancelled = at, connection, False

    def cancel(self) -> None:
        """Disarm (the headers are in, or the request is over)."""
        self.cancelled = True


class _Watchdog:
    """One thread for every armed watch of the process (a `threading.Timer` per request
    started a thread for each: a few hundred microseconds, thousands of times a run)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Alarm]] = []
        self._wake = threading.Condition()
        self._count = 0
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, connection: HTTPConnection) -> _Alarm:
        """Shut `connection`'s socket in `seconds` unless the alarm is cancelled first."""
        alarm = _Alarm(time.monotonic() + max(0.0, seconds), connection)
        with self._wake:
            self._count += 1
            heapq.heappush(self._due, (alarm.at, self._count, alarm))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="somed-watchdog",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            elif self._due[0][2] is alarm:
                self._wake.notify()
        return alarm

    def _watch(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][2].cancelled:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                left = self._due[0][0] - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                _, _, alarm = heapq.heappop(self._due)
            if not alarm.cancelled:
                _shut(alarm.connection)


_WATCHDOG = _Watchdog()


def _arm(connection: HTTPConnection) -> None:
    seconds = getattr(_WATCH, "seconds", None)
    if seconds is None:
        return
    earlier = getattr(_WATCH, "timer", None)
    if earlier is not None:
        earlier.cancel()
    _WATCH.timer = _WATCHDOG.arm(seconds(), connection)


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
