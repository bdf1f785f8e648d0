"""A loopback HTTP server whose every answer a test decides, with a log of what was asked."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[[Request, "re.Match[str]"], Response]


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    host: str = ""


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
    )


def drip_response(chunk: bytes = b" ", every: float = 1.0, total: int = 10_000) -> Response:
    """An answer that sends `chunk` every `every` seconds, `total` times (a slow-loris body)."""

    def body() -> Iterator[bytes]:
        for _ in range(total):
            yield chunk
            time.sleep(every)

    return Response(body(), status=200, content_type="application/json", direct_passthrough=True)


def redirect_response(location: str, status: int = 302) -> Response:
    """A redirect to `location`."""
    return Response("", status=status, headers={"Location": location})


class HostileServer:
    """Routes (method, regex on the path) to handlers; the first match wins, overrides first."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.base_url = ""
        self.seen: list[Seen] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._overrides: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None

    def route(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Serve `handler` for paths fully matching `pattern` (a default route)."""
        self._routes.append((method, re.compile(pattern), handler))

    def override(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Serve `handler` before any default route: how a test turns the server hostile."""
        self._overrides.insert(0, (method, re.compile(pattern), handler))

    def clear_overrides(self) -> None:
        """Drop every override."""
        self._overrides.clear()

    def start(self) -> str:
        """Serve in a daemon thread; return the base URL."""
        self._server = make_server(self.host, 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self.base_url = f"http://{self.host}:{self._server.server_port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests_to(self, pattern: str) -> list[Seen]:
        """The logged requests whose path matches `pattern` (search, not full match)."""
        with self._lock:
            return [s for s in self.seen if re.search(pattern, s.path)]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        seen = Seen(
            request.method,
            request.path,
            dict(request.args),
            dict(request.form) if request.method == "POST" else {},
            request.host,
        )
        with self._lock:
            self.seen.append(seen)
            routes = [*self._overrides, *self._routes]
        for method, pattern, handler in routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler(request, match)(environ, start_response)
        return json_response({"error": {"message": "no such route", "code": 803}}, 404)(
            environ, start_response
        )
