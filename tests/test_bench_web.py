"""bench/web.py still runs end to end: a tiny archive, the real `somed web`, every page (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.timeout(60)
def test_web_bench_signs_in_and_times_every_page_beside_its_ceiling(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "web.py"), "--items", "2000", "--comments", "60",
         "--requests", "6", "--seconds", "3", "--users", "1,3", "--warmup", "1",
         "--dir", str(tmp_path), "--no-cache", "--json"],
        capture_output=True, text=True, timeout=55,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    rows = results["rows"]
    pages = ["search common", "search rare", "thread", "overview"]
    assert [(r["page"], r["users"]) for r in rows] == [(p, u) for p in pages for u in (1, 3)]
    for row in rows:
        if row.get("missing"):  # a page this branch does not have yet is named, not timed
            assert row["note"] == "404: page not on this branch"
            continue
        assert row["n"] > 0 and row["errors"] == 0, row
        assert row["p50_server_ms"] is not None  # the app's Server-Timing header was read
        assert row["cpu_ms"] is not None and row["cpu_ms"] > 0  # /proc of the server read
        assert row["ceiling_n"] > 0 and row["ceiling_errors"] == 0, row
    assert not any(r.get("missing") for r in rows if r["page"] == "overview")
    assert results["archive"]["words"]["common_hits"] > 0
    assert list(tmp_path.iterdir()) == []  # --no-cache: the archive is gone
