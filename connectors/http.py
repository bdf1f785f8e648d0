"""The one network layer every connector talks through.

`SessionFactory(policy, secrets)` builds `NetSession`s that obey one platform's rules:

- every request and every redirect hop goes through `NetPolicy.route` (endpoint redirection,
  the platform's host list, no private addresses), using requests' own redirect machinery;
- each request has a total deadline (connect, redirects and the whole body), checked between
  reads, so a server dripping a byte a second fails it (`TransientError`, `net.deadline`);
- every body that is not streamed is read here and scrubbed of the account's secrets
  (`connectors.scrub`) before any client library parses it;
- hooks registered on the factory (usage headers, request counting) run on every session;
- the bodies read here decode with orjson when a client library calls `response.json()`;
- proxy and CA settings come from the environment, read once per session
  (`connectors.proxyenv`); nothing else does (no `~/.netrc`).

`ThreadSessions` is the `requests.Session` a connector is given: each thread that uses it
(the walk's prefetch thread, the download threads, the runner's own) gets its own `NetSession`
from the factory, since a `requests.Session` is not meant to be shared between threads.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from connectors.base import TransientError
from connectors.headerwatch import WatchedAdapter, watching
from connectors.netpolicy import NetPolicy, NetworkRefused
from connectors.proxyenv import ProxyEnvironment
from connectors.scrub import Scrubber

__all__ = [
    "USER_AGENT",
    "Deadline",
    "NetPolicy",
    "JsonResponse",
    "NetSession",
    "NetworkRefused",
    "RedirectingSession",
    "SessionFactory",
    "ThreadSessions",
    "scrub",
]

USER_AGENT = "somed/0.1 (+https://github.com/somed-archive/somed)"
MAX_REDIRECTS = 10
REDIRECT_BODY_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
WATCH_SLACK = 0.05  # seconds: a failure this close to the deadline is the deadline

_QUERY = re.compile(r"\?[^\s'\"]*")


def scrub(text: str) -> str:
    """Remove query strings (where tokens travel) from an error text before anyone logs it."""
    return _QUERY.sub("?…", text)


class Deadline:
    """A point on the monotonic clock by which a whole request must be done."""

    def __init__(self, seconds: float, host: str = "") -> None:
        self.seconds = seconds
        self.host = host
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (may be negative)."""
        return self.at - time.monotonic()

    def check(self) -> float:
        """Return the seconds left, or raise `TransientError` (`net.deadline`) when none are."""
        left = self.remaining()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> TransientError:
        """The error of a request that ran out of time."""
        return TransientError(
            f"network problem: no complete answer from {self.host or 'the server'} "
            f"within {self.seconds:g} s",
            reason="net.deadline",
            params={"seconds": _number(self.seconds), "host": self.host},
        )

    def timeout(self, read_timeout: float) -> tuple[float, float]:
        """A (connect, read) timeout for requests that ends no later than the deadline."""
        left = self.check()
        return (min(read_timeout, left), min(read_timeout, left))


def _number(value: float) -> float | int:
    """A whole number of seconds as an int, so texts say "1 s", not "1.0 s"."""
    return int(value) if float(value).is_integer() else value


def iter_body(
    response: requests.Response, deadline: Deadline, read_timeout: float
) -> Iterator[bytes]:
    """Yield a streamed response's (decoded) body as it arrives, never past the deadline.

    Each socket read waits at most the read timeout or what is left of the deadline, and the
    deadline is checked between reads, so a dripping server cannot hold the request.
    """
    raw = response.raw
    sock = _socket_of(raw)
    while True:
        left = deadline.check()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(max(0.01, min(read_timeout, left)))
        try:
            chunk = raw.read1(READ_CHUNK, decode_content=True)
        except Exception as exc:  # urllib3 wraps socket timeouts and resets in its own types
            deadline.check()
            why = type(exc).__name__
            raise requests.ConnectionError(f"reading the answer failed: {why}") from exc
        if not chunk:
            return
        yield chunk


def _socket_of(raw: Any) -> Any:
    """The socket under a urllib3 response, when it can be reached (for per-read timeouts)."""
    connection = getattr(raw, "_connection", None)
    return getattr(connection, "sock", None)


def read_limited(response: requests.Response, deadline: Deadline, read_timeout: float,
                 limit: int) -> bytes:  # fmt: skip
    """Read a whole body within the deadline; raise `TransientError` beyond `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in iter_body(response, deadline, read_timeout):
        size += len(chunk)
        if size > limit:
            response.close()
            raise TransientError(
                f"answer from {deadline.host} larger than {limit} bytes",
                reason="net.answer_too_large",
                params={"host": deadline.host, "limit": limit},
            )
        chunks.append(chunk)
    return b"".join(chunks)


class JsonResponse(requests.Response):
    """A response whose `json()` decodes a UTF-8 body with orjson, several times faster than
    the standard library for a page of posts; what orjson refuses (NaN, a lone surrogate
    escape, a body in another encoding) is decoded by requests as before."""

    def json(self, **kwargs: Any) -> Any:
        """The decoded JSON body (see the class doc)."""
        if not kwargs and self._content:
            with contextlib.suppress(orjson.JSONDecodeError):
                return orjson.loads(self._content)
        return super().json(**kwargs)


class NetSession(requests.Session):
    """A Session that routes, bounds in time and scrubs every request (see the module doc)."""

    def __init__(self, policy: NetPolicy, scrubber: Scrubber, hooks: dict[str, list[Any]]) -> None:
        super().__init__()
        # nothing from the environment on each request (no ~/.netrc credentials, no proxy
        # variables read five times over): its proxy and CA settings are read once, here
        self.trust_env = False
        self.environment = ProxyEnvironment()
        self.verify = self.environment.ca_bundle or True
        self.policy = policy
        self.scrubber = scrubber
        self.headers["User-Agent"] = USER_AGENT
        self.hooks = hooks  # shared with the factory: a hook added there reaches every session
        self.max_redirects = MAX_REDIRECTS
        self._chain = threading.local()
        for scheme in ("http://", "https://"):
            self.mount(scheme, WatchedAdapter())

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send one request (and follow its redirects) within one total deadline."""
        hop = bool(getattr(self._chain, "active", False))
        request.url = self.policy.route(str(request.url), hop=hop)
        if not kwargs.get("proxies"):  # a client library's own proxies stand
            kwargs["proxies"] = self.environment.proxies_for(request.url)
        if hop:
            return self._send_within(request, self._chain.deadline, **kwargs)
        deadline = getattr(self._chain, "preset", None) or Deadline(
            self.policy.deadline_seconds, urlsplit(request.url).hostname or ""
        )
        self._chain.active, self._chain.deadline = True, deadline
        try:
            return self._send_within(request, deadline, **kwargs)
        finally:
            self._chain.active, self._chain.deadline = False, None

    def stream(self, url: str, deadline: Deadline) -> requests.Response:
        """GET `url` for streaming (headers read, body not), within `deadline`."""
        self._chain.preset = deadline
        try:
            return self.get(url, stream=True)
        finally:
            self._chain.preset = None

    def _send_within(
        self, request: requests.PreparedRequest, deadline: Deadline, **kwargs: Any
    ) -> requests.Response:
        follow = kwargs.pop("allow_redirects", True)
        streamed = bool(kwargs.get("stream"))
        read_timeout = self.policy.read_timeout_seconds
        kwargs["timeout"] = deadline.timeout(read_timeout)
        kwargs["stream"] = True
        try:
            with watching(deadline.remaining):  # until the headers are in: see headerwatch
                response = super().send(request, allow_redirects=False, **kwargs)
        except requests.RequestException:
            if deadline.remaining() < WATCH_SLACK:  # the watchdog shut the socket: time is up
                raise deadline.expired() from None
            raise
        if response.is_redirect:  # read now, bounded: requests' redirect code reads it whole
            self._consume(response, read_limited(response, deadline, read_timeout,
                                                 REDIRECT_BODY_BYTES))  # fmt: skip
            if follow:
                history = [response, *self.resolve_redirects(response, request, **kwargs)]
                response = history.pop()
                response.history = history
        if not streamed and not response._content_consumed:
            data = read_limited(response, deadline, read_timeout, self.policy.max_body_bytes)
            self._consume(response, self.scrubber.data(data))
        return response

    @staticmethod
    def _consume(response: requests.Response, data: bytes) -> None:
        response.__class__ = JsonResponse  # same fields; only json() differs
        response._content = data
        response._content_consumed = True
        with contextlib.suppress(Exception):
            response.raw.release_conn()

    def scrub_error(self, text: str) -> str:
        """An error text without query strings or secrets, fit to log and store."""
        return self.scrubber.text(scrub(text))


Hook = Callable[..., Any]


class SessionFactory:
    """Builds `NetSession`s with one platform's rules; one per thread through `for_thread()`."""

    def __init__(self, policy: NetPolicy, secrets: Iterable[str] = ()) -> None:
        self.policy = policy
        self.scrubber = Scrubber(secrets)
        self.hooks: dict[str, list[Hook]] = requests.hooks.default_hooks()
        self._local = threading.local()
        self._made: list[NetSession] = []
        self._lock = threading.Lock()

    def new(self) -> NetSession:
        """A new session with the factory's policy, scrubber and hooks."""
        session = NetSession(self.policy, self.scrubber, self.hooks)
        with self._lock:
            self._made.append(session)
        return session

    def for_thread(self) -> NetSession:
        """The calling thread's own session (made on first use)."""
        session: NetSession | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self.new()
        return session

    def close(self) -> None:
        """Close every session made so far."""
        with self._lock:
            made, self._made = self._made, []
        for session in made:
            session.close()


class ThreadSessions(requests.Session):
    """The Session handed to a connector: each calling thread is served by its own NetSession."""

    def __init__(self, factory: SessionFactory) -> None:
        super().__init__()
        self.factory = factory
        self.hooks = factory.hooks
        self.scrubber = factory.scrubber

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send through the calling thread's own session."""
        return self.factory.for_thread().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a prepared request through the calling thread's own session."""
        return self.factory.for_thread().send(request, **kwargs)

    def scrub_error(self, text: str) -> str:
        """An error text without query strings or secrets, fit to log and store."""
        return self.scrubber.text(scrub(text))

    def stream(self, url: str, deadline: Deadline) -> requests.Response:
        """GET `url` for streaming through the calling thread's own session."""
        return self.factory.for_thread().stream(url, deadline)

    def close(self) -> None:
        """Close every thread's session."""
        self.factory.close()
        super().close()


class RedirectingSession(ThreadSessions):
    """Per-thread sessions sending everything to `endpoint` (None: the platform's own hosts)."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        hosts: tuple[str, ...] = (),
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__(SessionFactory(NetPolicy(endpoint=endpoint, hosts=hosts), secrets))


def scrub_error(session: requests.Session, text: str) -> str:
    """Clean an error text with `session`'s scrubber when it has one (else strip queries)."""
    cleaner = getattr(session, "scrub_error", None)
    return cleaner(text) if callable(cleaner) else scrub(text)
