"""Archive throughput benchmark: somed against the bundled Graph API emulator, on loopback.

Measures, in one run (see bench/README.md and docs/performance.md):

1. the first full archive of a generated page (posts with comments; photos if asked),
2. the ceilings, each step alone (bench/ceilings.py): plain fetch, normalise, same-schema
   insert done properly, and their serial sum,
3. the ratio of the archive rate to the lower of plain fetch and same-schema insert,
4. the database's bytes per 1,000 items,
5. an idle poll (nothing new): without a re-read window, and with the default 90-day window,
6. the re-read sweep of the 100 newest posts: with nothing deleted, then after deletions.

With `--repeat N` steps 1 and 2 run N times, interleaved (so a busy machine slows both alike),
and the best of each is reported beside the spread.

    .venv/bin/python bench/archive_throughput.py [--posts N] [--comments M] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ceilings
import probes
import report
from emulated import TOKEN, TOKEN_ENV, EmulatorProcess, PageSpec, run_somed, write_config

from connectors.model import utc_iso

# Posts are 6 hours apart, the newest an hour old, so a re-read window of SWEEP_WINDOW_DAYS
# holds exactly SWEEP_POSTS posts: 25 days = 600 hours.
SWEEP_WINDOW_DAYS = 25
SWEEP_POSTS = 100
DELETE_POSTS = 10
DELETE_COMMENTS = 20

TARGET_RATIO = 0.5
TARGET_IDLE_REQUESTS = 3  # profile, posts and Messenger: one request each when nothing is new
DEFAULT_WINDOW_DAYS = 90  # [[accounts]] refetch_window_days by default
LISTING_PAGE = 100  # posts per listing request of the window (Graph's largest page)


def per_thousand(count: float, items: int) -> float:
    return 1000.0 * count / items if items else float("nan")


def _rate(items: int, wall: float) -> dict[str, float]:
    return {"items": items, "wall_s": wall, "items_per_s": items / wall if wall else 0.0}


def _best(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the shortest wall time, with the spread of all rounds beside it."""
    best = dict(min(rounds, key=lambda r: r["wall_s"]))
    best["rounds_wall_s"] = [round(r["wall_s"], 3) for r in rounds]
    return best


def measure_round(
    emulator: EmulatorProcess, work: Path, n: int, profile: cProfile.Profile | None
) -> dict[str, Any]:
    """One round: somed's first archive into a fresh folder, then each ceiling once."""
    storage = work / f"archive{n}"
    config = write_config(work, storage, emulator.base_url, window_days=0)
    first = run_somed(emulator, config, profile)
    items = first.outcome.new
    result: dict[str, Any] = {"storage": storage}
    result["first_archive"] = {
        **_rate(items, first.wall), "cpu_s": first.cpu, "http_requests": first.counts["http"],
        "api_requests": first.counts["api"], "media_downloads": first.counts["media"],
        "media_files_stored": sum(1 for _ in (storage / "media").rglob("*.png")),
        "runner_requests": first.outcome.requests,
        "api_per_1000_items": per_thousand(first.counts["api"], items),
    }  # fmt: skip
    fetched = ceilings.plain_fetch(emulator.base_url)
    result["fetch"] = {**_rate(fetched.items, fetched.wall), "http_requests": fetched.calls}
    files, media_wall = ceilings.plain_media_fetch(emulator.base_url, fetched.posts)
    result["media_fetch"] = {"media_files": files, "wall_s": media_wall}
    pages, normalise_wall = ceilings.normalise(fetched.posts)
    del fetched
    now = utc_iso(datetime.now(UTC))
    assert now is not None
    rows, rows_wall = ceilings.prepare_rows(pages, now)
    records = sum(len(p) for p in pages)
    del pages
    result["normalise"] = {**_rate(records, normalise_wall + rows_wall),
                           "records_s": normalise_wall, "rows_s": rows_wall}  # fmt: skip
    inserted, insert_wall = ceilings.same_schema_insert(rows, work / f"ceiling{n}.db")
    result["insert"] = _rate(inserted, insert_wall)
    serial = result["fetch"]["wall_s"] + result["normalise"]["wall_s"] + insert_wall
    result["serial"] = _rate(inserted, serial)
    result["ratio"] = result["first_archive"]["items_per_s"] / min(
        result["fetch"]["items_per_s"], result["insert"]["items_per_s"]
    )
    return result


def measure_polls(emulator: EmulatorProcess, work: Path, storage: Path) -> dict[str, Any]:
    """Idle poll (window 0) and the re-read sweeps, on the first round's archive."""
    idle_cfg = write_config(work, storage, emulator.base_url, window_days=0)
    sweep_cfg = write_config(work, storage, emulator.base_url, window_days=SWEEP_WINDOW_DAYS)
    results: dict[str, Any] = {}
    idle = run_somed(emulator, idle_cfg)
    results["idle_poll"] = {
        "wall_s": idle.wall, "http_requests": idle.counts["http"],
        "runner_requests": idle.outcome.requests, "new": idle.outcome.new,
        "target": TARGET_IDLE_REQUESTS, "pass": idle.counts["http"] <= TARGET_IDLE_REQUESTS,
    }  # fmt: skip

    # the default 90-day window, nothing changed: list the window, read in full only changes
    posts_90, children_90 = probes.window_refs(storage, DEFAULT_WINDOW_DAYS)
    default = run_somed(emulator, write_config(work, storage, emulator.base_url,
                                               window_days=DEFAULT_WINDOW_DAYS))  # fmt: skip
    target = TARGET_IDLE_REQUESTS + math.ceil(posts_90 / LISTING_PAGE)
    results["idle_poll_default_window"] = {
        "window_days": DEFAULT_WINDOW_DAYS, "window_posts": posts_90,
        "window_comments": children_90, "wall_s": default.wall,
        "http_requests": default.counts["http"], "batches": default.counts["batches"],
        "batch_reads": default.counts["batch_reads"], "changed": default.outcome.changed,
        "target": target, "pass": default.counts["http"] <= target
        and default.counts["batch_reads"] == 0,
    }  # fmt: skip

    window_posts, window_children = probes.window_refs(storage, SWEEP_WINDOW_DAYS)
    quiet = run_somed(emulator, sweep_cfg)
    results["sweep_nothing_deleted"] = {
        "window_posts": window_posts, "window_comments": window_children,
        "wall_s": quiet.wall, "http_requests": quiet.counts["http"],
        "sweep_http_requests": quiet.counts["http"] - idle.counts["http"],
        "sweep_s": quiet.wall - idle.wall,
        "batches": quiet.counts["batches"], "batch_reads": quiet.counts["batch_reads"],
        "new": quiet.outcome.new, "changed": quiet.outcome.changed,
        "deleted": quiet.outcome.deleted,
    }  # fmt: skip

    doomed_posts, doomed_comments, expected = probes.pick_deletions(
        storage, SWEEP_POSTS, DELETE_POSTS, DELETE_COMMENTS
    )
    for post_id in doomed_posts:
        emulator.call("delete_post", post_id)
    for comment_id in doomed_comments:
        emulator.call("delete_comment", comment_id)
    before = probes.tombstones(storage)
    swept = run_somed(emulator, sweep_cfg)
    results["sweep_after_deletions"] = {
        "deleted_posts": len(doomed_posts), "deleted_comments": len(doomed_comments),
        "wall_s": swept.wall, "http_requests": swept.counts["http"],
        "sweep_http_requests": swept.counts["http"] - idle.counts["http"],
        "sweep_s": swept.wall - idle.wall,
        "batches": swept.counts["batches"], "batch_reads": swept.counts["batch_reads"],
        "tombstones": probes.tombstones(storage) - before, "expected_tombstones": expected,
        "runner_deleted": swept.outcome.deleted,
    }  # fmt: skip
    return results


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    os.environ[TOKEN_ENV] = TOKEN
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    spec = PageSpec(args.posts, args.comments, args.replies, args.images_every, newest)
    work = Path(tempfile.mkdtemp(prefix="somed-bench-", dir=args.dir))
    emulator = EmulatorProcess(spec)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "page": {"posts": args.posts, "comments_per_post": args.comments,
                 "replies_per_comment": args.replies, "images_every": args.images_every,
                 "emulator_setup_s": round(emulator.setup_seconds, 2)},
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "sqlite": sqlite3.sqlite_version,
                    "load_before": os.getloadavg()[0]},
    }  # fmt: skip
    try:
        profile = cProfile.Profile() if args.profile else None
        rounds = []
        for n in range(args.repeat):
            rounds.append(measure_round(emulator, work, n, profile if n == 0 else None))
        storage = rounds[0]["storage"]
        for name in ("first_archive", "fetch", "normalise", "insert", "serial"):
            results[name] = _best([r[name] for r in rounds])
        results["media_fetch"] = rounds[0]["media_fetch"]
        ceiling = min(results["fetch"]["items_per_s"], results["insert"]["items_per_s"])
        ratio = results["first_archive"]["items_per_s"] / ceiling
        results["ratio"] = {"value": ratio, "target": TARGET_RATIO, "pass": ratio >= TARGET_RATIO,
                            "rounds": [round(r["ratio"], 3) for r in rounds],
                            "of_serial": results["first_archive"]["items_per_s"]
                            / results["serial"]["items_per_s"]}  # fmt: skip
        size = probes.database_bytes(storage)
        results["database"] = {
            **size, "bytes_per_1000_items": per_thousand(size["bytes"], size["items"]),
            "raw_per_1000_items": per_thousand(size["raw_json_bytes"], size["items"]),
        }  # fmt: skip
        results.update(measure_polls(emulator, work, storage))
        results["machine"]["load_after"] = os.getloadavg()[0]
        if profile is not None:
            profile.dump_stats(args.profile)
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
            results["profile_top"] = text.getvalue()
    finally:
        emulator.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            results["kept"] = str(work)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts on the page (10000)")
    parser.add_argument("--comments", type=int, default=10, help="comments per post (10)")
    parser.add_argument("--replies", type=int, default=0, help="replies per comment (0)")
    parser.add_argument(
        "--images-every", type=int, default=0,
        help="photos on every Nth post (0, the default: none, as the issue's workload; "
        "5 adds photos like the generator's default)",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the first archive and the ceilings; best reported (1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", metavar="FILE",
                        help="profile somed's side of the first archive (cProfile) into FILE; "
                        "slows that run, so its figures are not comparable")  # fmt: skip
    parser.add_argument("--dir", help="parent folder for the temporary archive (system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive")
    args = parser.parse_args(argv)
    if args.posts < SWEEP_POSTS or args.comments < 2 or args.repeat < 1:
        parser.error(f"need --posts >= {SWEEP_POSTS}, --comments >= 2 and --repeat >= 1")
    started = time.perf_counter()
    results = benchmark(args)
    results["total_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        print(report.render(results))
        if "profile_top" in results:
            print("\nprofile of the first archive (somed's main thread, by own time):")
            print(results["profile_top"])
        print(f"\n(total benchmark time {results['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
