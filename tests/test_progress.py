"""Live progress of `somed archive`: on a terminal a retry shows at once; in a pipe, silence."""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import PAGE_ID, TOKEN, TOKEN_ENV, write_config

from connectors.facebook.emulator import TokenInfo
from connectors.facebook.emulator.data import ALL_PERMISSIONS

ROOT = Path(__file__).resolve().parent.parent


def config_with(tmp_path: Path, endpoint: str, **runner: float) -> Path:
    """The test config, with some `[runner]` keys changed."""
    path = write_config(tmp_path, endpoint)
    text = path.read_text(encoding="utf-8")
    for key, value in runner.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path.write_text(text, encoding="utf-8")
    return path


def closed_port() -> str:
    """A loopback address nothing listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def env_for(config: Path) -> dict[str, str]:
    return {**os.environ, TOKEN_ENV: TOKEN, "SOMED_CONFIG": str(config), "SOMED_LANG": "en"}


def read_until(fd: int, wanted: str, limit: float) -> str:
    """Read a terminal's output until `wanted` shows (or `limit` seconds pass: a hang guard)."""
    seen = b""
    deadline = time.monotonic() + limit
    while wanted.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def on_terminal(config: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "somed", *args], env=env_for(config), cwd=ROOT,
        stdin=slave, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    return process, master


def test_a_refused_connection_shows_a_retry_line_with_its_wait_on_a_terminal(tmp_path):
    config = config_with(
        tmp_path, closed_port(), max_attempts=3, backoff_base_seconds=30, backoff_max_seconds=30
    )
    process, master = on_terminal(config, "archive")
    try:
        # the first retry waits 15-30 s: its line must be there long before the wait is over
        text = read_until(master, " s\r\n", limit=12)
        assert process.poll() is None, repr(
            text
        )  # still waiting for its retry: the line came first
    finally:
        process.kill()
        process.wait()
        os.close(master)
    line = next(row for row in text.splitlines() if "retry 1 in" in row)
    assert line.startswith("test-fb: profile: network problem reaching Facebook")
    assert TOKEN not in text


def test_a_run_on_a_terminal_ends_with_its_counts_and_keeps_warnings_whole(fb_setup):
    no_messenger = TokenInfo(page_ids=(PAGE_ID,), permissions=ALL_PERMISSIONS - {"pages_messaging"})
    setup = fb_setup(tokens={TOKEN: no_messenger})  # Messenger is skipped with a warning
    process, master = on_terminal(setup.config_path, "archive")
    try:
        text = read_until(master, "All 1 accounts archived.", limit=60)
        assert process.wait(timeout=30) == 0, text
    finally:
        os.close(master)
    done = next(row for row in text.splitlines() if "test-fb: done (ok)" in row)
    assert " items, " in done and " requests" in done
    assert "posts and comments" in text  # the live line named the stream it was on
    warning = next(row for row in text.splitlines() if "WARNING" in row)
    assert re.match(r"^(\r\x1b\[K)?\d{4}-\d\d-\d\dT", warning), warning  # on a line of its own


def test_in_a_pipe_archive_prints_no_progress(tmp_path):
    config = config_with(tmp_path, closed_port(), max_attempts=2)
    result = subprocess.run(
        [sys.executable, "-m", "somed", "archive"], env=env_for(config), cwd=ROOT,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "retry" not in result.stderr and "\r" not in result.stderr
    assert "test-fb" in result.stdout  # the summary table is still printed
