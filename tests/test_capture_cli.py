"""`somed capture` with and without a running daemon, and the daemon's own start-up capture:
real subprocesses, the Facebook emulator's public page, real Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from test_daemon import ROOT, RunningDaemon

from storage.captures import captures_of
from storage.db import connect
from storage.run_requests import get_requests

pytestmark = pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="no Chromium")

ACCOUNT = [{"key": "test-fb", "id": "111000111", "token_env": "SOMED_TEST_FB_TOKEN",
            "url": "https://www.facebook.com/testkommun"}]  # fmt: skip


def somed(setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", "--config", str(setup.config_path), *args],
        env=setup.env, capture_output=True, text=True, timeout=180, cwd=ROOT,
    )  # fmt: skip


def rows(setup) -> list[dict]:
    with closing(connect(setup.config.db_path)) as db:
        return captures_of(db, "test-fb")


def test_somed_capture_without_a_daemon_captures_itself_and_prints_the_files(fb_setup):
    setup = fb_setup(accounts=ACCOUNT)
    result = somed(setup, "capture", "--account", "test-fb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test-fb: valid snapshot" in result.stdout
    paths = [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("  png")]
    assert len(paths) == 1 and Path(paths[0]).is_file()
    assert [(r["verdict"], r["trigger"], r["request_id"]) for r in rows(setup)] == [
        ("valid", "manual", None)
    ]

    setup.emulator.public.configure(public_mode="login_wall")
    walled = somed(setup, "capture", "--account", "test-fb")
    assert walled.returncode == 1 and "test-fb: invalid snapshot" in walled.stdout
    bad = somed(setup, "capture", "--account", "test-fb", "--url", "not-a-url")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--url" in bad.stderr


def test_the_daemon_captures_at_start_and_serves_somed_capture(fb_setup, tmp_path):
    setup = fb_setup(accounts=ACCOUNT, extra="[daemon]\njitter_seconds = 0")
    daemon = RunningDaemon(setup, tmp_path)
    try:
        daemon.wait_for(lambda: daemon.count("READY=1"), "READY=1", timeout=60)
        daemon.wait_for(lambda: [r for r in rows(setup) if r["trigger"] == "scheduled"],
                        "the start-up capture", timeout=120)  # fmt: skip
        daemon.wait_for(lambda: any("snapshots 1 valid" in s for s in daemon.statuses()),
                        "STATUS= with the snapshot", timeout=30)  # fmt: skip
        assert daemon.log_lines("test-fb: capture", "verdict=valid", "trigger=scheduled")

        result = somed(setup, "capture", "--account", "test-fb")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "test-fb: valid snapshot" in result.stdout
        manual = [r for r in rows(setup) if r["trigger"] == "manual"]
        assert len(manual) == 1 and manual[0]["request_id"] is not None
        with closing(connect(setup.config.db_path)) as db:
            (request,) = get_requests(db, [manual[0]["request_id"]])
        assert (request.kind, request.state, request.outcome["verdict"]) == (
            "capture", "done", "valid")  # fmt: skip
        assert len([r for r in rows(setup) if r["trigger"] == "scheduled"]) == 1  # not again
        code, _ = daemon.terminate()
        assert code == 0
    finally:
        daemon.close()
