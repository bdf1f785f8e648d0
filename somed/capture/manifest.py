"""The manifest of one capture: what was asked, what the browser saw, the files, the verdict.

Stored as JSON in the media store beside the files it lists (its own SHA-256 is kept in the
`captures` row). `docs/snapshots.md` explains how to read one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import somed
from connectors.model import utc_iso
from somed.capture.targets import Target

FORMAT = "somed-capture-manifest/1"


def build_manifest(
    target: Target,
    result: dict[str, Any],
    *,
    started: datetime,
    finished: datetime,
    viewport: tuple[int, int],
    browser_version: str | None,
    files: list[dict[str, Any]],
    problems: dict[str, str],
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    request = target.request
    return {
        "format": FORMAT,
        "software": {"name": "somed", "version": somed.__version__},
        "account": request.account,
        "platform": target.platform,
        "kind": target.kind,
        "trigger": request.trigger,
        "request_id": request.request_id,
        "url_asked": target.url_asked,
        "url_fetched": target.url_fetched,
        "final_url": result.get("final_url"),
        "http_status": result.get("status"),
        "title": result.get("title"),
        "started_at": utc_iso(started),
        "finished_at": utc_iso(finished),
        "viewport": {"width": viewport[0], "height": viewport[1]},
        "page_height": result.get("page_height"),
        "truncated": bool(result.get("truncated", False)),
        "tiles": result.get("tiles"),
        "picture": {"width": result.get("png_width"), "height": result.get("png_height")},
        "browser": {"name": "Chromium", "version": browser_version},
        "identity": target.identity,
        "consent_dismissed": list(result.get("consent_dismissed") or []),
        "expected_text": target.expected_text,
        "loading": {
            "scroll_container": result.get("scroll_container"),
            "scroll_steps": result.get("scroll_steps"),
            "scroll_timed_out": result.get("scroll_timed_out"),
            "images": result.get("images"),
            "images_not_loaded": result.get("images_pending"),
        },
        "timings_s": dict(result.get("timings_s") or {}),
        "files": files,
        "format_problems": problems,
        "verdict": result["verdict"],
        "reason": result.get("reason"),
        "params": dict(result.get("params") or {}),
    }
