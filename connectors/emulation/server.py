"""A threaded WSGI server on a loopback port, run in a daemon thread and stopped cleanly."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """A request handler that prints no line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send server messages to the debug log."""
        _log.debug(message, *args)


class LoopbackServer:
    """Serve a WSGI app on `host:port` (port 0: a free one) until `stop()`.

    `latency` (seconds, changeable while serving) delays every answer like a network round trip.
    """

    def __init__(
        self,
        app: WSGIApplication | Callable[..., Iterable[bytes]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "emulator",
        latency: float = 0.0,
    ) -> None:
        self.app, self.host, self.port, self.name = app, host, port, name
        self.latency = latency
        self.base_url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    def start(self) -> str:
        """Start serving in a daemon thread (once) and return the base URL."""
        with self._lock:
            if self._server is None:
                self._server = make_server(
                    self.host, self.port, self._wsgi, threaded=True, request_handler=_QuietHandler
                )
                self.base_url = f"http://{self.host}:{self._server.server_port}"
                self._thread = threading.Thread(
                    target=self._server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=self.name,
                    daemon=True,
                )
                self._thread.start()
            return self.base_url

    def stop(self) -> None:
        """Stop serving, wait for the thread and release the port."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.latency > 0:
            time.sleep(self.latency)
        return self.app(environ, start_response)
