"""Every request instaloader makes goes through the run's hardened network layer.

instaloader builds its own `requests.Session`s inside the library (an anonymous one per page
load and download, a copy per GraphQL query and per `i.instagram.com` call), all with
`requests.Session()` in `instaloader.instaloadercontext`. That name is the one place that reaches
all of them: `install()` points it at `RoutedSession`, a Session whose only transport adapter hands
each prepared request to the session of the walk in progress (`routing(session)`), the run's
`ThreadSessions`. So endpoint redirection, the platform's host list, total deadlines, size caps
and secret scrubbing apply to instaloader's traffic as to any connector's.

instaloader does not let requests follow redirects; it reads them itself (a login wall is a
redirect to the login page). Each redirect it receives is checked like a hop of the network
layer, so one that leads away from the endpoint and the platform's hosts fails the request
(`net.redirect_refused`) instead of reaching instaloader.

Outside `routing(...)` the adapter refuses every request (`NetworkRefused`) without opening a
socket: instaloader cannot reach the network on its own, not even by accident.
"""

from __future__ import annotations

import contextlib
import contextvars
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import requests.adapters
from instaloader import instaloadercontext

from connectors.netpolicy import NetPolicy, NetworkRefused


@dataclass
class Route:
    """Where the instaloader requests of one walk go, and how many there were."""

    session: requests.Session
    requests: int = 0


_WALK: contextvars.ContextVar[Route | None] = contextvars.ContextVar(
    "instaloader_walk", default=None
)


class RoutedAdapter(requests.adapters.BaseAdapter):
    """A transport that sends through the current walk's session, or refuses."""

    def send(  # noqa: PLR0913 - requests' adapter signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Send `request` through the walk's session (its policy routes it), never directly."""
        route = _WALK.get()
        if route is None:
            raise NetworkRefused(
                "instaloader tried to reach the network outside somed's network layer",
                reason="net.refused",
                params={"host": "instaloader"},
            )
        # a copy: the network layer rewrites the URL it sends to, while requests keeps the
        # cookies instaloader's session receives under the host instaloader asked for
        route.requests += 1
        response = route.session.send(request.copy(), allow_redirects=False, stream=stream)
        response.url = str(request.url)
        response.request = request
        if response.is_redirect:  # instaloader reads redirects itself: check them as hops
            policy = _policy_of(route.session)
            location = response.headers.get("Location", "")
            if policy is not None and location:
                policy.route(urljoin(str(request.url), location), hop=True)
        return response

    def close(self) -> None:
        """Nothing to release: the walk's session owns the connections."""


def _policy_of(session: requests.Session) -> NetPolicy | None:
    """The network rules of the run's session (ThreadSessions or NetSession), if it has them."""
    factory = getattr(session, "factory", None)
    policy = getattr(factory, "policy", None) or getattr(session, "policy", None)
    return policy if isinstance(policy, NetPolicy) else None


class RoutedSession(requests.Session):
    """The `requests.Session` instaloader builds: every scheme goes to `RoutedAdapter`."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # proxies and certificates are the network layer's business
        self.adapters.clear()
        adapter = RoutedAdapter()
        for scheme in ("https://", "http://"):
            self.mount(scheme, adapter)


class _RequestsFacade(types.ModuleType):
    """`requests` as instaloader's context module sees it: the same, but for `Session`."""

    Session = RoutedSession

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


def install() -> None:
    """Point instaloader's context module at `RoutedSession` (idempotent)."""
    if not isinstance(instaloadercontext.requests, _RequestsFacade):
        instaloadercontext.requests = _RequestsFacade("requests")


@contextlib.contextmanager
def routing(route: Route) -> Iterator[None]:
    """Within the block, instaloader's requests in this thread go through `route.session`.

    Hold it around instaloader calls only, never across a `yield`: a walk's generator may be
    resumed in another thread (the runner's prefetch), whose context does not have it.
    """
    install()
    token = _WALK.set(route)
    try:
        yield
    finally:
        _WALK.reset(token)


install()
