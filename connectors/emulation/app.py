"""The base of every platform emulator: server, router, request log, faults and latency in one.

A platform emulator subclasses `Emulator`, declares `name` and `fault_kinds`, registers its
routes on `self.router` (handlers take the werkzeug `Request` and the path's regex match) and
implements `fault_response(kind, params, request)` in its own wire format. Requests whose path
matches `unlogged` (e.g. media) and `passthrough` (no faults injected, e.g. a CDN) are treated
accordingly; everything else is logged and may be faulted.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from werkzeug.wrappers import Request, Response

from connectors.emulation.faults import Fault, FaultPlan, FaultQueue
from connectors.emulation.log import LoggedRequest, RequestLog
from connectors.emulation.routes import Router
from connectors.emulation.server import LoopbackServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_log = logging.getLogger(__name__)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return a compact JSON answer."""
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        headers=headers or {},
        content_type="application/json; charset=utf-8",
    )


class Emulator:
    """A loopback platform emulator: subclass it, add routes, answer faults your platform's way."""

    name: ClassVar[str] = "emulator"
    fault_kinds: ClassVar[tuple[str, ...]] = ("throttle", "server_error")
    passthrough: ClassVar[str | None] = None  # path regex served without injected faults

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
    ) -> None:
        self.router = Router()
        self.request_log = RequestLog()
        self.faults = FaultQueue(self.fault_kinds, faults)
        self.server = LoopbackServer(
            self.wsgi, host=host, port=port, name=f"{self.name}-emulator", latency=latency
        )
        self._passthrough = re.compile(self.passthrough) if self.passthrough else None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the URL the emulator serves at ("" before `start()`)."""
        return self.server.base_url

    @property
    def latency(self) -> float:
        """Return the delay (seconds) before every answer."""
        return self.server.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.server.latency = seconds

    def start(self) -> str:
        """Start serving and return the base URL (the `endpoint` to configure)."""
        return self.server.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.server.stop()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults and log ----------------------------------------------------------------------

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Replace the random fault plan (None: none) and reseed it."""
        self.faults.set_plan(plan)

    def fail_next(self, n: int, kind: str, **params: Any) -> None:
        """Make the next `n` faultable requests fail with `kind`."""
        self.faults.fail_next(n, kind, params)

    def reset_log(self) -> None:
        """Forget the logged requests."""
        self.request_log.clear()

    def forced_fault(self, request: Request) -> Fault | None:
        """Return a fault the platform forces on this request (e.g. a spent budget), or None."""
        return None

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        """Answer an injected fault in the platform's wire format (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} answers no fault {kind!r}")

    def not_found(self, request: Request) -> Response:
        """Answer a path no route matches (subclasses give their platform's envelope)."""
        return json_response({"error": {"message": f"no route for {request.path}"}}, 404)

    def crash_response(self, request: Request) -> Response:
        """Answer when a handler raised (a bug here must not leave the client hanging)."""
        return json_response({"error": {"message": "emulator failure"}}, 500)

    def public_answer(self, request: Request) -> Response | None:
        """Answer a browser's request for a public page (never faulted nor logged), or None."""
        return None

    def request_params(self, request: Request) -> dict[str, str]:
        """Return the params logged for a request (query and form; subclasses drop secrets)."""
        return {**request.args.to_dict(), **request.form.to_dict()}

    # --- WSGI --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer a public page; else log the request, inject a fault if one is due, or route it."""
        page = self.public_answer(request)
        if page is not None:
            return page
        logged = self.request_log.append(
            LoggedRequest(request.method, request.path, self.request_params(request))
        )
        fault = None
        if self._passthrough is None or not self._passthrough.match(request.path):
            fault = self.faults.next(self.forced_fault(request))
        if fault is not None:
            logged.fault = fault[0]
            response = self.fault_response(fault[0], fault[1], request)
        else:
            response = self.router.dispatch(request) or self.not_found(request)
        logged.status = response.status_code
        return response

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI entry point."""
        request = Request(environ)
        try:
            response = self.handle(request)
        except Exception:
            _log.exception("%s emulator failed on %s", self.name, request.path)
            response = self.crash_response(request)
        return response(environ, start_response)
