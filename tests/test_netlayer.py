"""The shared network layer over real loopback HTTP: scrubbing, redirects, deadlines, downloads."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
import requests
from werkzeug.wrappers import Response

from connectors.base import TransientError
from connectors.download import MB, MediaGone, MediaLimits, MediaRefused, download
from connectors.emulation import png_image
from connectors.http import NetPolicy, NetworkRefused, SessionFactory, ThreadSessions
from connectors.scrub import Scrubber
from storage.media import MediaStore
from tests.hostile.server import HostileServer, drip_response, json_response, redirect_response

TOKEN = "EAAHostileTok3nValue+/=Xy"
FORMS = [TOKEN, quote(TOKEN), quote(TOKEN, safe=""), quote_plus(TOKEN),
         quote(TOKEN, safe="").replace("%2B", "%2b").replace("%2F", "%2f"),
         quote(quote(TOKEN, safe=""), safe=""), json.dumps(TOKEN)[1:-1].replace("/", "\\/"),
         "".join(f"\\u{ord(c):04x}" for c in TOKEN)]  # fmt: skip


@pytest.fixture
def server() -> Iterator[HostileServer]:
    s = HostileServer()
    s.start()
    yield s
    s.stop()


def sessions(endpoint: str | None, **policy: object) -> ThreadSessions:
    return ThreadSessions(SessionFactory(NetPolicy(endpoint=endpoint, **policy), [TOKEN]))  # type: ignore[arg-type]


def test_the_scrubber_finds_a_secret_in_every_form_a_platform_may_echo_it():
    scrubber = Scrubber([TOKEN])
    for form in FORMS:
        text = f'{{"message": "Invalid token {form} given", "next": "x?a=1&access_token={form}"}}'
        assert not scrubber.found_in(scrubber.text(text)), form
        assert form not in scrubber.text(text) and form.encode() not in scrubber.data(text.encode())
    other = scrubber.text("https://graph.facebook.com/v21.0/1/feed?access_token=OTHER123&after=Q")
    assert other.endswith("access_token=***&after=Q")  # a credential parameter, whatever its value
    signed = "https://scontent.xx.fbcdn.net/v/p.jpg?_nc_sig=abc&oh=00_AfB&oe=6A00"
    assert (
        scrubber.text(signed) == signed
    )  # media signatures are kept: the file must stay fetchable


def test_every_body_is_scrubbed_before_a_client_library_parses_it(server):
    escaped = "".join(f"\\u{ord(c):04x}" for c in TOKEN)
    body = ('{"error": {"message": "Invalid token ' + TOKEN + ' given", "code": 190},'
            ' "data": [{"comments": {"paging": {"next": "https:\\/\\/graph.facebook.com\\/v21.0'
            '\\/1\\/comments?access_token=' + quote_plus(TOKEN) + '&after=QQ"}}}],'
            ' "about": "' + escaped + '"}')  # fmt: skip
    server.route(r"/echo", lambda r, m: Response(body, content_type="application/json"))
    response = sessions(server.base_url).get("https://graph.facebook.com/echo")
    parsed = response.json()
    text = json.dumps(parsed)
    assert all(form not in text and form not in response.text for form in FORMS)
    assert parsed["about"] == "***" and "Invalid token *** given" in text
    assert parsed["data"][0]["comments"]["paging"]["next"].endswith("access_token=***&after=QQ")


def test_json_bodies_decode_as_the_standard_library_decodes_them(server):
    bodies = {"plain": '{"a": [1, 2.5, "å\\u00e4\\n"], "b": {"c": null}}',
              "nan": '{"x": NaN}', "surrogate": '{"t": "\\ud800 alone"}',
              "latin1": ('{"t": "' + "\xe5" + '"}', "application/json; charset=iso-8859-1")}  # fmt: skip
    for name, body in bodies.items():
        text, kind = body if isinstance(body, tuple) else (body, "application/json")
        server.route(rf"/{name}", lambda r, m, text=text, kind=kind: Response(
            text.encode("latin-1" if "8859" in kind else "utf-8"), content_type=kind))
        parsed = sessions(server.base_url).get(f"https://graph.facebook.com/{name}").json()
        expected = json.loads(text)
        assert json.dumps(parsed) == json.dumps(expected), name  # NaN too


def test_no_credentials_come_from_a_netrc_file(server, tmp_path, monkeypatch):
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login admin password hemligt\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    server.route(r"/who", lambda r, m: json_response({"auth": r.headers.get("Authorization")}))
    assert requests.get(f"{server.base_url}/who", timeout=10).json()["auth"]  # netrc is there
    assert sessions(server.base_url).get("https://graph.facebook.com/who").json() == {"auth": None}


def test_redirects_are_followed_only_to_the_configured_endpoint(server):
    other = HostileServer("127.0.0.2")
    other_base = other.start()
    beside = HostileServer()
    beside_base = beside.start()
    try:
        server.route(r"/ok", lambda r, m: json_response({"ok": True}))
        server.route(r"/self", lambda r, m: redirect_response(f"{server.base_url}/ok"))
        server.route(r"/cdn", lambda r, m: redirect_response("https://scontent.xx.fbcdn.net/ok"))
        targets = {"port": f"{beside_base}/ok", "host": f"{other_base}/ok",
                   "private": "http://10.20.30.40/ok", "metadata": "http://169.254.169.254/ok",
                   "public": "https://example.org/ok"}  # fmt: skip
        for name, target in targets.items():
            server.route(rf"/to-{name}", lambda r, m, t=target: redirect_response(t))
        session = sessions(server.base_url, hosts=("*.fbcdn.net",))
        assert session.get("https://graph.facebook.com/self").json() == {"ok": True}
        assert session.get("https://graph.facebook.com/cdn").json() == {"ok": True}
        for name in targets:
            with pytest.raises(NetworkRefused) as refused:
                session.get(f"https://graph.facebook.com/to-{name}")
            assert refused.value.reason == "net.redirect_refused", name
        assert not other.seen and not beside.seen  # nothing was sent to the forbidden places
        assert [s.path for s in server.seen].count("/ok") == 2
    finally:
        other.stop()
        beside.stop()


def test_without_an_endpoint_only_public_addresses_of_the_platform_hosts_are_allowed():
    answers = {"cdn.example.org": ["93.184.216.34"], "inner.example.org": ["10.1.1.1"],
               "v6.example.org": ["::1"], "mapped.example.org": ["::ffff:127.0.0.1"]}  # fmt: skip
    policy = NetPolicy(platform="test", hosts=("*.example.org",),
                       resolver=lambda host, port: answers[host])  # fmt: skip
    assert (
        policy.route("https://cdn.example.org/a?b=1", hop=True) == "https://cdn.example.org/a?b=1"
    )
    refused = ["https://inner.example.org/", "https://v6.example.org/", "https://mapped.example.org/",
               "https://evil.test/", "http://cdn.example.org/", "https://169.254.169.254/"]  # fmt: skip
    for url in refused:
        with pytest.raises(NetworkRefused):
            policy.route(url, hop=False)


def test_a_dripping_server_fails_the_request_at_its_total_deadline(server):
    server.route(r"/drip", lambda r, m: drip_response(b" ", every=0.1, total=100_000))
    session = sessions(server.base_url, deadline_seconds=1.0, read_timeout_seconds=5.0)
    with pytest.raises(TransientError) as failed:
        session.get("https://graph.facebook.com/drip")
    assert failed.value.reason == "net.deadline" and failed.value.params["seconds"] == 1.0


def test_each_thread_has_its_own_session_with_the_same_rules_and_hooks(server):
    server.route(r"/ok", lambda r, m: json_response({"ok": True}))
    session = sessions(server.base_url)
    counted: list[str] = []
    session.hooks["response"].append(
        lambda response, **kw: counted.append(threading.current_thread().name)
    )
    used: dict[str, object] = {}

    def work(name: str) -> None:
        session.get("https://graph.facebook.com/ok")
        used[name] = session.factory.for_thread()

    threads = [threading.Thread(target=work, args=(f"t{i}",), name=f"t{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    work("main")
    assert len({id(s) for s in used.values()}) == 4  # four threads, four sessions
    assert sorted(counted) == ["MainThread", "t0", "t1", "t2"]  # the hook ran on every one
    session.close()


def counting_body(chunks: int, size: int, sent: list[int]) -> Iterator[bytes]:
    head = png_image("big")[:64]
    yield head
    sent[0] += len(head)
    for _ in range(chunks):
        sent[0] += size
        yield b"\0" * size


def test_an_oversized_photo_is_refused_without_reading_it_whole(server, tmp_path):
    sent = [0]
    server.route(r"/chunked", lambda r, m: Response(counting_body(4096, 64 * 1024, sent),
                                                   content_type="image/png",
                                                   direct_passthrough=True))  # fmt: skip
    declared = png_image("x") + b"\0" * (3 * MB)
    server.route(r"/long", lambda r, m: Response(declared, content_type="image/png"))
    store = MediaStore(tmp_path)
    session = sessions(server.base_url)
    limits = MediaLimits(max_image_bytes=1 * MB)
    for path in ("/chunked", "/long"):
        with pytest.raises(MediaRefused) as refused, store.incoming() as sink:
            download(session, f"https://scontent.xx.fbcdn.net{path}", sink, kind="image",
                     declared=None, limits=limits)  # fmt: skip
        assert refused.value.reason == "net.media_too_large"
        assert refused.value.params["cap_mb"] == 1
    assert sent[0] < 64 * MB  # of 256 MB: reading stopped at the cap (plus socket buffers)
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]  # nothing kept


def test_an_html_page_served_as_a_photo_is_a_failed_download(server, tmp_path):
    page = b"<!DOCTYPE html><html><body>Sorry, this content isn't available</body></html>"
    server.route(r"/photo.jpg", lambda r, m: Response(page, content_type="image/jpeg"))
    server.route(r"/gone.jpg", lambda r, m: Response("", status=404))
    store = MediaStore(tmp_path)
    session = sessions(server.base_url)
    with pytest.raises(TransientError) as failed, store.incoming() as sink:
        download(session, "https://scontent.xx.fbcdn.net/photo.jpg", sink, kind="image",
                 declared="image/jpeg", limits=MediaLimits())  # fmt: skip
    assert failed.value.reason == "net.media_type_mismatch"
    assert failed.value.params == {"expected": "image", "found": "text/html"}
    with pytest.raises(MediaGone), store.incoming() as sink:
        download(session, "https://scontent.xx.fbcdn.net/gone.jpg", sink, kind="image",
                 declared=None, limits=MediaLimits())  # fmt: skip
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


def test_a_real_photo_streams_into_the_store_hashed_on_the_way(server, tmp_path):
    data = png_image("real") + b"\0" * (2 * MB)
    server.route(r"/real", lambda r, m: Response(data, content_type="application/octet-stream"))
    store = MediaStore(tmp_path)
    with store.incoming() as sink:
        mime = download(sessions(server.base_url), "https://scontent.xx.fbcdn.net/real", sink,
                        kind="image", declared=None, limits=MediaLimits())  # fmt: skip
        stored = store.commit(sink, mime)
    assert mime == "image/png" and stored.path.endswith(".png")
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.verify(stored.path, stored.sha256)
    assert not list((tmp_path / "media" / ".partial").iterdir())  # the temporary file moved


def test_stale_partial_downloads_are_removed_at_start(tmp_path):
    import os
    import time

    store = MediaStore(tmp_path)
    with store.incoming() as sink:
        sink.write(b"half a file")
        stale = sink.path
        sink.committed = True  # as if the process was killed here: the file stays behind
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = stale.with_name(".tmp-fresh.part")
    fresh.write_bytes(b"being written by a live process")
    assert store.remove_stale_temp() == 1
    assert not stale.exists() and fresh.exists()


def test_every_connector_declares_the_hosts_its_traffic_may_reach():
    from connectors.registry import available, connector_class

    for platform in available():
        cls = connector_class(platform)
        assert cls.hosts, f"{platform}: declare `hosts` (its API and media hosts)"
        policy = NetPolicy(platform=platform, hosts=cls.hosts, resolver=lambda h, p: ["127.0.0.1"])
        with pytest.raises(NetworkRefused):  # even a platform host that resolves to loopback
            policy.route(f"https://{cls.hosts[0].lstrip('*.')}/", hop=False)


def test_a_server_dripping_its_headers_fails_the_request_at_its_deadline():
    import socket
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set():  # one header line every 0.2 s, never the blank line
            try:
                conn.sendall(b"X-Slow: yes\r\n")
            except OSError:
                break
            time.sleep(0.2)
        conn.close()

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        session = sessions(
            f"http://127.0.0.1:{port}", deadline_seconds=1.0, read_timeout_seconds=5.0
        )
        with pytest.raises(TransientError) as failed:
            session.get("https://graph.facebook.com/slow-headers")
        assert failed.value.reason == "net.deadline"
    finally:
        stop.set()
        listener.close()


def test_a_connection_goes_to_the_address_that_was_checked_not_to_a_fresh_lookup():
    # DNS rebinding: the check sees a public address, a second lookup would give loopback.
    # The connection must use the checked address, so the loopback listener sees nothing.
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    policy = NetPolicy(platform="test", hosts=("localhost",), deadline_seconds=2.0,
                       read_timeout_seconds=1.0, resolver=lambda host, port: ["1.1.1.1"])  # fmt: skip
    session = ThreadSessions(SessionFactory(policy, [TOKEN]))
    try:
        with pytest.raises(Exception):  # noqa: B017 - 1.1.1.1 is out of reach here, any failure
            session.get(f"https://localhost:{port}/rebound")
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing connected to the loopback address
    finally:
        session.close()
        listener.close()


def test_the_proxy_variables_are_honoured_and_no_proxy_goes_direct(server, monkeypatch):
    platform = HostileServer("127.0.0.2")  # what the endpoint names; the proxy is `server`
    platform_base = platform.start()
    try:
        platform.route(r"/who", lambda r, m: json_response({"via": "direct"}))
        server.route(r"/who", lambda r, m: json_response({"via": "proxy"}))
        monkeypatch.setenv("HTTP_PROXY", server.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        through = sessions(platform_base)
        assert through.get("https://graph.facebook.com/who").json() == {"via": "proxy"}
        assert through.get("https://graph.facebook.com/who").json() == {"via": "proxy"}
        assert [s.host for s in server.requests_to("/who")] == [platform_base.split("//")[1]] * 2
        monkeypatch.setenv("NO_PROXY", "127.0.0.2")
        assert sessions(platform_base).get("https://graph.facebook.com/who").json() == {
            "via": "direct"}  # fmt: skip
    finally:
        platform.stop()


def test_a_ca_bundle_named_in_the_environment_verifies_tls(monkeypatch, tmp_path):
    bundle = tmp_path / "municipal-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert SessionFactory(NetPolicy()).new().verify == str(bundle)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert SessionFactory(NetPolicy()).new().verify is True
