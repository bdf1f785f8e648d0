"""The Instagram benchmark, mode instaloader: first archive, idle poll, plain-fetch ceiling.

`measure(work, items)` serves a generated public profile from the instaloader web emulator in a
child process (its rendering must not compete with somed for the GIL) and measures:

- first archive (with a login session, so comments are read): items per second and HTTP
  requests per 1,000 items;
- idle poll: the next run with nothing new, requests per stream (target: at most one);
- plain-fetch ceiling: the same requests the walk makes (the profile page, the timeline by 12,
  the comments of each post that has some, through the mobile API for posts with more than 12)
  with a plain `requests.Session`, JSON decoded, nothing stored.

Target: the first archive at least half the ceiling's items per second. The first archive also
downloads every photo and video (`http_requests` counts them; `requests` does not); the ceiling
downloads nothing.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import tempfile
import time
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

ACCOUNT = "bench-il"
ITEMS_PER_POST = 3  # a generated post has about this many items with its comments and replies
TARGET_RATIO = 0.5


def _serve(conn: Connection, posts: int) -> None:
    """Child process: serve a generated profile on loopback, answer commands over `conn`."""
    from connectors.instagram.emulator.web import WebEmulator
    from connectors.instagram.emulator.web_data import seeded

    emulator = WebEmulator(seeded(posts, comments=2, replies=1, busy_every=40))
    conn.send(emulator.start())
    media = re.compile(emulator.passthrough or "$^")
    commands = {
        "reset": lambda: emulator.reset_log(),
        "counts": lambda: {
            "api": len([r for r in emulator.request_log if not media.match(r.path)]),
            "http": len(emulator.request_log),
        },  # fmt: skip
    }
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(commands[message]())
    emulator.stop()


class _Emulator(ChildEmulator):
    def __init__(self, posts: int) -> None:
        super().__init__(_serve, posts)


def _config(work: Path, endpoint: str) -> Any:
    from connectors.instagram.emulator.web import VALID_SESSION
    from somed.config import load_config

    session = work / "session-bench"
    session.write_bytes(pickle.dumps({"sessionid": VALID_SESSION, "csrftoken": "benchcsrf0123",
                                      "ds_user_id": "7700000001"}))  # fmt: skip
    path = work / "somed-instaloader.toml"
    path.write_text("\n".join([
        "[storage]", f'dir = "{work / "archive"}"',
        "[platforms.instagram]", f'endpoint = "{endpoint}"',
        "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "instagram"', 'mode = "instaloader"',
        'id = "sundsvallskommun"', f'session_file = "{session}"', "pace_factor = 1000",
        'streams = ["profile", "posts"]', "refetch_window_days = 0", "deep_sweep_days = 0",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return load_config(path)


def _run(config: Any, emulator: _Emulator) -> tuple[Any, float, dict[str, int]]:
    from somed.daemon import prepare_archive

    prepare_archive(config)
    emulator.call("reset")
    started = time.perf_counter()
    outcome = daemon_runner(config).run_account(ACCOUNT)
    wall = time.perf_counter() - started
    if outcome.status != "ok":
        raise SystemExit(f"somed run failed: {outcome.status}: {outcome.message}")
    return outcome, wall, emulator.call("counts")


def plain_fetch(base_url: str) -> dict[str, Any]:
    """instaloader's requests with a plain session: every answer JSON-decoded, nothing stored."""
    from connectors.instagram.emulator import web
    from connectors.instagram.loader_reads import (
        TIMELINE_DOC,
        TIMELINE_KEY,
        paging,
        timeline_variables,
    )

    session = requests.Session()
    session.cookies.update({"sessionid": web.VALID_SESSION, "csrftoken": "benchcsrf0123"})
    items = calls = 0

    def post(path: str, doc: str, variables: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        form = {"doc_id": doc, "variables": json.dumps(variables)}
        return session.post(f"{base_url}/{path}", data=form, timeout=30).json()

    def get(path: str, **params: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return session.get(f"{base_url}/{path}", params=params, timeout=30).json()

    started = time.perf_counter()
    assert "xig_user_by_username" in session.get(f"{base_url}/sundsvallskommun/", timeout=30).text
    calls, items, after = calls + 1, items + 1, None
    while True:
        variables = timeline_variables("sundsvallskommun")
        if after:
            variables.update(paging(after))
        connection = post("api/graphql", TIMELINE_DOC, variables)["data"][TIMELINE_KEY]
        for edge in connection["edges"]:
            media = edge["node"]
            items += 1
            count = media.get("comment_count") or 0
            if not count:
                continue
            if count > 12:
                body = get(f"api/v1/media/{media['pk']}/comments/", can_support_threading="true")
                while True:
                    items += sum(1 + c["child_comment_count"] for c in body["comments"])
                    if not body.get("next_min_id"):
                        break
                    body = get(f"api/v1/media/{media['pk']}/comments/",
                               min_id=body["next_min_id"])  # fmt: skip
            else:
                answer = get(
                    "graphql/query",
                    query_hash=web.COMMENTS_HASH,
                    variables=json.dumps({"shortcode": media["code"], "first": 12}),
                )
                for c in answer["data"]["shortcode_media"]["edge_media_to_parent_comment"]["edges"]:
                    items += 1 + c["node"]["edge_threaded_comments"]["count"]
        info = connection["page_info"]
        if not info["has_next_page"]:
            break
        after = info["end_cursor"]
    wall = time.perf_counter() - started
    return {"items": items, "requests": calls, "wall_s": round(wall, 3),
            "items_per_s": round(items / wall, 1)}  # fmt: skip


def measure(work: Path, items: int) -> dict[str, Any]:
    """First archive, idle poll and plain-fetch ceiling on a profile of about `items` items."""
    posts = max(24, items // ITEMS_PER_POST)
    emulator = _Emulator(posts)
    try:
        ceiling = plain_fetch(emulator.base_url)
        config = _config(work, emulator.base_url)
        outcome, wall, counts = _run(config, emulator)
        stored = outcome.new
        first = {
            "posts": posts, "items": stored, "wall_s": round(wall, 3),
            "items_per_s": round(stored / wall, 1), "requests": counts["api"],
            "http_requests": counts["http"],
            "requests_per_1000_items": round(counts["api"] * 1000 / max(1, stored), 1),
        }  # fmt: skip
        ceilings = store_ceiling.measure(config.db_path, work / "ceiling.db", emulator.base_url,
                                         stored, wall, counts["api"], ceiling["items"],
                                         ceiling["wall_s"])  # fmt: skip
        _, idle_wall, idle = _run(config, emulator)
        streams = 2  # profile, posts (messages are graph mode's)
        ratio = ceilings["ratio"]
        return {
            "platform": "instagram", "mode": "instaloader",
            "first_archive": first,
            "idle_poll": {"requests": idle["api"], "streams": streams,
                          "wall_s": round(idle_wall, 3),
                          "requests_per_stream": round(idle["api"] / streams, 2),
                          "pass": idle["api"] <= streams},  # fmt: skip
            "plain_fetch_ceiling": ceiling,
            "ceilings": ceilings,
            "ratio": round(ratio, 2),
            "target_ratio": TARGET_RATIO,
            "pass": ratio >= TARGET_RATIO,
        }  # fmt: skip
    finally:
        emulator.close()


def main() -> None:
    """Run the measurement and print it (JSON with --json)."""
    compile_sources()  # as installed (see as_deployed)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="somed-bench-il-") as work:
        results = measure(Path(work), args.items)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    first, idle, ceiling = (results["first_archive"], results["idle_poll"],
                            results["plain_fetch_ceiling"])  # fmt: skip
    print(
        f"first archive: {first['items']} items, {first['items_per_s']} items/s, "
        f"{first['requests_per_1000_items']} requests per 1,000 items"
    )
    print(
        f"plain fetch:   {ceiling['items']} items, {ceiling['items_per_s']} items/s "
        f"(ratio {results['ratio']}, target {TARGET_RATIO})"
    )
    print(f"idle poll:     {idle['requests']} requests for {idle['streams']} streams")


if __name__ == "__main__":
    main()
