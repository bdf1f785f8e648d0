"""The YouTube benchmark still runs against the current code (a tiny channel; no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_youtube_bench_reports_archive_idle_poll_and_ceiling() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "platform_youtube.py"), "--items", "60",
                           "--json"], capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    first = results["first_archive"]
    assert first["items"] == results["plain_fetch_ceiling"]["items"] > 30
    assert first["quota_units"] == first["requests"] > 0  # every call a 1-unit list call
    assert results["idle_poll"]["requests"] <= results["idle_poll"]["streams"]
    assert results["idle_poll"]["pass"]
