"""Meta's Graph API through facebook-sdk, shared by the Facebook and Instagram connectors.

Both platforms speak the same Graph: the same versions, error envelope, error codes, usage
headers and paging. A `Dialect` names the platform in messages (`Facebook`, `Instagram`) and
its own reason codes (`facebook.paging_loop`, `instagram.paging_loop`), whose texts live in
that connector's catalogue.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import facebook
import requests

from connectors.base import (
    AuthError,
    ConnectorError,
    FatalError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from connectors.download import MediaLimits, Sink
from connectors.download import download as stream_download
from connectors.http import scrub, scrub_error

THROTTLE_CODES = frozenset(
    {4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014}
)
PERMISSION_CODES = frozenset({10, *range(200, 300)})
OBJECT_MISSING_CODES = frozenset({100, 33})
# Graph's subcodes of a rejected token (codes 190, 102) -> the reason code somed shows
TOKEN_SUBCODES = {
    463: "auth.token_expired",
    460: "auth.password_changed",
    493: "auth.token_unused",
    458: "auth.app_removed",
    467: "auth.session_invalid",
}
# the permission Graph names: "(#200) Requires pages_messaging permission ...",
# "(#10) This endpoint requires the 'pages_read_engagement' permission ..."
# a Graph permission's name, as error texts word it in many ways: "(#200) Requires
# pages_messaging permission ...", "(#10) This endpoint requires the 'pages_read_engagement'
# permission ...", "(#283) Requires extended permission: read_insights", "(#100) ... requires
# the 'pages_read_engagement' permission", "pages_read_user_content permission(s) must be granted"
PERMISSION_NAME = re.compile(
    r"\b((?:pages|read|manage|publish|business|instagram|ads|user|public)_[a-z_]+)\b"
)
BATCH_LIMIT = 50
MAX_IDLE_PAGES = 20  # pages in a row without a new item before a walk is called stalled
# query parameters that say where a page starts (Graph's three paging forms)
PAGING_KEYS = frozenset({"after", "before", "offset", "__paging_token", "__previous"})
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")


# the failures each platform on Graph gives a reason code (and a text) of its own
DIALECT_REASONS = (
    "cursor_expired",
    "too_much_data",
    "api_version",
    "refused",
    "paging_loop",
    "paging_stalled",
)


@dataclass(frozen=True)
class Dialect:
    """How one platform on the Graph API is named: in messages, and in its reason codes.

    `reasons` maps each of DIALECT_REASONS to the platform's own code, written out as literals
    in the platform's module (e.g. "facebook.paging_loop") so the catalogue check finds them.
    """

    name: str  # "Facebook"
    reasons: Mapping[str, str]

    def __post_init__(self) -> None:
        missing = set(DIALECT_REASONS) - set(self.reasons)
        if missing:
            raise ValueError(f"the {self.name} dialect lacks reason codes {sorted(missing)}")


class TooMuchData(TransientError):
    """Graph error code 1: ask for less (smaller `limit`) and try again."""


class CursorExpired(TransientError):
    """Graph error 2642: a paging cursor died (its item was deleted); start the walk again."""


class ObjectMissing(ConnectorError):
    """Graph error 100/33: the object does not exist (deleted) or is no longer visible."""


@dataclass(frozen=True)
class GraphFailure:
    """The parts of a Graph error envelope that decide what to do."""

    code: int | None
    subcode: int | None
    message: str
    http_status: int | None
    transient: bool = False


@dataclass
class Usage:
    """What the latest usage headers said: the highest percentage, and the regain hint."""

    percent: float = 0.0
    regain_seconds: float = 0.0


def parse_usage(headers: requests.structures.CaseInsensitiveDict[str] | dict[str, str]) -> Usage:
    """Read X-App-Usage and X-Business-Use-Case-Usage into one `Usage`."""
    usage = Usage()
    for name in USAGE_HEADERS:
        text = headers.get(name)
        if not text:
            continue
        try:
            payload = json.loads(text)
        except ValueError:
            continue
        entries: list[dict[str, Any]] = []
        if name == "X-Business-Use-Case-Usage" and isinstance(payload, dict):
            for value in payload.values():
                entries.extend(v for v in value if isinstance(v, dict))
        elif isinstance(payload, dict):
            entries.append(payload)
        for entry in entries:
            for key in ("call_count", "total_cputime", "total_time"):
                value = entry.get(key)
                if isinstance(value, int | float):
                    usage.percent = max(usage.percent, float(value))
            regain = entry.get("estimated_time_to_regain_access")
            if isinstance(regain, int | float):
                usage.regain_seconds = max(usage.regain_seconds, float(regain) * 60.0)
    return usage


def failure_from_envelope(body: Any, http_status: int | None) -> GraphFailure:
    """Pull code, subcode and message out of a Graph error body (or whatever came instead)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return GraphFailure(
            code=_as_int(error.get("code")),
            subcode=_as_int(error.get("error_subcode")),
            message=scrub(str(error.get("message", "")))[:300],
            http_status=http_status,
            transient=bool(error.get("is_transient")),
        )
    return GraphFailure(None, None, scrub(str(body))[:300], http_status)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify(
    failure: GraphFailure,
    *,
    stream: str = "",
    usage: Usage | None = None,
    dialect: Dialect,
) -> ConnectorError:
    """Map a Graph failure to the typed error the runner acts on, with its reason code."""
    code, text = failure.code, failure.message
    name, own = dialect.name, dialect.reasons
    graph = {"code": code, "subcode": failure.subcode} if failure.subcode else {"code": code}
    if code == 190 or (code == 102):
        reason = TOKEN_SUBCODES.get(failure.subcode or 0, "auth.invalid")
        return AuthError(
            f"{name} rejected the access token ({reason}, code {code}"
            f"{'/' + str(failure.subcode) if failure.subcode else ''}): {text}; renew it",
            reason=reason,
            params=graph,
        )
    if code == 2642:
        return CursorExpired(
            f"a paging cursor expired (code 2642): {text}",
            reason=own["cursor_expired"],
            params=graph,
        )
    if code in THROTTLE_CODES:
        retry = usage.regain_seconds if usage and usage.regain_seconds > 0 else None
        return RateLimited(
            f"{name} throttling (code {code}): {text}",
            retry_after=retry,
            reason="rate.limited",
            params=graph,
        )
    if code == 1 and "reduce the amount of data" in text.lower():
        return TooMuchData(
            f"{name} asks for less data per request (code 1): {text}",
            reason=own["too_much_data"],
            params=graph,
        )
    named = PERMISSION_NAME.search(text) if "permission" in text.lower() else None
    if code in PERMISSION_CODES or (code == 100 and named and failure.subcode != 33):
        return PermissionDenied(
            stream,
            f"the token lacks a permission (code {code}): {text}",
            reason="permission.missing" if named else "permission.denied",
            params={**graph, "permission": named.group(1)} if named else graph,
        )
    if code in OBJECT_MISSING_CODES and failure.subcode == 33:
        return ObjectMissing(text, reason="object.missing", params=graph)
    if code == 2635 or code == 12:
        return FatalError(
            f"Graph API version not accepted (code {code}): {text}",
            reason=own["api_version"],
            params=graph,
        )
    if failure.transient or code in (1, 2) or (failure.http_status or 0) >= 500 or code is None:
        status = f"HTTP {failure.http_status}" if failure.http_status else "no status"
        return TransientError(
            f"{name} had a passing fault ({status}, code {code}): {text}",
            reason="transient.platform",
            params={**graph, "status": failure.http_status},
        )
    return FatalError(
        f"{name} refused the request (code {code}): {text}",
        reason=own["refused"],
        params=graph,
    )


class GraphClient:
    """facebook-sdk's GraphAPI on our session, with a current API version and typed errors."""

    def __init__(
        self,
        token: str,
        session: requests.Session,
        *,
        version: str,
        timeout: float,
        dialect: Dialect,
    ) -> None:
        self.dialect = dialect
        self.graph = facebook.GraphAPI(access_token=token, timeout=timeout, session=session)
        # facebook-sdk 3.1.0 only accepts versions up to 3.1 in its constructor, so none is given
        # there. `request()` below prefixes every path with the configured version itself; the
        # attribute is set too, so the library's own helpers (get_object, ...) agree.
        self.graph.version = version
        self.session = session
        self.version = version
        self.requests_made = 0
        self.usage = Usage()
        self._local = threading.local()
        self._count_lock = threading.Lock()
        session.hooks["response"].append(self._on_response)

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._count_lock:  # media downloads run in a few threads
            self.requests_made += 1
        self._local.status = response.status_code
        if any(name in response.headers for name in USAGE_HEADERS):  # CDN answers carry none
            self.usage = parse_usage(response.headers)

    def _last_status(self) -> int | None:
        return getattr(self._local, "status", None)

    def request(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        post: dict[str, Any] | None = None,
        stream: str = "",
    ) -> Any:
        """Call the Graph API at `path` (relative, without version) and return the parsed JSON."""
        self._local.status = None
        full = path if path.startswith(self.version) else f"{self.version}/{path.lstrip('/')}"
        try:
            result = self.graph.request(full, args=dict(params or {}), post_args=post)
        except facebook.GraphAPIError as exc:
            raise classify(
                failure_from_envelope(exc.result, self._last_status()),
                stream=stream,
                usage=self.usage,
                dialect=self.dialect,
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(
                f"network problem talking to {self.dialect.name}: "
                f"{scrub_error(self.session, str(exc))}",
                reason="net.timeout" if isinstance(exc, requests.Timeout) else "net.connection",
                params={"error": type(exc).__name__},
            ) from None
        except (ValueError, KeyError) as exc:  # malformed JSON, or no content-type header
            raise TransientError(
                f"malformed response from {self.dialect.name} (HTTP {self._last_status()}): "
                f"{scrub(type(exc).__name__)}",
                reason="net.malformed",
                params={"status": self._last_status()},
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"HTTP problem talking to {self.dialect.name}: "
                f"{scrub_error(self.session, str(exc))}",
                reason="net.http",
                params={"error": type(exc).__name__},
            ) from None
        status = self._last_status() or 200
        if status >= 500:
            raise TransientError(
                f"{self.dialect.name} answered HTTP {status}",
                reason="net.server_error",
                params={"status": status},
            )
        if not isinstance(result, dict | list):
            raise TransientError(
                f"unexpected response type from {self.dialect.name}", reason="net.malformed"
            )
        return result

    def pages(self, path: str, params: dict[str, Any], *, stream: str = "") -> Iterator[Page]:
        """Walk an edge page by page, whatever paging Graph uses there: cursors (`after`),
        time (`until`/`since` with `__paging_token`) or `offset`. Progress is judged by items:
        the walk fails when a page is asked for twice, or when pages stop bringing new items.
        """
        seen_items: set[str] = set()
        asked: set[tuple[tuple[str, str], ...]] = set()
        idle = 0
        base = {k: v for k, v in params.items() if k not in PAGING_KEYS}
        while True:
            body = self.request(path, params, stream=stream)
            page = Page.from_body(body)
            yield page
            if page.next_params is None:
                return
            position = tuple(sorted(page.next_params.items()))
            if position in asked:
                raise FatalError(
                    f"paging loop on {path}: the next page was asked for already",
                    reason=self.dialect.reasons["paging_loop"],
                    params={"path": path},
                )
            asked.add(position)
            ids = {str(item["id"]) for item in page.data if item.get("id") is not None}
            idle = 0 if ids - seen_items else idle + 1
            seen_items |= ids
            if idle > MAX_IDLE_PAGES:
                raise FatalError(
                    f"paging stalled on {path}: {MAX_IDLE_PAGES} pages in a row "
                    "brought no new item",
                    reason=self.dialect.reasons["paging_stalled"],
                    params={"path": path, "pages": MAX_IDLE_PAGES},
                )
            params = {**base, **page.next_params}

    def batch(self, relative_urls: Sequence[str]) -> list[tuple[int, Any]]:
        """Send up to 50 GET reads as one Graph batch request; return (status, body) per read."""
        if len(relative_urls) > BATCH_LIMIT:
            raise ValueError(f"a Graph batch takes at most {BATCH_LIMIT} requests")
        calls = [{"method": "GET", "relative_url": url} for url in relative_urls]
        result = self.request(
            self.version, post={"batch": json.dumps(calls), "include_headers": "false"}
        )
        if not isinstance(result, list) or len(result) != len(calls):
            raise TransientError(
                f"malformed batch response from {self.dialect.name}", reason="net.malformed"
            )
        answers: list[tuple[int, Any]] = []
        for entry in result:
            if entry is None:  # Graph leaves a null where a sub-request timed out
                answers.append((503, None))
                continue
            try:
                body = json.loads(entry.get("body") or "null")
            except (ValueError, AttributeError):
                raise TransientError(
                    "malformed body inside a batch response", reason="net.malformed"
                ) from None
            answers.append((int(entry.get("code", 500)), body))
        return answers

    def download(
        self, url: str, sink: Sink, *, kind: str, declared: str | None, limits: MediaLimits
    ) -> str | None:
        """Stream a media file into `sink` through the session's network rules (a network
        failure is a `TransientError`, see `connectors.download.download`)."""
        return stream_download(self.session, url, sink, kind=kind, declared=declared, limits=limits)


@dataclass(frozen=True)
class Page:
    """One page of an edge: its items and the query parameters of the next page, if any."""

    data: list[dict[str, Any]]
    next_params: dict[str, str] | None
    summary: dict[str, Any] | None = None

    @classmethod
    def from_body(cls, body: Any) -> Page:
        """Build from an edge body `{"data": [...], "paging": {...}}` (nested edges too)."""
        if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
            raise TransientError("malformed Graph page: no data list", reason="net.malformed")
        paging = body.get("paging") or {}
        next_url = paging.get("next")
        next_params = None
        if next_url:
            query = dict(parse_qsl(urlsplit(next_url).query))
            for own in ("access_token", "appsecret_proof", "fields", "limit"):
                query.pop(own, None)
            after = (paging.get("cursors") or {}).get("after")
            if after and "after" not in query:
                query["after"] = after
            next_params = query
        return cls(
            [d for d in body.get("data", []) if isinstance(d, dict)],
            next_params,
            body.get("summary"),
        )


# --- what both connectors ask of Graph besides their walks ------------------------------------


def epoch(value: Any) -> datetime | None:
    """A Graph expiry (Unix seconds; 0 means never) as an aware UTC datetime, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def token_info(client: GraphClient, token: str) -> dict[str, Any]:
    """What Graph's `debug_token` says about `token` ({} when it will not say)."""
    try:
        body = client.request("debug_token", {"input_token": token}, stream="profile")
    except (AuthError, RateLimited, TransientError):
        raise
    except ConnectorError:  # some tokens may not debug themselves: expiry stays unknown
        return {}
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return {}
    if data.get("is_valid") is False:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        code = error.get("subcode") or error.get("code")
        raise AuthError(
            f"{client.dialect.name} says the access token is not valid (code {code}): renew it",
            reason="auth.invalid",
            params={"code": code},
        )
    return data


def pause_hint(usage: Usage, slow_down_at: float) -> float:
    """Seconds to wait before the next request: pacing as usage nears 100 %, or the regain hint."""
    hint = 0.0
    if usage.percent >= slow_down_at:
        span = max(1.0, 100.0 - slow_down_at)
        hint = min(1.0, (usage.percent - slow_down_at) / span) * 10.0
    return max(hint, usage.regain_seconds)
