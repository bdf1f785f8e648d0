"""The YouTube benchmark: a first archive, an idle poll and the plain-fetch ceiling.

`measure(work, items)` serves a generated channel from the YouTube emulator in a child
process (its rendering must not compete with somed for the GIL) and measures:

- first archive: items per second, HTTP requests and quota units per 1,000 items;
- idle poll: the next run with nothing new, requests per stream (target: at most one);
- plain-fetch ceiling: the same walk (uploads playlist, videos.list by 50, every comment
  thread, replies paged where a thread holds more than it inlines) with a plain
  `requests.Session`, JSON decoded, nothing stored.

Target: the first archive at least half the ceiling's items per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
import store_ceiling
from as_deployed import compile_sources, daemon_runner
from child_emulator import ChildEmulator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHANNEL_ID = "UCbenchkommun0000000000x"
ACCOUNT = "bench-yt"
KEY_ENV = "SOMED_BENCH_YT_KEY"
ITEMS_PER_VIDEO = 5  # a generated video with two threads has about this many items
TARGET_RATIO = 0.5


def _serve(conn: Connection, videos: int) -> None:
    """Child process: serve a generated channel on loopback, answer commands over `conn`."""
    from connectors.youtube.emulator import YouTubeEmulator, generate_channel

    channel = generate_channel(CHANNEL_ID, "Benchkommun", "benchkommun", videos=videos,
                               newest=datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    emulator = YouTubeEmulator([channel], daily_units=10_000_000)
    emulator.repeat_at_page_end = False
    conn.send(emulator.start())
    commands = {
        "reset": lambda: emulator.reset_log(),
        "counts": lambda: {
            "api": emulator.api_requests(),
            "http": len(emulator.request_log),
            "units": emulator.units_spent(),
        },  # fmt: skip
    }
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(commands[message]())
    emulator.stop()


class _Emulator(ChildEmulator):
    def __init__(self, videos: int) -> None:
        super().__init__(_serve, videos)


def _config(work: Path, endpoint: str) -> Any:
    from somed.config import load_config

    path = work / "somed-youtube.toml"
    path.write_text("\n".join([
        "[storage]", f'dir = "{work / "archive"}"',
        "[platforms.youtube]", f'endpoint = "{endpoint}"',
        "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "youtube"', f'id = "{CHANNEL_ID}"',
        f'token_env = "{KEY_ENV}"', "refetch_window_days = 0", "deep_sweep_days = 0",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return load_config(path)


def _run(config: Any, emulator: _Emulator) -> tuple[Any, float, dict[str, int]]:
    from somed.daemon import prepare_archive

    prepare_archive(config)
    emulator.call("reset")
    before = emulator.call("counts")["units"]
    started = time.perf_counter()
    outcome = daemon_runner(config).run_account(ACCOUNT)
    wall = time.perf_counter() - started
    if outcome.status != "ok":
        raise SystemExit(f"somed run failed: {outcome.status}: {outcome.message}")
    counts = emulator.call("counts")
    counts["units"] -= before  # the emulator counts the whole (Pacific) day
    return outcome, wall, counts


def plain_fetch(base_url: str) -> dict[str, Any]:
    """The connector's walk with a plain session: every page JSON-decoded, nothing stored."""
    from connectors.youtube.emulator import KEY

    session = requests.Session()
    api = f"{base_url}/youtube/v3"
    items = calls = 0

    def get(name: str, **params: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return session.get(f"{api}/{name}", params={"key": KEY, **params}, timeout=30).json()

    def walk(name: str, **params: Any) -> Any:
        token = None
        while True:
            body = get(name, **params, **({"pageToken": token} if token else {}))
            yield body
            token = body.get("nextPageToken")
            if not token:
                return

    started = time.perf_counter()
    get("channels", part="snippet,statistics,brandingSettings,contentDetails", id=CHANNEL_ID)
    items += 1
    for page in walk("playlistItems", part="contentDetails", playlistId="UU" + CHANNEL_ID[2:],
                     maxResults=50):  # fmt: skip
        ids = [i["contentDetails"]["videoId"] for i in page.get("items", [])]
        videos = get("videos", part="snippet,contentDetails,status,statistics",
                     id=",".join(ids), maxResults=50).get("items", [])  # fmt: skip
        for video in videos:
            items += 1
            try:
                for threads in walk("commentThreads", part="snippet,replies",
                                    videoId=video["id"], maxResults=100):  # fmt: skip
                    for thread in threads.get("items", []):
                        inline = (thread.get("replies") or {}).get("comments") or []
                        items += 1 + len(inline)
                        total = thread["snippet"].get("totalReplyCount") or 0
                        if len(inline) >= 5 or total > len(inline):
                            items -= len(inline)
                            for replies in walk(
                                "comments", part="snippet", parentId=thread["id"], maxResults=100
                            ):
                                items += len(replies.get("items", []))
            except KeyError:
                continue
    wall = time.perf_counter() - started
    return {"items": items, "requests": calls, "wall_s": round(wall, 3),
            "items_per_s": round(items / wall, 1)}  # fmt: skip


def measure(work: Path, items: int) -> dict[str, Any]:
    """First archive, idle poll and plain-fetch ceiling on a channel of about `items` items."""
    import os

    from connectors.youtube.connector import YouTubeConnector
    from connectors.youtube.emulator import KEY

    os.environ[KEY_ENV] = KEY
    videos = max(10, items // ITEMS_PER_VIDEO)
    emulator = _Emulator(videos)
    try:
        ceiling = plain_fetch(emulator.base_url)
        config = _config(work, emulator.base_url)
        outcome, wall, counts = _run(config, emulator)
        stored = outcome.new
        first = {
            "videos": videos, "items": stored, "wall_s": round(wall, 3),
            "items_per_s": round(stored / wall, 1), "requests": counts["api"],
            "http_requests": counts["http"], "quota_units": counts["units"],
            "requests_per_1000_items": round(counts["api"] * 1000 / max(1, stored), 1),
            "quota_units_per_1000_items": round(counts["units"] * 1000 / max(1, stored), 1),
        }  # fmt: skip
        ceilings = store_ceiling.measure(config.db_path, work / "ceiling.db", emulator.base_url,
                                         stored, wall, counts["api"], ceiling["items"],
                                         ceiling["wall_s"])  # fmt: skip
        _, idle_wall, idle = _run(config, emulator)
        streams = len(YouTubeConnector.streams)
        ratio = ceilings["ratio"]
        return {
            "platform": "youtube",
            "first_archive": first,
            "idle_poll": {
                "requests": idle["api"],
                "quota_units": idle["units"],
                "streams": streams,
                "wall_s": round(idle_wall, 3),
                "requests_per_stream": round(idle["api"] / streams, 2),
                "pass": idle["api"] <= streams,
            },  # fmt: skip
            "plain_fetch_ceiling": ceiling,
            "ceilings": ceilings,
            "ratio": round(ratio, 2),
            "target_ratio": TARGET_RATIO,
            "pass": ratio >= TARGET_RATIO,
        }
    finally:
        emulator.close()


def main() -> None:
    """Run the measurement and print it (JSON with --json)."""
    compile_sources()  # as installed (see as_deployed)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="somed-bench-yt-") as work:
        results = measure(Path(work), args.items)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    first, idle, ceiling = results["first_archive"], results["idle_poll"], results[
        "plain_fetch_ceiling"]  # fmt: skip
    print(
        f"first archive: {first['items']} items, {first['items_per_s']} items/s, "
        f"{first['quota_units_per_1000_items']} quota units per 1,000 items"
    )
    print(
        f"plain fetch:   {ceiling['items']} items, {ceiling['items_per_s']} items/s "
        f"(ratio {results['ratio']}, target {TARGET_RATIO})"
    )
    print(f"idle poll:     {idle['requests']} requests for {idle['streams']} streams")


if __name__ == "__main__":
    main()
