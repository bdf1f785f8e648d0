"""The shared emulator toolkit (connectors/emulation) over real loopback HTTP."""

from __future__ import annotations

import socket
import threading
from typing import Any

import filetype
import pytest
import requests
from werkzeug.wrappers import Request, Response

from connectors.emulation import (
    CursorCodec,
    Emulator,
    FaultPlan,
    FaultQueue,
    InvalidCursor,
    LoopbackServer,
    UsageBudget,
    gif_image,
    jpeg_image,
    json_response,
    media_bytes,
    mp4_video,
    png_image,
)


class Tiny(Emulator):
    """A minimal platform: one listing, its own throttle envelope."""

    name = "tiny"
    fault_kinds = ("throttle", "server_error")
    passthrough = r"/media/"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.router.route(r"/items", lambda r, m: json_response({"data": [1, 2]}))
        self.router.route(
            r"/media/(\w+)\.png",
            lambda r, m: Response(png_image(m.group(1)), content_type="image/png"),
        )

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        status = 429 if kind == "throttle" else int(params.get("status", 503))
        return json_response({"errors": [{"kind": kind}]}, status)


def test_server_serves_on_a_free_port_and_releases_it() -> None:
    app = LoopbackServer(lambda env, start: [start("200 OK", []) or b"ok"][1:] or [b"ok"])
    url = app.start()
    assert url.startswith("http://127.0.0.1:") and requests.get(url, timeout=5).text == "ok"
    port = int(url.rsplit(":", 1)[1])
    app.stop()
    app.stop()  # twice is harmless
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))


def test_routes_faults_and_log_over_http() -> None:
    with Tiny() as emu:
        assert requests.get(emu.base_url + "/items", timeout=5).json() == {"data": [1, 2]}
        emu.fail_next(2, "throttle")
        assert requests.get(emu.base_url + "/items", timeout=5).status_code == 429
        # media is passthrough: never faulted, the queued fault waits for the next API call
        assert (
            filetype.guess_mime(requests.get(emu.base_url + "/media/a.png", timeout=5).content)
            == "image/png"
        )
        assert requests.get(emu.base_url + "/items", timeout=5).status_code == 429
        assert requests.get(emu.base_url + "/nope", timeout=5).status_code == 404
        log = list(emu.request_log)
        assert [(e.path, e.status, e.fault) for e in log] == [
            ("/items", 200, None),
            ("/items", 429, "throttle"),
            ("/media/a.png", 200, None),
            ("/items", 429, "throttle"),
            ("/nope", 404, None),
        ]
        emu.router.override(r"/items", lambda r, m: json_response({"data": []}, 200))
        assert requests.get(emu.base_url + "/items", timeout=5).json() == {"data": []}
        emu.reset_log()
        assert len(emu.request_log) == 0


def test_latency_delays_every_answer_without_blocking_others() -> None:
    with Tiny(latency=0.2) as emu:
        results: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    requests.get(emu.base_url + "/items", timeout=5).status_code
                )
            )
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 4 and emu.latency == 0.2


def test_a_seeded_plan_fails_the_same_share_the_same_way() -> None:
    def draws(seed: int) -> list[Any]:
        queue = FaultQueue(("throttle", "server_error"), FaultPlan(rate=0.2, seed=seed))
        return [queue.next() for _ in range(1000)]

    first = draws(7)
    assert first == draws(7) and first != draws(8)
    failed = [f for f in first if f is not None]
    assert 150 < len(failed) < 250 and {k for k, _ in failed} == {"throttle", "server_error"}
    with pytest.raises(ValueError):
        FaultQueue(("throttle",), FaultPlan(rate=1, kinds=("bogus",)))


def test_forced_faults_come_before_budget_and_plan() -> None:
    queue = FaultQueue(("throttle", "expired_token"))
    queue.fail_next(1, "expired_token", {"why": "test"})
    assert queue.next(("throttle", {})) == ("expired_token", {"why": "test"})
    assert queue.next(("throttle", {})) == ("throttle", {})
    assert queue.next() is None


def test_sliding_budget_counts_remaining_and_reset() -> None:
    now = [1000.0]
    budget = UsageBudget(3, window=60, clock=lambda: now[0])
    assert all(budget.spend() for _ in range(3)) and not budget.spend()
    assert budget.remaining() == 0 and budget.percent() == 100 and budget.exhausted()
    assert budget.available_at() == 1060 and budget.reset_at() == 1060
    now[0] = 1060.5
    assert budget.remaining() == 3


def test_fixed_quota_resets_at_the_given_moment() -> None:
    now = [10.0]
    budget = UsageBudget(100, fixed=True, clock=lambda: now[0], resets_at=lambda start: 50.0)
    assert budget.spend(60) and not budget.spend(50) and budget.used() == 60
    budget.charge(50)  # a platform may count what it refuses
    assert budget.remaining() == 0 and budget.reset_at() == 50.0
    now[0] = 50.0
    assert budget.remaining() == 100


def test_cursors_round_trip_and_detect_tampering() -> None:
    codec = CursorCodec("k1")
    token = codec.encode({"after": "123_456", "n": 25})
    assert codec.decode(token) == {"after": "123_456", "n": 25}
    assert all(c.isalnum() or c in "-_" for c in token)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, token[:-4], "", "not a cursor!", CursorCodec("k2").encode(1)):
        with pytest.raises(InvalidCursor):
            codec.decode(bad)


@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (jpeg_image, "image/jpeg"),
        (png_image, "image/png"),
        (gif_image, "image/gif"),
        (mp4_video, "video/mp4"),
    ],
)
def test_generated_media_has_magic_numbers_and_follows_the_seed(make: Any, mime: str) -> None:
    assert filetype.guess_mime(make("a")) == mime
    assert make("a") == make("a") and make("a") != make("b")
    big = make("a", size=70_000)
    assert len(big) >= 70_000 and filetype.guess_mime(big) == mime


def test_media_bytes_by_extension() -> None:
    assert media_bytes("JPG", 1)[1] == "image/jpeg"
    assert media_bytes("unknown", 1)[1] == "image/png"
