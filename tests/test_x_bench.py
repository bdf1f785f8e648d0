"""The X benchmark still runs against the current code (a tiny workload; no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_x_bench_reports_first_archive_idle_poll_and_plain_fetch(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "platform_x.py"), "--items", "120", "--json",
         "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    first = results["first_archive"]
    assert first["items"] > 100 and first["items_per_s"] > 0 and first["api_requests"] > 0
    assert results["plain_fetch"]["items"] >= first["items"] - 1  # the same walk, no profile
    idle = results["idle_poll"]
    assert idle["status"] == "ok" and idle["new"] == 0
    assert idle["api_requests"] <= idle["streams"]  # one request per stream
    assert list(tmp_path.iterdir()) == []
