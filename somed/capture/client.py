"""The daemon's side of the capture worker: start it, hand it pages, kill its group on timeout.

The worker (`somed.capture.worker`) runs in a session of its own; its browser is its child in
the same process group. A page that takes longer than its timeout gets the whole group killed
(SIGKILL), so a hung page can never hang the caller or leave a Chromium behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

START_TIMEOUT = 90.0  # seconds for Playwright's driver and Chromium to come up


class WorkerError(Exception):
    """The worker could not start, died, or was killed; `reason` is a capture reason code."""

    def __init__(self, reason: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward the worker's protocol lines; None marks the end of its output."""
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            lines.put(line)
    lines.put(None)


class CaptureWorker:
    """One running worker process (one browser) and its protocol."""

    def __init__(self, folder: Path, executable: str | None) -> None:
        self.folder = folder
        self.executable = executable
        self.log_path = folder / "worker.log"
        self.browser_version: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def pid(self) -> int | None:
        """The worker's pid, which is also its process group's id (None before start)."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the worker and its browser; return the browser version or raise WorkerError."""
        with self.log_path.open("ab") as errors:
            self._process = subprocess.Popen(  # noqa: S603 (our own module)
                [
                    sys.executable,
                    "-m",
                    "somed.capture.worker",
                    str(self.folder),
                    self.executable or "",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
                start_new_session=True,  # its own session and process group: killed as one
            )
        assert self._process.stdout is not None
        threading.Thread(
            target=_read_lines, args=(self._process.stdout, self._lines), daemon=True
        ).start()
        message = self._next(timeout, "capture.browser_unavailable")
        if "ready" not in message:
            self.kill()
            raise WorkerError(
                "capture.browser_unavailable",
                str(message.get("error") or message),
                error=str(message.get("error") or "")[:300],
            )
        self.browser_version = str(message["ready"].get("browser_version") or "")
        return self.browser_version

    def run(self, job: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Capture one page; kill the worker and raise WorkerError after `timeout` seconds."""
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"job": job}, ensure_ascii=False) + "\n")
            self._process.stdin.flush()
        except OSError:
            self.kill()
            raise WorkerError("capture.browser_crashed", "the capture worker is gone") from None
        message = self._next(timeout, "capture.timeout")
        if "result" not in message:
            self.kill()
            raise WorkerError("capture.browser_crashed", f"unexpected worker answer: {message}")
        return dict(message["result"])

    def _next(self, timeout: float, reason: str) -> dict[str, Any]:
        """The worker's next protocol message, or WorkerError (and a killed worker)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.0, left))
            except queue.Empty:
                self.kill()
                raise WorkerError(
                    reason, f"no answer within {timeout:.0f} s", seconds=round(timeout)
                ) from None
            if line is None:
                self.kill()
                raise WorkerError(
                    "capture.browser_crashed", f"the capture worker died{self._tail()}"
                )
            if line.strip():
                try:
                    return dict(json.loads(line))
                except ValueError:
                    log.debug("capture worker said: %s", line.strip()[:200])

    def close(self, timeout: float = 15.0) -> None:
        """Let the worker end its browser and exit; kill its group if it does not in time."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.write("\n")
                process.stdin.close()
        _wait_unreaped(process.pid, timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (worker, driver, Chromium) and reap it."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()

    def _tail(self) -> str:
        """The last line the worker wrote to its log, as ": ..." (or "")."""
        with contextlib.suppress(OSError):
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln]
            if lines:
                return f": {lines[-1][:200]}"
        return ""


def _wait_unreaped(pid: int, timeout: float) -> None:
    """Wait up to `timeout` s for `pid` to exit, leaving it unreaped (its pid cannot be reused
    before the group is killed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except ChildProcessError:
            return
        time.sleep(0.05)
