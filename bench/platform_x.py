"""X benchmark: somed against the bundled X API v2 emulator (in a child process), on loopback.

`measure(work, items)` returns, for a generated account of about `items` items (posts, the
citizens' replies to them and replies to those, mentions, direct messages; no media, as in the
plain fetch):

1. the first archive: items per second, and API requests per 1,000 items;
2. an idle poll right after it: API requests per stream (target: at most 1);
3. the plain-fetch ceiling: the same walk (timeline, mentions, recent search over the week's
   conversations, DM events) with plain `requests`, JSON decoded, nothing stored;
4. the same-schema insert ceiling of the rows somed stored (`store_ceiling`);
5. the ratio of the archive rate to the lower ceiling (target: at least 0.5).

    .venv/bin/python bench/platform_x.py [--items N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
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

from somed.config import load_config
from somed.daemon import prepare_archive

USER_ID = "1700000000000000001"
ACCOUNT = "bench-x"
TOKEN = "XEMU-bench-app-token"  # fake tokens the emulator accepts; nothing leaves loopback
USER_TOKEN = "XEMU-bench-user-token"
TOKEN_ENV, USER_TOKEN_ENV = "SOMED_BENCH_X_TOKEN", "SOMED_BENCH_X_USER_TOKEN"
STREAMS = ("profile", "posts", "mentions", "replies", "messages")
ITEMS_PER_POST = 4  # the post, two replies, one reply to a reply
TARGET_RATIO = 0.5


def _serve(conn: Connection, posts: int) -> None:
    """Child process: generate the account, serve it, answer commands over `conn`."""
    from connectors.x.emulator import XEmulator, generate_account

    account = generate_account(
        USER_ID, "Benchkommun", "benchkommun", posts=posts, replies_per_post=2,
        nested_replies=1, mentions=max(1, posts // 10), dms=max(1, posts // 20),
        spacing=timedelta(hours=12), media=False,  # two posts a day, as a municipality posts
    )  # fmt: skip
    emulator = XEmulator([account], tokens=(TOKEN,), user_tokens={USER_TOKEN: USER_ID})
    conn.send(emulator.start())
    while True:
        command = conn.recv()
        if command is None:
            break
        if command == "reset":
            emulator.reset_log()
            conn.send(None)
        elif command == "requests":
            conn.send([r.path for r in emulator.request_log if r.path.startswith("/2/")])
    emulator.stop()


class Emulated(ChildEmulator):
    """The parent's handle on the emulator process."""

    def __init__(self, posts: int) -> None:
        super().__init__(_serve, posts)

    ask = ChildEmulator.call


def _config(work: Path, endpoint: str) -> Any:
    path = work / "somed-x.toml"
    path.write_text("\n".join([
        "[storage]", f'dir = "{work / "archive-x"}"',
        "[platforms.x]", f'endpoint = "{endpoint}"',
        "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "x"', f'id = "{USER_ID}"',
        f'token_env = "{TOKEN_ENV}"', f'user_token_env = "{USER_TOKEN_ENV}"',
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return load_config(path)


def _walk(session: requests.Session, url: str, params: dict[str, Any], token_key: str) -> int:
    """Page through one endpoint; return the items it listed."""
    items, following = 0, None
    while True:
        asked = {**params, **({token_key: following} if following else {})}
        body = session.get(url, params=asked, timeout=30).json()
        items += len(body.get("data") or [])
        following = (body.get("meta") or {}).get("next_token")
        if not following:
            return items


def plain_fetch(base: str) -> dict[str, Any]:
    """The same walk as somed's with plain requests: JSON decoded, nothing stored."""
    from connectors.x.normalize import EXPANSIONS, MEDIA_FIELDS, TWEET_FIELDS, USER_FIELDS

    fields = {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS,
              "media.fields": MEDIA_FIELDS, "user.fields": USER_FIELDS}  # fmt: skip
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    started = time.perf_counter()
    session.get(f"{base}/2/users/{USER_ID}", params={"user.fields": USER_FIELDS}, timeout=30)
    items = 1
    timeline = {**fields, "max_results": 100}
    items += _walk(session, f"{base}/2/users/{USER_ID}/tweets", timeline, "pagination_token")
    items += _walk(session, f"{base}/2/users/{USER_ID}/mentions", timeline, "pagination_token")
    edge = datetime.now(UTC) - timedelta(days=7)
    week = session.get(f"{base}/2/users/{USER_ID}/tweets",
                       params={"max_results": 100, "tweet.fields": "created_at"},
                       timeout=30).json()  # fmt: skip
    ids = [t["id"] for t in week.get("data") or []
           if datetime.fromisoformat(t["created_at"]) >= edge]  # fmt: skip
    for start in range(0, len(ids), 12):  # as many conversations as fit 512 characters
        query = " OR ".join(f"conversation_id:{i}" for i in ids[start : start + 12])
        items += _walk(session, f"{base}/2/tweets/search/recent",
                       {**fields, "query": query, "max_results": 100}, "next_token")  # fmt: skip
    session.headers["Authorization"] = f"Bearer {USER_TOKEN}"
    items += _walk(
        session,
        f"{base}/2/dm_events",
        {"event_types": "MessageCreate", "max_results": 100},
        "pagination_token",
    )
    wall = time.perf_counter() - started
    return {"items": items, "wall_s": wall, "items_per_s": items / wall if wall else 0.0}


def _count(paths: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        key = "/2/users/:id" + path.split(USER_ID, 1)[1] if USER_ID in path else path
        counts[key] = counts.get(key, 0) + 1
    return counts


def measure(work: Path, items: int) -> dict[str, Any]:
    """First archive, idle poll and plain-fetch ceiling for an account of about `items` items."""
    os.environ[TOKEN_ENV], os.environ[USER_TOKEN_ENV] = TOKEN, USER_TOKEN
    emulated = Emulated(max(1, items // ITEMS_PER_POST))
    try:
        config = _config(work, emulated.base_url)
        prepare_archive(config)
        ceiling = plain_fetch(emulated.base_url)
        emulated.ask("reset")
        started = time.perf_counter()
        first = daemon_runner(config).run_account(ACCOUNT)
        wall = time.perf_counter() - started
        asked = emulated.ask("requests")
        if first.status != "ok":
            raise SystemExit(f"somed run failed: {first.status}: {first.message}")
        ceilings = store_ceiling.measure(config.db_path, work / "ceiling.db", emulated.base_url,
                                         first.new, wall, len(asked), ceiling["items"],
                                         ceiling["wall_s"])  # fmt: skip
        emulated.ask("reset")
        idle = daemon_runner(config).run_account(ACCOUNT)
        idle_asked = emulated.ask("requests")
    finally:
        emulated.close()
    rate = first.new / wall if wall else 0.0
    return {
        "platform": "x",
        "first_archive": {"items": first.new, "wall_s": wall, "items_per_s": rate,
                          "api_requests": len(asked),
                          "requests_per_1000_items": 1000.0 * len(asked) / max(1, first.new)},
        "idle_poll": {"status": idle.status, "new": idle.new, "api_requests": len(idle_asked),
                      "streams": len(STREAMS), "by_endpoint": _count(idle_asked),
                      "requests_per_stream": len(idle_asked) / len(STREAMS), "target": 1.0},
        "plain_fetch": ceiling,
        "ceilings": ceilings,
        "ratio": ceilings["ratio"],
        "target_ratio": TARGET_RATIO,
    }  # fmt: skip


def main() -> None:
    compile_sources()  # as installed (see as_deployed)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        results = measure(Path(folder), args.items)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        return
    first, idle = results["first_archive"], results["idle_poll"]
    print(
        f"first archive: {first['items']} items at {first['items_per_s']:.0f}/s, "
        f"{first['requests_per_1000_items']:.1f} requests per 1,000 items"
    )
    print(
        f"plain fetch:   {results['plain_fetch']['items_per_s']:.0f} items/s; same-schema insert "
        f"{results['ceilings']['insert_items_per_s']:.0f} items/s; "
        f"ratio {results['ratio']:.2f} (target >= {TARGET_RATIO})"
    )
    print(f"idle poll:     {idle['api_requests']} requests for {idle['streams']} streams "
          f"({idle['requests_per_stream']:.2f} per stream, target <= 1)")  # fmt: skip


if __name__ == "__main__":
    main()
