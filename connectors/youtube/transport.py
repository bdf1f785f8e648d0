"""An httplib2-compatible transport over our `requests` session, for google-api-python-client.

googleapiclient sends every request through `http.request(uri, method, body, headers)` and
expects an `httplib2.Response` (a dict of lower-case headers with `status` and `reason`) and
the body bytes. `SessionHttp` answers that call through the session the runner hands the
connector, so YouTube's traffic takes the one network layer (endpoint redirection, host list,
total deadlines, size caps, secret scrubbing) like every other platform's, instead of the
library's own httplib2 connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httplib2
import requests

from connectors.base import ConnectorError, TransientError
from connectors.http import scrub_error

# the body reaches googleapiclient decoded already: these headers would describe other bytes
_DROPPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class SessionHttp:
    """What googleapiclient calls an `http` object, answered by a `requests.Session`."""

    def __init__(
        self,
        session: requests.Session,
        on_response: Callable[[requests.Response], None] | None = None,
    ) -> None:
        self.session = session
        self.on_response = on_response
        self.timeout: float | None = None  # googleapiclient reads it; the layer has deadlines
        self._local = threading.local()

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        """Send one request through the session; return (response, body) as httplib2 does."""
        try:
            response = self.session.request(method, uri, data=body, headers=dict(headers or {}))
        except ConnectorError:  # the layer's own (deadline, refused host): typed already
            raise
        except requests.RequestException as exc:
            raise TransientError(
                f"network problem talking to YouTube: {scrub_error(self.session, str(exc))}",
                reason="net.timeout" if isinstance(exc, requests.Timeout) else "net.connection",
                params={"error": type(exc).__name__},
            ) from None
        if self.on_response is not None:
            self.on_response(response)
        info = {k.lower(): v for k, v in response.headers.items() if k.lower() not in _DROPPED}
        info["status"] = str(response.status_code)
        answer = httplib2.Response(info)
        answer.reason = response.reason or ""
        return answer, response.content

    def close(self) -> None:
        """Nothing to release here: the session belongs to the connector."""
