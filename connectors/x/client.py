"""Talks to the X API v2 through `tweepy.Client` on our network layer, with typed errors.

tweepy hardcodes `https://api.twitter.com` in `Client.request` and sends through
`client.session`: that attribute is replaced by the run's session, so the network layer's
endpoint redirection, host list, deadlines and secret scrubbing apply to every call. tweepy is
built with `return_type=dict` (the raw v2 JSON is what the archive keeps) and without
`wait_on_rate_limit`: the rate-limit headers are read by `connectors.x.limits` instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from connectors.base import (
    AuthError,
    ConnectorError,
    FatalError,
    PermissionDenied,
    TransientError,
)
from connectors.download import MediaLimits, Sink
from connectors.download import download as stream_download
from connectors.http import scrub_error
from connectors.x.limits import RateWindows, endpoint_of, exhausted

# tweepy logs every request's headers (the bearer token) at DEBUG: never let it
logging.getLogger("tweepy").setLevel(logging.WARNING)

# tweepy method -> the endpoint it calls (for the limiter, before the request is made)
ENDPOINTS = {
    "get_user": "/2/users/:id",
    "get_user_by_username": "/2/users/by/username/:username",
    "get_users_tweets": "/2/users/:id/tweets",
    "get_users_mentions": "/2/users/:id/mentions",
    "search_recent_tweets": "/2/tweets/search/recent",
    "get_tweets": "/2/tweets",
    "get_direct_message_events": "/2/dm_events",
    "get_me": "/2/users/me",
}
MAX_PAGES = 200  # no walk X serves needs more (3,200 posts at 100 a page); more is a loop
DETAIL_LIMIT = 200


class ObjectMissing(ConnectorError):
    """HTTP 404 or a "Not Found Error": the object does not exist (deleted) or cannot be seen."""

    default_reason = "object.missing"


def problem_detail(response: Any) -> dict[str, Any]:
    """The problem+json envelope of an X error answer ({} when the body is not one)."""
    try:
        body = response.json()
    except (ValueError, AttributeError):
        return {}
    if not isinstance(body, dict):
        return {}
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if not body.get("title") and isinstance(first, dict):
        return first  # the v1.1-style {"errors": [{"message", "code"}]} some endpoints use
    return body


class XClient:
    """tweepy's v2 Client on our session: the app token, and a user token for DMs if given."""

    def __init__(
        self,
        token: str,
        session: requests.Session,
        *,
        user_token: str | None = None,
        now: Callable[[], float],
    ) -> None:
        self.session = session
        self.app = self._tweepy(token)
        self.user = self._tweepy(user_token) if user_token else None
        self.windows = RateWindows(now)
        self.requests_made = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        session.hooks["response"].append(self._on_response)

    def _tweepy(self, token: str) -> tweepy.Client:
        client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
        client.session = self.session  # tweepy's own Session would bypass the network layer
        return client

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:  # media downloads answer in other threads
            self.requests_made += 1
        self._local.status = response.status_code
        path = urlsplit(response.url or "").path
        at = path.find("/2/")
        if at >= 0:
            self.windows.observe(path[at:], response.headers)

    def call(self, method: str, *args: Any, stream: str, user: bool = False, **params: Any) -> Any:
        """Call tweepy's `method` and return the v2 JSON body; failures become typed errors.

        `user` sends the user-context token (DMs). An endpoint whose window is spent raises
        `RateLimited` without a request.
        """
        client = self.user if user else self.app
        if client is None:
            raise PermissionDenied(
                stream,
                "this stream needs a user-context token (user_token_env or user_token_file)",
                reason="x.no_user_token",
                params={"stream": stream},
            )
        endpoint = ENDPOINTS.get(method, method)
        if method == "get_user_by_username":
            method = "get_user"
        self.windows.wait_before(endpoint)
        self._local.status = None
        try:
            body = getattr(client, method)(*args, user_auth=False, **params)
        except tweepy.HTTPException as exc:
            raise self._classify(exc, endpoint, stream, user) from None
        except ConnectorError:  # the network layer's own (refused host, deadline)
            raise
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(
                f"network problem talking to X: {scrub_error(self.session, str(exc))}",
                reason="net.timeout" if isinstance(exc, requests.Timeout) else "net.connection",
                params={"error": type(exc).__name__},
            ) from None
        except ValueError as exc:  # malformed JSON, or a 429 whose reset header is no number
            if self._local.status == 429:
                raise exhausted(endpoint, self.windows.seconds_to_reset(endpoint)) from None
            raise TransientError(
                f"malformed answer from X (HTTP {self._local.status}): {type(exc).__name__}",
                reason="net.malformed",
                params={"status": self._local.status},
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"HTTP problem talking to X: {scrub_error(self.session, str(exc))}",
                reason="net.http",
                params={"error": type(exc).__name__},
            ) from None
        if not isinstance(body, dict):
            raise TransientError(
                "unexpected answer from X: not a JSON object",
                reason="net.malformed",
                params={"status": self._local.status},
            )
        return body

    def _classify(
        self, exc: tweepy.HTTPException, endpoint: str, stream: str, user: bool
    ) -> ConnectorError:
        """The typed error of a failed X call, with its reason code."""
        status = getattr(exc.response, "status_code", None)
        problem = problem_detail(exc.response)
        detail = scrub_error(
            self.session, str(problem.get("detail") or problem.get("message") or exc)
        )[:DETAIL_LIMIT]
        if isinstance(exc, tweepy.TooManyRequests):
            return exhausted(endpoint, self.windows.seconds_to_reset(endpoint))
        if isinstance(exc, tweepy.Unauthorized):
            if user:  # the DM token only: the account's own token still reads everything else
                return PermissionDenied(
                    stream,
                    f"X rejected the user-context token (HTTP 401): {detail}; renew it",
                    reason="x.user_token_rejected",
                    params={"status": 401},
                )
            return AuthError(
                f"X rejected the bearer token (HTTP 401): {detail}; renew it",
                reason="auth.invalid",
                params={"status": 401},
            )
        if isinstance(exc, tweepy.Forbidden):
            tier = problem.get("reason") == "client-not-enrolled" or "client-forbidden" in str(
                problem.get("type", "")
            )
            return PermissionDenied(
                stream,
                f"X refused {endpoint} (HTTP 403"
                + (", not in this API tier" if tier else "")
                + f"): {detail}",
                reason="x.tier" if tier else "x.forbidden",
                params={"endpoint": endpoint, "stream": stream},
            )
        if isinstance(exc, tweepy.NotFound):
            return ObjectMissing(
                f"X has no such object at {endpoint}", params={"endpoint": endpoint}
            )
        if isinstance(exc, tweepy.TwitterServerError):
            return TransientError(
                f"X had a passing fault (HTTP {status}) on {endpoint}",
                reason="net.server_error",
                params={"status": status},
            )
        return FatalError(
            f"X refused the request to {endpoint} (HTTP {status}): {detail}",
            reason="x.refused",
            params={"endpoint": endpoint, "status": status},
        )

    def pages(
        self,
        method: str,
        *args: Any,
        stream: str,
        token_key: str = "pagination_token",
        start: str | None = None,
        user: bool = False,
        **params: Any,
    ) -> Iterator[dict[str, Any]]:
        """Walk a paged endpoint by `meta.next_token`, starting at `start` (a token) if given.

        A token handed out twice, or more than MAX_PAGES pages, ends the walk as a loop; a
        `next_token` that is not a string is a malformed answer (retried), never the end.
        """
        token = start
        asked: set[str] = set()
        for _ in range(MAX_PAGES):
            if token:
                params[token_key] = token
            body = self.call(method, *args, stream=stream, user=user, **params)
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            following = meta.get("next_token")
            if following is not None and not isinstance(following, str):
                raise TransientError(  # never read as the end: the walk would stop silently
                    f"malformed page from X on {ENDPOINTS.get(method, method)}: "
                    f"next_token is {type(following).__name__}",
                    reason="net.malformed",
                    params={"status": self._local.status},
                )
            yield body
            if not following:
                return
            if following in asked:
                break
            asked.add(following)
            token = following
        raise FatalError(
            f"paging loop on {ENDPOINTS.get(method, method)}: X kept handing out next pages",
            reason="x.paging_loop",
            params={"endpoint": ENDPOINTS.get(method, method)},
        )

    def download(
        self, url: str, sink: Sink, *, kind: str, declared: str | None, limits: MediaLimits
    ) -> str | None:
        """Stream a media file into `sink` through the session's network rules."""
        return stream_download(self.session, url, sink, kind=kind, declared=declared, limits=limits)


__all__ = ["ENDPOINTS", "ObjectMissing", "XClient", "endpoint_of", "problem_detail"]
