"""instaloader's own sessions reach the network only through somed's network layer."""

from __future__ import annotations

import pickle
import socket

import instaloader
import pytest
from instaloader import Post, Profile

from connectors.http import RedirectingSession
from connectors.instagram.emulator.web import VALID_SESSION, WebEmulator
from connectors.instagram.emulator.web_data import seeded
from connectors.instagram.loader_context import open_context
from connectors.instagram.loader_pace import PaceFile
from connectors.instagram.loader_transport import Route, routing
from connectors.netpolicy import NetworkRefused

HOSTS = ("instagram.com", "*.instagram.com", "*.cdninstagram.com", "*.fbcdn.net")


@pytest.fixture
def emulator():
    emulator = WebEmulator(seeded(30, busy_every=5))
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def session_file(tmp_path):
    path = tmp_path / "session-somed.viewer"
    path.write_bytes(
        pickle.dumps(
            {"sessionid": VALID_SESSION, "csrftoken": "csrf0123456789", "ds_user_id": "7700000001"}
        )
    )
    return path


def test_instaloader_outside_a_walk_cannot_reach_the_network(monkeypatch):
    import connectors.instagram.loader_transport  # noqa: F401 - installs the redirect

    def no_sockets(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "create_connection", no_sockets)
    monkeypatch.setattr(socket.socket, "connect", no_sockets)
    loader = instaloader.Instaloader(sleep=False, quiet=True, max_connection_attempts=1)
    with pytest.raises(NetworkRefused):
        Profile.from_username(loader.context, "sundsvallskommun")
    with pytest.raises(NetworkRefused):
        loader.context.get_raw("https://scontent-arn2-1.cdninstagram.com/v/x.jpg")


def test_every_host_instaloader_talks_to_reaches_the_endpoint(emulator, session_file):
    session = RedirectingSession(emulator.base_url, hosts=HOSTS)
    route = Route(session)
    context = open_context(
        session,
        PaceFile(None),
        pace_factor=100,
        timeout=10,
        session_file=session_file,
        session_user=None,
    )
    with routing(route):
        profile = Profile.from_username(context, "sundsvallskommun")  # www: the profile page
        post = next(
            p
            for p in map(
                lambda m: Post.from_iphone_struct(context, emulator.account.media(m)),
                emulator.account.timeline(),
            )
            if p.comments > 12
        )
        comments = list(post.get_comments())  # i.instagram.com: the mobile API
        context.get_raw(post.url).close()  # the CDN
    assert profile.userid == 5412345678 and len(comments) > 12
    paths = [r.path for r in emulator.request_log]
    assert "/sundsvallskommun/" in paths
    assert any(p.startswith("/api/v1/media/") for p in paths)
    assert any(p.startswith("/v/") for p in paths)
    assert route.requests == len(paths)


def test_without_an_endpoint_a_host_off_the_list_is_refused_before_connecting(monkeypatch):
    def no_sockets(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", no_sockets)
    session = RedirectingSession(None, hosts=HOSTS)
    context = open_context(
        session, PaceFile(None), pace_factor=1, timeout=10, session_file=None, session_user=None
    )
    with routing(Route(session)), pytest.raises(NetworkRefused):
        context.get_raw("https://evil.example.org/v/t51/x.jpg")


def test_the_session_cookies_are_scrubbed_from_what_the_platform_echoes(emulator, session_file):
    from werkzeug.wrappers import Response

    emulator.router.override(
        r"/sundsvallskommun/",
        lambda request, match: Response(
            f"<html>your session {VALID_SESSION} and csrf csrf0123456789</html>", status=503
        ),
    )
    session = RedirectingSession(emulator.base_url, hosts=HOSTS)
    context = open_context(
        session,
        PaceFile(None),
        pace_factor=100,
        timeout=10,
        session_file=session_file,
        session_user=None,
    )
    with routing(Route(session)):
        response = session.get("https://www.instagram.com/sundsvallskommun/")
    assert VALID_SESSION not in response.text and "csrf0123456789" not in response.text
    assert context.is_logged_in


def test_a_redirect_instaloader_receives_is_checked_like_a_hop(emulator):
    from werkzeug.wrappers import Response

    emulator.router.override(
        r"/sundsvallskommun/",
        lambda request, match: Response(
            "", status=302, headers={"Location": "http://127.0.0.2:9/stolen"}
        ),
    )
    session = RedirectingSession(emulator.base_url, hosts=HOSTS)
    context = open_context(
        session, PaceFile(None), pace_factor=100, timeout=10, session_file=None, session_user=None
    )
    with routing(Route(session)), pytest.raises(NetworkRefused) as refused:
        Profile.from_username(context, "sundsvallskommun")
    assert refused.value.reason == "net.redirect_refused" and "127.0.0.2" in str(refused.value)
