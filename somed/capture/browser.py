"""Start Chromium as a child of this process (same process group) and connect Playwright to it.

Playwright's own `launch()` starts the browser detached, in a process group of its own, and
Chromium's crash handler leaves the session altogether, so killing the capture worker's group
would leave them running. Here the worker starts Chromium itself, without the crash handler,
and connects over the DevTools protocol: the whole browser then dies with the worker's group.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class BrowserStartError(Exception):
    """Chromium could not be started or did not answer; the message says why in one line."""


@dataclass
class Browser:
    """A running Chromium, the Playwright connection to it, and its version."""

    process: subprocess.Popen[str]
    browser: Any  # playwright.sync_api.Browser
    version: str


def chromium_args(executable: str, user_data_dir: Path) -> list[str]:
    """The command line that starts a headless Chromium for captures."""
    args = [executable, *FLAGS, f"--user-data-dir={user_data_dir}"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    return [*args, "about:blank"]


def _drain(stream: IO[str]) -> None:
    """Read and drop what Chromium writes, so its pipe never fills up."""
    with contextlib.suppress(OSError, ValueError):
        for _line in stream:
            pass


def _devtools_url(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait for Chromium's "DevTools listening on ws://..." line and return the URL."""
    assert process.stderr is not None
    found: list[str] = []
    tail: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            match = _LISTENING.search(line)
            if match:
                found.append(match.group(1))
                return
            tail[:] = [*tail[-4:], line.strip()]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        process.kill()
        said = " | ".join(t for t in tail if t)[:300] or "no answer"
        raise BrowserStartError(f"Chromium did not start within {timeout:.0f} s: {said}")
    threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
    return found[0]


@contextlib.contextmanager
def running_browser(
    start_playwright: Callable[[], Any],
    executable: str | None,
    user_data_dir: Path,
    *,
    timeout: float = 60.0,
) -> Iterator[Browser]:
    """Start Chromium (the system one, or Playwright's own when `executable` is None).

    `start_playwright` is `sync_playwright`: with an executable given, Playwright's driver is
    started while Chromium comes up (each takes about half a second), not after it.
    """
    with contextlib.ExitStack() as stack:
        playwright = None if executable else stack.enter_context(start_playwright())
        path = executable or playwright.chromium.executable_path
        if not path or not os.access(path, os.X_OK):
            raise BrowserStartError(
                f"no Chromium at {path!r} (install chromium or set [browser] executable)"
            )
        try:
            process = subprocess.Popen(  # noqa: S603 (our own argument list)
                chromium_args(path, user_data_dir),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise BrowserStartError(f"cannot start {path}: {exc.strerror or exc}") from None
        try:
            if playwright is None:
                playwright = stack.enter_context(start_playwright())
            url = _devtools_url(process, timeout)
            browser = playwright.chromium.connect_over_cdp(url, timeout=timeout * 1000)
            yield Browser(process, browser, browser.version)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    """Ask Chromium to quit, then kill it if it has not within a few seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    deadline = time.monotonic() + 5
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
