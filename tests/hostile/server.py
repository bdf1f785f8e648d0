"""A loopback HTTP server whose every answer a test decides, with a log of what was asked."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulation import LoopbackServer, Router
from connectors.emulation.routes import Handler


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    host: str = ""


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
    """Routes (method, regex on the path) to handlers; the first match wins, overrides first.

    Built on the emulator toolkit (`connectors.emulation`: `LoopbackServer`, `Router`), with
    its own log of what was asked (`seen`: query, form and host as well).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.seen: list[Seen] = []
        self.router = Router()
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._wsgi, host=host, name="hostile-server")

    @property
    def base_url(self) -> str:
        """The URL served at ("" before `start()`)."""
        return self._server.base_url

    def route(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Serve `handler` for paths fully matching `pattern` (a default route)."""
        self.router.route(pattern, handler, method)

    def override(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Serve `handler` before any default route: how a test turns the server hostile."""
        self.router.override(pattern, handler, method)

    def clear_overrides(self) -> None:
        """Drop every override."""
        self.router.clear_overrides()

    def start(self) -> str:
        """Serve in a daemon thread; return the base URL."""
        return self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

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
        response = self.router.dispatch(request)
        if response is None:
            response = json_response({"error": {"message": "no such route", "code": 803}}, 404)
        return response(environ, start_response)
