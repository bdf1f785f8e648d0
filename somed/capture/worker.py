"""The capture worker: one browser for a batch, one JSON line in and out per page.

Started by `somed.capture.client` as `python -m somed.capture.worker FOLDER EXECUTABLE` in a
session and process group of its own; Chromium (and Playwright's driver) are its children in
that group, so killing the group on a timeout leaves nothing behind.

Protocol (stdout carries only these lines): first `{"ready": {"browser_version": ...}}` or
`{"error": "..."}`; then, for each `{"job": {...}}` line read from stdin, one `{"result": {...}}`.
An empty line or end of input ends the worker.
"""

from __future__ import annotations

import json
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO, Any

from somed.capture.browser import BrowserStartError, running_browser
from somed.capture.page import capture_page


def _say(out: IO[str], message: dict[str, Any]) -> None:
    """Write one protocol line and flush it."""
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


def serve(folder: Path, executable: str | None, source: IO[str], out: IO[str]) -> int:
    """Start the browser, then capture each job read from `source` until it ends."""
    from playwright.sync_api import sync_playwright

    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix="profile-") as profile:
            try:
                with running_browser(sync_playwright, executable, Path(profile)) as browser:
                    _say(out, {"ready": {"browser_version": browser.version}})
                    for line in source:
                        if not line.strip():
                            break
                        job = json.loads(line)["job"]
                        _say(out, {"result": _one(browser.browser, job)})
            except BrowserStartError as exc:
                _say(out, {"error": str(exc)})
                return 1
    except Exception as exc:  # Playwright's driver could not start
        _say(out, {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"})
        return 1
    return 0


def _one(browser: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Capture one job; an unexpected error becomes a failed result, not a dead worker."""
    try:
        return capture_page(browser, job, Path(job["folder"]))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        message = " ".join(str(exc).split("\n")[0].split())[:300]
        return {
            "verdict": "failed",
            "reason": "capture.browser_error",
            "params": {"error": f"{type(exc).__name__}: {message}"},
        }


def main(argv: list[str]) -> int:
    """Entry point: `python -m somed.capture.worker FOLDER [EXECUTABLE]`."""
    folder = Path(argv[0])
    executable = argv[1] if len(argv) > 1 and argv[1] else None
    protocol = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the protocol's stream
    return serve(folder, executable, sys.stdin, protocol)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
