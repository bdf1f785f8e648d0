"""Capture one page in a fresh browser context: load it whole, judge it, picture it in tiles.

Runs inside the capture worker (`somed.capture.worker`); everything it is told and everything
it answers is plain JSON, so the worker can be killed at any moment without losing the daemon.
"""

from __future__ import annotations

import contextlib
import resource
import time
from pathlib import Path
from typing import Any

from connectors.capture_hints import CaptureHints
from somed.capture.consent import dismiss_consent
from somed.capture.recorder import SessionRecorder
from somed.capture.scroll import NetworkWatch, document_height, load_whole_page
from somed.capture.tiles import MAX_TILE_PX, capture_tiles
from somed.capture.verdict import expected_text_problem, page_problem

NAVIGATION_TIMEOUT_MS = 60_000


def hints_from(data: dict[str, Any]) -> CaptureHints:
    """The capture hints sent in a job (lists back to tuples; none: a page with no hints)."""
    if not data:
        return CaptureHints(public_hosts=())
    return CaptureHints(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _new_context(browser: Any, job: dict[str, Any]) -> Any:
    """A fresh context: the job's viewport, Swedish locale and time, its storage state if any."""
    options: dict[str, Any] = {
        "viewport": {"width": job["viewport"][0], "height": job["viewport"][1]},
        "device_scale_factor": 1,
        "locale": "sv-SE",
        "timezone_id": "Europe/Stockholm",
        "service_workers": "block",  # every response passes the recorder
    }
    if job.get("storage_state"):
        options["storage_state"] = job["storage_state"]
    return browser.new_context(**options)


def capture_page(browser: Any, job: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Capture `job["url"]` into `folder` and return what happened (files, verdict, facts)."""
    hints = hints_from(job.get("hints") or {})
    result: dict[str, Any] = {"verdict": "valid", "reason": None, "params": {}}
    timings: dict[str, float] = result.setdefault("timings_s", {})
    clock = _Clock(timings)
    context = _new_context(browser, job)
    recorder = SessionRecorder(context)
    try:
        page = context.new_page()
        network = NetworkWatch(page, idle_work=recorder.record_some)
        try:
            response = page.goto(job["url"], wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
        except Exception as exc:  # Playwright's errors: refused, DNS, TLS, timeout
            message = " ".join(str(exc).split("\n")[0].split())[:300]
            result.update(
                verdict="failed",
                reason="capture.unreachable",
                params={"url": job["url"], "error": message},
            )
            return result
        status = response.status if response is not None else None
        result["status"] = status
        clock.lap("open")
        # at once, not after a network-idle wait: a dialog that comes later is found after
        # scrolling, and the page is then scrolled again
        dismissed = dismiss_consent(page, hints.consent_selectors)
        problem = page_problem(page, hints, status=status)
        width, _height = job["viewport"]
        tile_px = int(job.get("tile_px") or MAX_TILE_PX)
        max_height = tile_px * int(job["max_tiles"])
        clock.lap("consent")
        if problem is None:
            deadline = time.monotonic() + float(job["scroll_seconds"])
            while True:
                loaded = load_whole_page(
                    page,
                    network,
                    container_hint=hints.scroll_container,
                    max_height=max_height,
                    max_seconds=max(1.0, deadline - time.monotonic()),
                )
                late = [s for s in dismiss_consent(page, hints.consent_selectors)
                        if s not in dismissed]  # fmt: skip
                dismissed += late  # dialogs that opened late or on scrolling
                if not late or loaded.timed_out or time.monotonic() >= deadline:
                    break  # else the dialog may have held the page back: load it again
            result.update(
                scroll_container=loaded.container,
                scroll_steps=loaded.steps,
                scroll_timed_out=loaded.timed_out,
                images=loaded.images,
                images_pending=loaded.images_pending,
            )
            clock.lap("load")
            problem = page_problem(page, hints, status=status) or expected_text_problem(
                page, job.get("expected_text"), hints.content_selector
            )
            clock.lap("checks")
        height = document_height(page)
        result.update(
            final_url=page.url,
            title=_title(page),
            consent_dismissed=dismissed,
            page_height=height,
            truncated=height > max_height,
        )
        shot_height = min(height, max_height)
        tiles = capture_tiles(page, folder, width=width, height=shot_height, tile_px=tile_px)
        clock.lap("tiles")
        # stitched by the caller (`somed.capture.batch`) while this browser shoots the next page
        result.update(tile_files=[str(tile) for tile in tiles], tiles=len(tiles))
        if problem is not None:
            result.update(verdict="invalid", reason=problem.reason, params=problem.params)
        return result
    finally:
        if recorder is not None:
            with contextlib.suppress(Exception):
                warc = folder / "session.warc.gz"
                recorder.detach()
                recorder.write_warc(warc)
                result["warc"] = str(warc)
            with contextlib.suppress(Exception):
                recorder.close()
            clock.lap("warc")
        with contextlib.suppress(Exception):
            context.close()
        result["worker_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Clock:
    """Seconds spent in each step of a capture, for the manifest."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.monotonic()

    def lap(self, step: str) -> None:
        """Record the time since the last lap as `step`."""
        now = time.monotonic()
        self.timings[step] = round(now - self.last, 3)
        self.last = now


def _title(page: Any) -> str:
    """The page's title ("" when it has none or cannot say)."""
    with contextlib.suppress(Exception):
        return str(page.title())
    return ""
