"""Every response of a Playwright browser context as WARC/1.1 records (warcio), for the WACZ.

The recorder listens to the context's `requestfinished` event, which Playwright fires once a
response (a redirect too) is complete, and only notes the request there (a body fetched inside
the event would hold up the page's own loading); `record_some`, called while the capture waits
for the page to go quiet, and `write_warc`, called before the context closes, fetch each body
and write a `response` record and its `request` record, gzip per record, to a spooled
temporary file: memory holds one body at a time, never the session. A
request that failed or was aborted never finishes and is not recorded; a body the browser no
longer has is skipped and counted, never fatal.

What the WARC does not hold, on purpose: the `Cookie`, `Set-Cookie`, `Authorization` and
`Proxy-Authorization` headers (a stored login, `storage_state`, is a secret like a token), and
the transfer framing: Playwright hands over bodies already decoded, so `Content-Encoding` and
`Transfer-Encoding` are dropped and `Content-Length` is the stored body's length, as replay
tools expect.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from somed import __version__

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Request, Response

SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "set-cookie2", "authorization", "proxy-authorization"}
)
FRAMING_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
MAX_BODY_BYTES = 64 << 20  # a larger body (a video) is left out, counted in `skipped`
SOFTWARE = f"somed {__version__} (Playwright, warcio)"


WARC_NAME = "somed-capture.warc.gz"  # the file name the warcinfo record gives


class SessionRecorder:
    """Records every finished request of a browser context; attach before navigating."""

    def __init__(self, context: BrowserContext, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.records = 0  # WARC records written so far, the warcinfo record included
        self.responses = 0
        self.skipped = 0  # finished requests whose body could not be had (or was too large)
        self.max_body_bytes = max_body_bytes
        self._context = context
        self._spool = tempfile.TemporaryFile(prefix="somed-warc-")  # noqa: SIM115 (closed by close())
        self._writer = WARCWriter(self._spool, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            WARC_NAME,
            {
                "software": SOFTWARE,
                "format": "WARC File Format 1.1",
                "description": "Responses of one somed capture session",
            },
        )
        self._write(info)
        # bodies are fetched by record_some (while the page is waited on) and write_warc
        self._finished_requests: deque[Request] = deque()
        context.on("requestfinished", self._note)

    def detach(self) -> None:
        """Stop recording (the records so far stay and can still be written)."""
        self._context.remove_listener("requestfinished", self._note)

    def record_some(self, seconds: float) -> bool:
        """Record finished requests for about `seconds`; False when none were waiting.

        Called while the capture waits for the page to go quiet: the bodies are fetched in
        time that is waited anyway, not all at the end.
        """
        if not self._finished_requests:
            return False
        deadline = time.monotonic() + seconds
        while self._finished_requests and time.monotonic() < deadline:
            self._finished(self._finished_requests.popleft())
        return True

    def write_warc(self, out: Path) -> int:
        """Write the records so far to `out` (a .warc.gz) and return how many there are.

        Call it before the context closes: the bodies are fetched from the browser here, so
        the page's own loading is never held up by the recording.
        """
        while self._finished_requests:
            self._finished(self._finished_requests.popleft())
        self._spool.flush()
        self._spool.seek(0)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as fh:
            shutil.copyfileobj(self._spool, fh, 1 << 20)
        self._spool.seek(0, io.SEEK_END)
        return self.records

    def close(self) -> None:
        """Detach and drop the spooled records."""
        try:
            self.detach()
        finally:
            self._spool.close()

    def _note(self, request: Request) -> None:
        """Remember a finished request (no browser round trip while the page loads)."""
        self._finished_requests.append(request)

    def _finished(self, request: Request) -> None:
        """Record one finished request and its response (never raises into Playwright)."""
        from playwright.sync_api import Error as PlaywrightError

        if urlsplit(request.url).scheme not in ("http", "https"):
            return
        try:
            response = request.response()
            body = self._body(response) if response is not None else None
            if response is None or body is None:
                self.skipped += 1
                return
            self._record(request, response, body)
        except PlaywrightError:
            self.skipped += 1  # the page or browser went away under us

    def _body(self, response: Response) -> bytes | None:
        """The decoded body; b"" for a redirect; None when it cannot be had or is too large."""
        from playwright.sync_api import Error as PlaywrightError

        if 300 <= response.status < 400 and response.status != 304:
            return b""  # Playwright keeps no body for a redirect
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        try:
            body = response.body()
        except PlaywrightError:
            return None
        return body if len(body) <= self.max_body_bytes else None

    def _record(self, request: Request, response: Response, body: bytes) -> None:
        """Write the response record and its request record, linked as concurrent."""
        date = _warc_date(request.timing.get("startTime", -1))
        resp_headers = _clean(response.headers_array())
        resp_headers = [(k, v) for k, v in resp_headers if k.lower() not in FRAMING_HEADERS]
        resp_headers.append(("Content-Length", str(len(body))))
        reason = response.status_text or ""
        http = StatusAndHeaders(
            f"{response.status} {reason}".strip(), resp_headers, protocol="HTTP/1.1"
        )
        warc_headers: dict[str, str] = {"WARC-Date": date}
        server = _server_ip(response)
        if server:
            warc_headers["WARC-IP-Address"] = server
        record = self._add(request.url, "response", body, http, warc_headers)
        self.responses += 1

        post = request.post_data_buffer or b""
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = [
            (k, v) for k, v in _clean(request.headers_array()) if k.lower() != "content-length"
        ]
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        if post:
            req_headers.append(("Content-Length", str(len(post))))
        req_http = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1", req_headers, is_http_request=True
        )
        response_id = record.rec_headers.get_header("WARC-Record-ID")
        concurrent = {"WARC-Date": date, "WARC-Concurrent-To": response_id}
        self._add(request.url, "request", post, req_http, concurrent)

    def _add(
        self, url: str, kind: str, payload: bytes, http: StatusAndHeaders, headers: dict[str, str]
    ) -> Any:
        """Write one HTTP record (warcio adds the digests) and return it."""
        record = self._writer.create_warc_record(
            url,
            kind,
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict=headers,
        )
        self._write(record)
        return record

    def _write(self, record: Any) -> None:
        self._writer.write_record(record)
        self.records += 1


def _clean(headers: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Headers as pairs, without secrets or HTTP/2 pseudo-headers."""
    return [
        (h["name"], h["value"])
        for h in headers
        if h["name"].lower() not in SECRET_HEADERS and not h["name"].startswith(":")
    ]


def _warc_date(start_ms: float) -> str:
    """A WARC/1.1 date (UTC, microseconds) from Playwright's request start, else now."""
    when = datetime.fromtimestamp(start_ms / 1000, UTC) if start_ms > 0 else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _server_ip(response: Response) -> str | None:
    """The server's address, when the browser says it."""
    try:
        address = response.server_addr()
    except Exception:  # noqa: BLE001  (older browsers, closed pages: the address is optional)
        return None
    return address["ipAddress"] if address else None
