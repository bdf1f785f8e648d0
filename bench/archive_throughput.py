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

import all_platforms
import ceilings
import overheads
import polls
import probes
import report
from as_deployed import compile_sources
from emulated import TOKEN, TOKEN_ENV, EmulatorProcess, PageSpec, run_somed, write_config

from connectors.model import utc_iso

TARGET_RATIO = 0.5
OWN_STREAMS = ["profile", "posts", "messages"]  # every stream but the visitors' posts


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
    # the same without the visitors' posts, whose stream walks the whole /feed again
    alone = work / f"archive{n}-own"
    own = run_somed(emulator, write_config(work, alone, emulator.base_url, window_days=0,
                                           streams=OWN_STREAMS))  # fmt: skip
    result["first_archive_own"] = {**_rate(own.outcome.new, own.wall), "cpu_s": own.cpu,
                                   "http_requests": own.counts["http"],
                                   "api_requests": own.counts["api"]}  # fmt: skip
    shutil.rmtree(alone, ignore_errors=True)
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
    lower = min(result["fetch"]["items_per_s"], result["insert"]["items_per_s"])
    result["ratio"] = result["first_archive"]["items_per_s"] / lower
    result["ratio_own"] = result["first_archive_own"]["items_per_s"] / lower
    return result


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
        for name in (
            "first_archive",
            "first_archive_own",
            "fetch",
            "normalise",
            "insert",
            "serial",
        ):
            results[name] = _best([r[name] for r in rounds])
        results["media_fetch"] = rounds[0]["media_fetch"]
        ceiling = min(results["fetch"]["items_per_s"], results["insert"]["items_per_s"])
        ratio = results["first_archive"]["items_per_s"] / ceiling
        results["ratio"] = {"value": ratio, "target": TARGET_RATIO, "pass": ratio >= TARGET_RATIO,
                            "rounds": [round(r["ratio"], 3) for r in rounds],
                            "own": results["first_archive_own"]["items_per_s"] / ceiling,
                            "of_serial": results["first_archive"]["items_per_s"]
                            / results["serial"]["items_per_s"]}  # fmt: skip
        size = probes.database_bytes(storage)
        results["database"] = {
            **size, "bytes_per_1000_items": per_thousand(size["bytes"], size["items"]),
            "raw_per_1000_items": per_thousand(size["raw_json_bytes"], size["items"]),
        }  # fmt: skip
        if args.overheads:
            results["overheads"] = overheads.measure_overheads(emulator, work, args.overheads)
        results.update(polls.measure_polls(emulator, work, storage))
        results["deep_sweep"] = polls.measure_deep_sweep(emulator, work, storage)
        if args.platforms:
            results["platforms"] = all_platforms.measure_all(work / "platforms", args.platforms)
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
    compile_sources()  # as installed (see as_deployed)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts on the page (10000)")
    parser.add_argument("--comments", type=int, default=10, help="comments per post (10)")
    parser.add_argument("--replies", type=int, default=0, help="replies per comment (0)")
    parser.add_argument(
        "--images-every", type=int, default=0,
        help="photos on every Nth post (0, the default: none, as the issue's workload; "
        "5 adds photos like the generator's default)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the first archive and the ceilings; best reported (1)",
    )
    parser.add_argument("--overheads", type=int, default=0, metavar="R",
                        help="also R rounds of first archives with the scrubber, quarantine "
                        "checks and streamed downloads on and off (0: skip)")  # fmt: skip
    parser.add_argument(
        "--platforms",
        type=int,
        default=0,
        metavar="N",
        help="also every other platform (bench/platform_*.py) on an account "
        "of about N items, beside its own plain-fetch ceiling (0: skip)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", metavar="FILE",
                        help="profile somed's side of the first archive (cProfile) into FILE; "
                        "slows that run, so its figures are not comparable")  # fmt: skip
    parser.add_argument("--dir", help="parent folder for the temporary archive (system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive")
    args = parser.parse_args(argv)
    if args.posts < polls.SWEEP_POSTS or args.comments < 2 or args.repeat < 1:
        parser.error(f"need --posts >= {polls.SWEEP_POSTS}, --comments >= 2 and --repeat >= 1")
    started = time.perf_counter()
    results = benchmark(args)
    results["total_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        print(report.render(results))
        if "platforms" in results:
            print(all_platforms.render(results["platforms"]))
        if "profile_top" in results:
            print("\nprofile of the first archive (somed's main thread, by own time):")
            print(results["profile_top"])
        print(f"\n(total benchmark time {results['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
