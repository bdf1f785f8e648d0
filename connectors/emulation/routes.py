"""Routes by HTTP method and a regular expression on the path; overrides are tried first."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from werkzeug.wrappers import Request, Response

Handler = Callable[[Request, "re.Match[str]"], Response]


class Router:
    """The first route whose method matches and whose pattern fully matches the path wins.

    `route` adds a default route (in order); `override` puts a handler before every route, which
    is how a test turns one answer hostile without touching the emulator's code.
    """

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._overrides: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()

    def route(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Answer requests whose path fully matches `pattern` with `handler`."""
        with self._lock:
            self._routes.append((method.upper(), re.compile(pattern), handler))

    def override(self, pattern: str, handler: Handler, method: str = "GET") -> None:
        """Answer matching requests with `handler` before any route (newest override first)."""
        with self._lock:
            self._overrides.insert(0, (method.upper(), re.compile(pattern), handler))

    def clear_overrides(self) -> None:
        """Drop every override."""
        with self._lock:
            self._overrides.clear()

    def find(self, method: str, path: str) -> tuple[Handler, re.Match[str]] | None:
        """Return the handler and match for a request, or None when no route matches."""
        with self._lock:
            routes = [*self._overrides, *self._routes]
        for route_method, pattern, handler in routes:
            match = pattern.fullmatch(path)
            if match and route_method == method.upper():
                return handler, match
        return None

    def dispatch(self, request: Request) -> Response | None:
        """Return the matching handler's answer, or None when no route matches."""
        found = self.find(request.method, request.path)
        if found is None:
            return None
        handler, match = found
        return handler(request, match)
