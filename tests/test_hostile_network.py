"""The network rules against a hostile platform, for every connector: real HTTP, real CLI runs.

Each test runs once per hostile platform adapter: those of `tests/hostile/platforms.py` and the
`hostile` class every contract adapter names (`tests/contract/adapters/`), so a new connector
gets the same proof by adding its adapter.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from werkzeug.wrappers import Response

from connectors.emulation import png_image
from tests.contract.adapters import hostile_platforms
from tests.hostile.server import HostileServer, drip_response, redirect_response

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Hostile:
    """A hostile platform on loopback and a somed config pointing at it."""

    platform: object
    config_path: Path
    storage: Path
    env: dict[str, str]
    log: list[str]

    def somed(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "somed", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout, cwd=ROOT)  # fmt: skip
        self.log.append(result.stdout + result.stderr)
        return result

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        db = sqlite3.connect(self.storage / "somed.db")
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()


PLATFORMS = hostile_platforms()


@pytest.fixture(params=sorted(PLATFORMS))
def hostile(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hostile]:
    platform = PLATFORMS[request.param]()
    endpoint = platform.start()

    def configure(extra: str = "") -> None:
        lines = ["[storage]", f'dir = "{tmp_path / "archive"}"',
                 "[logging]", 'format = "json"', 'level = "debug"',
                 "[runner]", "backoff_base_seconds = 0.01", "backoff_max_seconds = 0.05",
                 "max_attempts = 3", extra, *platform.config_lines(endpoint)]  # fmt: skip
        (tmp_path / "somed.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    configure()
    env = {"PATH": "/usr/bin:/bin", platform.token_env: platform.token,
           "SOMED_CONFIG": str(tmp_path / "somed.toml"), "SOMED_LANG": "en"}  # fmt: skip
    setup = Hostile(platform, tmp_path / "somed.toml", tmp_path / "archive", env, [])
    setup.configure = configure  # type: ignore[attr-defined]
    yield setup
    platform.stop()


def token_forms(token: str) -> list[bytes]:
    forms = {token, quote(token), quote(token, safe=""), quote_plus(token),
             json.dumps(token)[1:-1].replace("/", "\\/")}  # fmt: skip
    return [f.encode() for f in forms]


def photo(name: str) -> bytes:
    return png_image(name)


def test_a_token_echoed_anywhere_reaches_no_database_file_log_status_or_export(hostile):
    p = hostile.platform
    p.add_posts(3)
    p.echo_token_everywhere(("echo.png", photo("echo"), "image/png"))
    p.echo_token_in_errors(times=2)  # a passing fault that repeats the token, then it works
    first = hostile.somed("archive")
    assert first.returncode == 0, first.stdout + first.stderr
    p.server.clear_overrides()
    p.reject_token_echoing_it()  # the token is rejected with a message that repeats it
    assert hostile.somed("archive").returncode == 1
    hostile.somed("status", "--json")
    hostile.somed("status")
    export = hostile.somed("export")
    assert export.returncode == 0 and "***" in export.stdout  # the echoes are there, redacted
    texts = [t.encode() for t in hostile.log]
    files = [f for f in hostile.storage.rglob("*") if f.is_file()]
    assert any(f.name.endswith(".png") for f in files)  # the photo itself was downloaded
    for form in token_forms(p.token):
        assert not [i for i, t in enumerate(texts) if form in t], form
        assert not [f for f in files if form in f.read_bytes()], form
    (message,) = hostile.rows("SELECT message FROM runs ORDER BY id DESC LIMIT 1")[0:1]
    assert message[0] and p.token not in str(message[0])


def test_an_html_error_page_as_a_photo_is_not_stored_and_is_fetched_again_later(hostile):
    p = hostile.platform
    page = b"<!DOCTYPE html><html><body>Content not available</body></html>"
    p.add_photo_post("p1.jpg", page, "image/jpeg")
    assert hostile.somed("archive").returncode == 0
    errors = hostile.rows("SELECT sha256, last_error FROM item_media")
    assert errors and errors[0][0] is None and "expected image but got an HTML page" in errors[0][1]
    assert not list(hostile.storage.glob("media/??/??/*"))  # the page was not kept as the photo
    p.graph.files["p1.jpg"] = (photo("p1"), "image/jpeg")  # the CDN works again, same URL
    with hostile.config_path.open("a", encoding="utf-8") as config:
        config.write('streams = ["profile"]\n')  # no walk, no re-read: only the stored URL
    assert hostile.somed("archive").returncode == 0
    (sha, error), = hostile.rows("SELECT sha256, last_error FROM item_media")  # fmt: skip
    assert sha and list(hostile.storage.glob(f"media/??/??/{sha}.*"))


def test_an_oversized_photo_is_refused_without_being_read_and_noted(hostile):
    p = hostile.platform
    hostile.configure("[media]\nmax_image_mb = 1")
    sent = [0]

    def endless(request, match):  # noqa: ANN001, ANN202
        def body():  # noqa: ANN202
            yield photo("big")
            while True:
                sent[0] += 1 << 16
                yield b"\0" * (1 << 16)

        return Response(body(), content_type="image/png", direct_passthrough=True)

    p.add_photo_post("big.png", b"", "image/png")
    p.server.override(p.media_pattern("big.png"), endless)
    p.add_photo_post("small.png", photo("small"), "image/png")
    assert hostile.somed("archive").returncode == 0
    rows = dict(hostile.rows("SELECT media_key, coalesce(last_error, sha256) FROM item_media"))
    assert "larger than the cap of 1 MB" in rows[p.media_key("big.png")]
    assert len(rows[p.media_key("small.png")]) == 64  # the other photo was stored
    assert sent[0] < 32 << 20  # an endless body: reading stopped at the cap (plus buffers)
    asked = len(p.server.requests_to(p.media_pattern("big.png")))
    with hostile.config_path.open("a", encoding="utf-8") as config:
        config.write('streams = ["profile"]\n')
    assert hostile.somed("archive").returncode == 0
    assert len(p.server.requests_to(p.media_pattern("big.png"))) == asked  # a refusal is final


def test_a_dripping_api_ends_the_run_within_its_deadline_and_no_run_stays_running(hostile):
    p = hostile.platform
    p.add_posts(2)
    table = f"[platforms.{p.platform}]"
    text = hostile.config_path.read_text(encoding="utf-8")
    text = text.replace(table, f"{table}\ndeadline_seconds = 1\ntimeout_seconds = 5")
    hostile.config_path.write_text(text, encoding="utf-8")
    p.server.override(p.api_pattern, lambda r, m: drip_response(b" ", every=0.2, total=100_000))
    result = hostile.somed("archive", timeout=60)
    assert result.returncode == 1
    assert "did not finish its answer within 1 s" in result.stdout  # the summary's reason
    assert hostile.rows("SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    (row,) = json.loads(hostile.somed("status", "--json").stdout)
    assert row["last_run"]["status"] in ("partial", "failed")
    p.server.clear_overrides()  # the lock was released: the next run works
    assert hostile.somed("archive").returncode == 0


def test_redirects_away_from_the_endpoint_are_refused_and_nothing_is_sent_there(hostile):
    p = hostile.platform
    elsewhere = HostileServer("127.0.0.2")
    base = elsewhere.start()
    try:
        p.add_photo_post("away.png", b"", "image/png")
        p.add_photo_post("meta.png", b"", "image/png")
        p.add_photo_post("fine.png", photo("fine"), "image/png")
        p.server.override(
            p.media_pattern("away.png"), lambda r, m: redirect_response(f"{base}/cdn/away.png")
        )
        p.server.override(
            p.media_pattern("meta.png"),
            lambda r, m: redirect_response("http://169.254.169.254/latest/"),
        )
        assert hostile.somed("archive").returncode == 0
        rows = dict(hostile.rows("SELECT media_key, coalesce(last_error, sha256) FROM item_media"))
        assert "redirect to 127.0.0.2 refused" in rows[p.media_key("away.png")]
        assert "redirect to 169.254.169.254 refused" in rows[p.media_key("meta.png")]
        assert len(rows[p.media_key("fine.png")]) == 64
        p.server.override(p.api_pattern, lambda r, m: redirect_response(f"{base}/posts"))
        result = hostile.somed("archive")
        assert result.returncode == 1
        assert "a redirect to 127.0.0.2 was refused" in result.stdout  # the summary's reason
        assert not elsewhere.seen
    finally:
        elsewhere.stop()


# VmHWM, not ru_maxrss: a forked child's ru_maxrss keeps the parent's peak across exec
RSS_PROBE = """
import re, runpy, sys
sys.argv = ["somed", "archive"]
try:
    runpy.run_module("somed", run_name="__main__")
except SystemExit:
    pass
status = open("/proc/self/status", encoding="ascii").read()
print("PEAK_RSS_KB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
"""


def test_large_photos_downloaded_in_parallel_keep_memory_flat(hostile):
    p = hostile.platform
    big = photo("large") + b"\0" * (24 << 20)  # four of these in parallel: 96 MB
    for n in range(4):
        p.add_photo_post(f"large{n}.png", big + bytes([n]), "image/png")
    hostile.configure("[media]\nmax_image_mb = 32")
    result = subprocess.run([sys.executable, "-c", RSS_PROBE], env=hostile.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=180)  # fmt: skip
    peak_kb = int(result.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    stored = hostile.rows("SELECT count(*) FROM media")
    assert stored == [(4,)], result.stdout + result.stderr
    assert peak_kb < 130 * 1024, f"peak RSS {peak_kb // 1024} MB"  # holding them: over 150 MB
