"""The benchmarks still run against the current code (tiny workloads; no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def run(script: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json"],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_throughput_bench_reports_somed_beside_each_ceiling(tmp_path: Path) -> None:
    results = run("archive_throughput.py", "--posts", "100", "--comments", "2",
                  "--overheads", "1", "--dir", str(tmp_path))  # fmt: skip
    items = 100 * 3 + 1  # posts, their comments, the page profile
    assert results["first_archive"]["items"] == items
    for name in ("fetch", "normalise", "insert", "serial"):
        assert results[name]["items"] == items - 1 and results[name]["items_per_s"] > 0, name
    assert results["idle_poll"]["http_requests"] == results["idle_poll"]["target"]  # per stream
    assert (
        results["sweep_after_deletions"]["tombstones"]
        == (results["sweep_after_deletions"]["expected_tombstones"])
    )
    assert results["database"]["bytes_per_1000_items"] > 0
    assert results["deep_sweep"]["complete"]
    assert {"scrubber", "streamed downloads"} <= set(results["overheads"]["safeguards"])
    assert list(tmp_path.iterdir()) == []  # the temporary archive is gone


def test_peak_rss_bench_archives_every_photo(tmp_path: Path) -> None:
    results = run("peak_rss.py", "--sizes-mb", "1", "--photos", "2", "--posts", "20",
                  "--comments", "1", "--dir", str(tmp_path))  # fmt: skip
    runs = results["runs"]
    assert [r["exit"] for r in runs] == [0, 0]
    assert runs[1]["media_stored_mb"] >= 2 and results["peak_rss_mb"] > 0


def test_every_platform_bench_runs_and_an_idle_poll_costs_one_request_per_stream() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "all_platforms.py"), "--items", "120", "--rounds", "2",
         "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    results = json.loads(done.stdout)
    assert [r["module"] for r in results] == sorted(p.stem for p in BENCH.glob("platform_*.py"))
    for result in results:
        assert "error" not in result, result
        assert result["first_archive"]["items"] > 0, result["module"]
        ceilings = result["ceilings"]  # both measured, the ratio against the lower
        assert ceilings["insert_items_per_s"] > 0 and ceilings["fetch_items_per_s"] > 0
        lower = min(ceilings["insert_items_per_s"], ceilings["fetch_items_per_s"])
        assert ceilings["lower_items_per_s"] == lower, result["module"]
        per_stream = result["idle_poll"]["requests_per_stream"]
        assert per_stream <= 1.0, (result["module"], result["idle_poll"])
        assert len(result["round_ratios"]) == 2  # the best of two rounds, each one's kept
        best = max(r for r in [result["first_archive"].get("items_per_s"),
                               result["first_archive"].get("items_per_second")] if r)
        assert abs(result["ratio"] - best / lower) < 1e-9, result["module"]
    assert done.returncode == 0, done.stderr[-3000:]


def test_search_bench_builds_an_archive_and_times_every_query(tmp_path: Path) -> None:
    results = run("search.py", "--items", "3000", "--rounds", "1", "--dir", str(tmp_path))
    assert results["archive"]["items"] == 3000 and results["queries"] > 20
    assert results["p95_ms"] > 0 and results["matching_items"]["skolan"] > 0
    assert list(tmp_path.iterdir()) == []


def test_retention_bench_plans_applies_and_deletes_the_same_items(tmp_path: Path) -> None:
    results = run("retention.py", "--items", "2000", "--dir", str(tmp_path))
    assert results["plan"]["examined"] == 2000
    assert results["apply"]["disposed"] == results["plan"]["dispose"] > 0
    assert results["delete"]["deleted"] == results["apply"]["disposed"]
    assert results["apply"]["files_removed"] > 0 and results["apply"]["peak_rss_mb"] > 0
    assert list(tmp_path.iterdir()) == []  # the temporary archives are gone


def test_bundle_bench_builds_both_formats_beside_the_ceiling() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bundle.py"), "--items", "200", "--media-mb", "2",
         "--scale", "1"],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [cells for cells in (line.split("|") for line in done.stdout.splitlines())
            if len(cells) > 12 and cells[1].strip() == "200"]  # the bundles' table
    assert sorted(r[3].strip() for r in rows) == ["bagit", "fgs"]  # both formats, each timed
    assert all(float(r[8]) >= 0 and float(r[10]) >= 0 for r in rows)  # its ceiling, its ratio
