"""A real Chromium session recorded as WARC (SessionRecorder), packed as WACZ, validated."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from warcio.archiveiterator import ArchiveIterator
from werkzeug.wrappers import Request, Response

from connectors.emulation.media import png_image
from connectors.emulation.server import LoopbackServer
from somed.capture.recorder import SessionRecorder
from somed.capture.wacz import wacz_problems, write_wacz
from tests.browser_support import NO_CHROMIUM

COOKIE = "SECRET-cookie-7f3e91"  # a stored login's cookie: must never reach the WARC
BEARER = "SECRET-bearer-2c8d44"
SERVER_COOKIE = "SECRET-set-cookie-5a1b"
PAGE = """<!doctype html><html><head><title>Testkommun</title>
<link rel="stylesheet" href="/style.css"></head><body>
<h1>Testkommun</h1><p>Senaste inlägget: Välkommen till biblioteket!</p>
<img src="/img/1.png" alt="one"><img src="/img/2.png" alt="two">
<div id="more"></div>
<script>fetch('/more').then(r => r.text()).then(t => {
  document.getElementById('more').innerHTML = t; });</script>
</body></html>"""

pytestmark = NO_CHROMIUM


def _site(request: Request) -> Response:
    path = request.path
    if path == "/start":
        return Response(status=302, headers={"Location": "/page"})
    if path == "/page":
        response = Response(PAGE, content_type="text/html; charset=utf-8")
        response.set_cookie("sid", SERVER_COOKIE)
        return response
    if path.startswith("/img/"):
        return Response(png_image(path, 64, 48), content_type="image/png")
    if path == "/style.css":
        body = gzip.compress(b"body { font-family: sans-serif; }" * 50)
        return Response(body, content_type="text/css", headers={"Content-Encoding": "gzip"})
    if path == "/more":
        return Response(
            '<img src="/img/3.png" alt="three"><p>Fler inlägg</p>', content_type="text/html"
        )
    return Response("not here", status=404)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = LoopbackServer(Request.application(_site), name="capture-site")
    yield server.start()
    server.stop()


@pytest.fixture
def recorded(site: str, chromium: Browser, tmp_path: Path) -> tuple[Path, SessionRecorder, str]:
    """A session with a planted login cookie and Authorization header: start -> page."""
    context = chromium.new_context(extra_http_headers={"Authorization": f"Bearer {BEARER}"})
    context.add_cookies([{"name": "login", "value": COOKIE, "url": site}])
    recorder = SessionRecorder(context)
    page = context.new_page()
    page.goto(f"{site}/start", wait_until="networkidle")
    assert "Fler inlägg" in page.content()
    warc = tmp_path / "capture.warc.gz"
    count = recorder.write_warc(warc)
    context.close()
    assert count == recorder.records
    return warc, recorder, site


def _records(warc: Path) -> list[tuple[str, str, int | None, bytes, str]]:
    """(type, uri, status, payload, http headers as text) of every record."""
    out = []
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            status = None
            headers = ""
            if record.http_headers is not None:
                headers = record.http_headers.to_str()
                if record.rec_type == "response":
                    status = int(record.http_headers.get_statuscode())
            out.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI"),
                    status,
                    record.content_stream().read(),
                    headers,
                )
            )
    return out


def test_the_warc_holds_every_response_with_its_request(recorded: tuple) -> None:
    warc, recorder, site = recorded
    records = _records(warc)
    assert records[0][0] == "warcinfo"
    responses = {
        uri: (status, body) for kind, uri, status, body, _ in records if kind == "response"
    }
    requests = [uri for kind, uri, *_ in records if kind == "request"]
    assert sorted(requests) == sorted(responses)  # one request record per response
    assert responses[f"{site}/start"][0] == 302  # the redirect is kept, with no body
    assert "Välkommen till biblioteket" in responses[f"{site}/page"][1].decode()
    for n in (1, 2, 3):  # the images, the lazily fetched one too, byte for byte
        assert responses[f"{site}/img/{n}.png"] == (200, png_image(f"/img/{n}.png", 64, 48))
    assert responses[f"{site}/style.css"][1].startswith(b"body {")  # stored decoded
    css_headers = next(h for k, u, _, _, h in records if k == "response" and u.endswith(".css"))
    assert "content-encoding" not in css_headers.lower()
    assert gzip.decompress(warc.read_bytes()).startswith(b"WARC/1.1\r\n")
    assert recorder.skipped == 0


def test_no_cookie_or_authorization_reaches_the_warc(recorded: tuple) -> None:
    warc, _, _ = recorded
    text = gzip.decompress(warc.read_bytes())
    for secret in (COOKIE, BEARER, SERVER_COOKIE):
        assert secret.encode() not in text
    lowered = text.lower()
    assert b"\r\ncookie:" not in lowered and b"\r\nset-cookie:" not in lowered
    assert b"\r\nauthorization:" not in lowered


def test_the_wacz_validates_and_holds_the_html_and_images(recorded: tuple, tmp_path: Path) -> None:
    warc, _, site = recorded
    png = tmp_path / "shot.png"
    png.write_bytes(png_image("screenshot", 32, 400))
    ts = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    wacz = write_wacz(
        warc, tmp_path / "capture.wacz", pages=[(f"{site}/page", "Testkommun", ts)], screenshot=png
    )
    assert wacz_problems(wacz) == []
    with zipfile.ZipFile(wacz) as archive:
        names = set(archive.namelist())
        assert {
            "datapackage.json",
            "datapackage-digest.json",
            "pages/pages.jsonl",
            "indexes/index.cdx.gz",
            "archive/capture.warc.gz",
        } <= names
        package = json.loads(archive.read("datapackage.json"))
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]
        index = gzip.decompress(archive.read("indexes/index.cdx.gz")).decode()
        inner = archive.read("archive/capture.warc.gz")
        shots = archive.read("archive/screenshots.warc.gz")
        assert archive.getinfo("archive/capture.warc.gz").compress_type == zipfile.ZIP_STORED
    assert package["wacz_version"].startswith("1.1")
    assert all(r["hash"].startswith("sha256:") for r in package["resources"])
    assert package["mainPageURL"] == f"{site}/page"
    assert pages[1] == {
        **pages[1],
        "url": f"{site}/page",
        "title": "Testkommun",
        "ts": "2026-12-01T15:00:00Z",
    }
    indexed = {
        json.loads(line.split(" ", 2)[2])["url"]: json.loads(line.split(" ", 2)[2])
        for line in index.splitlines()
    }
    assert indexed[f"{site}/page"]["mime"] == "text/html"
    assert {f"{site}/img/{n}.png" for n in (1, 2, 3)} <= set(indexed)
    assert f"urn:fullPage:{site}/page" in indexed
    with io.BytesIO(shots) as fh:
        shot = next(iter(ArchiveIterator(fh)))
        assert shot.content_stream().read() == png.read_bytes()
    html = [
        r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(inner))
        if r.rec_headers.get_header("WARC-Target-URI") == f"{site}/page"
        and r.rec_type == "response"
    ]
    assert b"Testkommun" in html[0]


def test_wacz_validate_reports_a_damaged_file(recorded: tuple, tmp_path: Path) -> None:
    warc, _, site = recorded
    good = write_wacz(
        warc, tmp_path / "good.wacz", pages=[(f"{site}/page", "Testkommun", datetime.now(UTC))]
    )
    assert wacz_problems(good) == []
    changed, broken = tmp_path / "changed.wacz", tmp_path / "broken.wacz"
    for target, member, damage in (
        (changed, "pages/pages.jsonl", lambda d: d.replace(b"Testkommun", b"Falskkommun")),
        (broken, "archive/capture.warc.gz", lambda d: d[: len(d) // 2]),
    ):
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                dst.writestr(item, damage(data) if item.filename == member else data)
    problems = wacz_problems(changed)  # a file changed after packing: its hash no longer fits
    assert any("pages.jsonl" in p for p in problems), problems
    assert any("invalid" in p for p in problems), problems
    problems = wacz_problems(broken)  # a truncated WARC: one line saying so, no traceback
    assert len(problems) == 1 and "could not read" in problems[0], problems
