"""Talks to the YouTube Data API v3 through google-api-python-client, with typed errors.

The service is built from the discovery document shipped with the library
(`static_discovery=True`), so building it needs no network; its `http` is `SessionHttp`, so
every call goes through somed's network layer. Each call's quota cost is counted (`units`),
failed calls included: YouTube charges for those too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import requests
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.base import (
    AuthError,
    ConnectorError,
    FatalError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from connectors.download import MediaLimits, Sink, download
from connectors.http import scrub
from connectors.model import utc_iso
from connectors.youtube.quota import cost_of, quota_reset
from connectors.youtube.transport import SessionHttp

# the library logs each refused call (and, at debug level, each URL with the key in it): the
# connector reports failures itself, with reason codes and without the key
logging.getLogger("googleapiclient").setLevel(logging.ERROR)

MAX_IDLE_PAGES = 20  # pages in a row without a new item before a listing is called stalled
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
KEY_REASONS = {  # the reason in the error envelope -> the reason code somed shows
    "keyInvalid": "auth.key_invalid",
    "API_KEY_INVALID": "auth.key_invalid",
    "keyExpired": "auth.key_expired",
    "API_KEY_EXPIRED": "auth.key_expired",
    "accessNotConfigured": "auth.api_disabled",
    "SERVICE_DISABLED": "auth.api_disabled",
    "ipRefererBlocked": "auth.key_restricted",
    "API_KEY_IP_ADDRESS_BLOCKED": "auth.key_restricted",
    "API_KEY_HTTP_REFERRER_BLOCKED": "auth.key_restricted",
    "authError": "auth.invalid",
    "invalidCredentials": "auth.invalid",
    "unauthorized": "auth.invalid",
}
MISSING_REASONS = frozenset(
    {"videoNotFound", "playlistNotFound", "channelNotFound", "commentNotFound",
     "commentThreadNotFound", "notFound", "playlistItemsNotAccessible"}
)  # fmt: skip
SERVER_REASONS = frozenset({"backendError", "internalError", "serviceUnavailable"})


class ObjectMissing(ConnectorError):
    """The video, playlist, channel or comment does not exist (deleted) or is private."""

    default_reason = "object.missing"


class PageTokenInvalid(FatalError):
    """A paging token YouTube no longer takes (`invalidPageToken`): start the listing again."""

    default_reason = "youtube.page_token"


class CommentsDisabled(ConnectorError):
    """The video's comments are turned off: it has none to read."""

    default_reason = "youtube.comments_disabled"


def envelope(content: bytes | str | None) -> tuple[int | None, str, str]:
    """(code, first reason, message) of a Google error envelope; blanks when it is not one.

    `{"error": {"code", "message", "errors": [{"reason", "domain"}], "details": [...]}}`:
    the reason is `errors[0].reason`, else an `ErrorInfo` detail's `reason`.
    """
    try:
        body = json.loads(content or b"null")
    except (ValueError, UnicodeDecodeError):
        return None, "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", ""
    code = error.get("code") if isinstance(error.get("code"), int) else None
    reason = ""
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = str(errors[0].get("reason") or "")
    details = error.get("details")
    if isinstance(details, list):
        for detail in details:
            if (
                isinstance(detail, dict)
                and detail.get("reason")
                and (not reason or reason in ("badRequest", "forbidden"))
            ):
                reason = str(detail["reason"])
    return code, reason, scrub(str(error.get("message") or ""))[:300]


def classify(
    status: int, content: bytes | str | None, *, stream: str, now: datetime,
    retry_after: str | None = None, units: int = 0,
) -> ConnectorError:  # fmt: skip
    """Map a failed call (HTTP status and body) to the typed error the runner acts on."""
    _, reason, message = envelope(content)
    said = {"status": status, "error": reason or None}
    if reason in QUOTA_REASONS:
        reset = quota_reset(now)
        return RateLimited(
            f"YouTube's daily quota is used up ({reason}, {units} units this run); it comes "
            f"back at {utc_iso(reset)} (midnight Pacific time)",
            retry_after=max(1.0, (reset - now).total_seconds()),
            reason="youtube.quota_exceeded",
            params={"reset_at": utc_iso(reset), "units": units},
        )
    if reason in THROTTLE_REASONS or status == 429:
        return RateLimited(
            f"YouTube asks us to slow down (HTTP {status}, {reason or 'no reason'}): {message}",
            retry_after=_seconds(retry_after),
            reason="rate.limited",
            params=said,
        )
    if reason in KEY_REASONS or status == 401 or "api key not valid" in message.lower():
        code = KEY_REASONS.get(reason, "auth.key_invalid")
        return AuthError(
            f"YouTube refused the API key ({reason or 'HTTP ' + str(status)}): {message}; "
            "check the key and its restrictions in the Google Cloud console",
            reason=code,
            params=said,
        )
    if reason == "invalidPageToken":
        return PageTokenInvalid(f"a paging token was refused: {message}", params=said)
    if reason == "commentsDisabled":
        return CommentsDisabled(f"comments are turned off: {message}", params=said)
    if reason in MISSING_REASONS or status == 404:
        return ObjectMissing(f"not found ({reason or 'HTTP 404'}): {message}", params=said)
    if status == 403 and reason in ("forbidden", "insufficientPermissions", ""):
        return PermissionDenied(
            stream,
            f"YouTube forbids this read with this credential ({reason or 'HTTP 403'}): {message}",
            reason="permission.denied",
            params=said,
        )
    if status >= 500 or reason in SERVER_REASONS:
        return TransientError(
            f"YouTube had a passing fault (HTTP {status}, {reason or 'no reason'}): {message}",
            reason="transient.platform",
            params=said,
        )
    return FatalError(
        f"YouTube refused the request (HTTP {status}, {reason or 'no reason'}): {message}",
        reason="youtube.refused",
        params=said,
    )


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class YouTubeClient:
    """The Data API v3 service on our session: quota counted per call, errors typed."""

    def __init__(
        self, key: str, session: requests.Session, *, endpoint: str | None,
        clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self.session = session
        self.clock = clock
        self.units = 0
        self.requests_made = 0
        self._lock = threading.Lock()
        self.http = SessionHttp(session, self._on_response)
        options = {"api_endpoint": endpoint.rstrip("/") + "/"} if endpoint else None
        self.service = build(
            "youtube", "v3", developerKey=key or None, http=self.http,
            static_discovery=True, cache_discovery=False, client_options=options,
        )  # fmt: skip

    def _on_response(self, response: requests.Response) -> None:
        with self._lock:
            self.requests_made += 1

    def _charge(self, units: int) -> None:
        with self._lock:
            self.units += units

    def call(self, resource: str, method: str, stream: str, **params: Any) -> dict[str, Any]:
        """Call `resource.method(**params)` (e.g. "videos", "list") and return its JSON body."""
        name = f"{resource}.{method}"
        request = getattr(getattr(self.service, resource)(), method)(**params)
        try:
            body = request.execute(num_retries=0)
        except HttpError as exc:
            error = classify(
                int(exc.resp.status), exc.content, stream=stream, now=self.clock(),
                retry_after=exc.resp.get("retry-after"), units=self.units,
            )  # fmt: skip
            if error.reason != "youtube.quota_exceeded":  # refused calls cost, except these
                self._charge(cost_of(name))
            raise error from None
        except ConnectorError:
            raise
        except (ValueError, KeyError) as exc:  # a body that is not JSON (a proxy's HTML page)
            self._charge(cost_of(name))
            raise TransientError(
                f"malformed response from YouTube to {name}: {type(exc).__name__}",
                reason="net.malformed",
                params={"call": name},
            ) from None
        self._charge(cost_of(name))
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise TransientError(
                f"malformed response from YouTube to {name}: no item list",
                reason="net.malformed",
                params={"call": name},
            )
        return body

    def pages(
        self, resource: str, stream: str, token: str | None = None, **params: Any
    ) -> Iterator[tuple[str | None, dict[str, Any]]]:
        """Walk a list call page by page: yield (the page's own token, its body).

        The walk ends when a page has no `nextPageToken`; it fails when a token comes back
        twice, or when pages stop bringing items not seen before (the endless-paging guards).
        """
        asked: set[str] = set()
        seen: set[str] = set()
        idle = 0
        while True:
            body = self.call(resource, "list", stream, **params,
                             **({"pageToken": token} if token else {}))  # fmt: skip
            yield token, body
            following = body.get("nextPageToken")
            if not isinstance(following, str) or not following:
                return
            if following in asked or following == token:
                raise FatalError(
                    f"paging loop on {resource}.list: the next page was asked for already",
                    reason="youtube.paging_loop",
                    params={"call": f"{resource}.list"},
                )
            asked.add(following)
            ids = {str(i.get("id")) for i in body.get("items", []) if isinstance(i, dict)}
            idle = 0 if ids - seen else idle + 1
            seen |= ids
            if idle > MAX_IDLE_PAGES:
                raise FatalError(
                    f"paging stalled on {resource}.list: {MAX_IDLE_PAGES} pages in a row "
                    "brought no new item",
                    reason="youtube.paging_stalled",
                    params={"call": f"{resource}.list", "pages": MAX_IDLE_PAGES},
                )
            token = following

    def download(
        self, url: str, sink: Sink, *, kind: str, declared: str | None, limits: MediaLimits
    ) -> str | None:
        """Stream a thumbnail or video file into `sink` through the session's network rules."""
        return download(self.session, url, sink, kind=kind, declared=declared, limits=limits)
