"""Instagram in graph mode: a first archive, an idle poll and the plain-fetch ceiling.

`measure(work, items)` generates an account of about `items` items (posts, each with comments
and replies) in an emulator child process (its rendering does not compete with somed for the
GIL), then measures:

- first archive: somed's runner over the account (items/s, API requests per 1,000 items);
- idle poll: the next run with nothing new (API requests per stream; the re-read of the
  recent window is off, so each stream's poll is what is counted);
- plain-fetch ceiling: the same `/media` walk (same fields, page size, nested comments and
  replies, their further pages) with a plain `requests.Session`, JSON decoded, nothing stored.

Run alone: `python bench/platform_instagram_graph.py [ITEMS]`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import store_ceiling  # noqa: E402
from as_deployed import compile_sources, daemon_runner  # noqa: E402

from connectors.instagram.normalize import comment_fields, media_fields  # noqa: E402

TOKEN = "EMU-bench-ig-token-0000"  # fake; nothing leaves loopback
TOKEN_ENV = "SOMED_BENCH_IG_TOKEN"
ACCOUNT = "bench-ig"
VERSION = "v21.0"
PAGE_SIZE = 100
COMMENTS, REPLIES = 3, 1  # per post, per comment: 1 + 3 + 3 = 7 items a post
STREAMS = 3  # profile, posts, messages
FILES_EVERY = 10  # one post in ten has files to download, as in the Facebook benchmark


def _serve(conn: Connection, posts: int) -> None:
    """Child process: generate the account, serve it, answer commands over `conn`."""
    from connectors.instagram.emulator import InstagramGraphEmulator, TokenInfo, generate_account

    account = generate_account(posts=posts, comments_per_post=COMMENTS, replies_per_comment=REPLIES,
                               conversations=2, files_every=FILES_EVERY)  # fmt: skip
    emulator = InstagramGraphEmulator([account], {TOKEN: TokenInfo(page_id=account.page_id)},
                                      rate_limit=10**9)  # fmt: skip
    conn.send((emulator.start(), account.user_id))
    while True:
        command = conn.recv()
        if command == "log":
            conn.send([(r.method, r.path) for r in emulator.request_log])
        elif command == "reset":
            emulator.reset_log()
            conn.send(None)
        else:
            emulator.stop()
            conn.send(None)
            return


def _config(work: Path, endpoint: str, user_id: str) -> Path:
    path = work / "somed.toml"
    path.write_text("\n".join([
        "[storage]", f'dir = "{work / "archive"}"',
        "[platforms.instagram]", f'api_version = "{VERSION}"', f'endpoint = "{endpoint}"',
        f"page_size = {PAGE_SIZE}",
        "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "instagram"', f'id = "{user_id}"',
        f'token_env = "{TOKEN_ENV}"', "refetch_window_days = 0", "deep_sweep_days = 0",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return path


def _api(log: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(m, p) for m, p in log if not p.startswith("/v/t51")]  # media files aside


def _stream_of(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return {"media": "posts", "conversations": "messages"}.get(last, "profile")


def plain_fetch(endpoint: str, user_id: str) -> dict[str, Any]:
    """The `/media` walk with plain requests, nested comments and replies paged to the end."""
    session = requests.Session()
    base = f"{endpoint}/{VERSION}"
    calls = items = 0
    started = time.perf_counter()

    def rest(path: str, fields: str, after: str) -> list[dict[str, Any]]:
        nonlocal calls
        got: list[dict[str, Any]] = []
        while after:
            body = session.get(f"{base}/{path}", params={"access_token": TOKEN, "fields": fields,
                               "limit": PAGE_SIZE, "after": after}, timeout=60).json()  # fmt: skip
            calls += 1
            got += body.get("data", [])
            after = (body.get("paging") or {}).get("next") and body["paging"]["cursors"]["after"]
        return got

    def more(edge: dict[str, Any]) -> str:
        paging = edge.get("paging") or {}
        return paging.get("next") and (paging.get("cursors") or {}).get("after") or ""

    params: dict[str, Any] = {"access_token": TOKEN, "fields": media_fields(PAGE_SIZE),
                              "limit": PAGE_SIZE}  # fmt: skip
    after = ""
    while True:
        body = session.get(f"{base}/{user_id}/media", params={**params, **(
            {"after": after} if after else {})}, timeout=60).json()  # fmt: skip
        calls += 1
        for post in body["data"]:
            items += 1
            nested = post.get("comments") or {}
            comments = nested.get("data", [])
            comments += rest(f"{post['id']}/comments", comment_fields(PAGE_SIZE), more(nested))
            for comment in comments:
                replies = comment.get("replies") or {}
                items += 1 + len(replies.get("data", []))
                items += len(rest(f"{comment['id']}/replies", comment_fields(PAGE_SIZE).split(
                    ",replies")[0], more(replies)))  # fmt: skip
        after = more(body)
        if not after:
            break
    wall = time.perf_counter() - started
    return {"items": items, "requests": calls, "seconds": round(wall, 3),
            "items_per_second": round(items / wall, 1)}  # fmt: skip


def measure(work: Path, items: int) -> dict[str, Any]:
    """First archive, idle poll and plain-fetch ceiling for an account of about `items`."""
    from somed.config import load_config
    from somed.daemon import prepare_archive

    work.mkdir(parents=True, exist_ok=True)
    posts = max(1, items // (1 + COMMENTS * (1 + REPLIES)))
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(child, posts))
    process.start()
    try:
        endpoint, user_id = parent.recv()
        os.environ[TOKEN_ENV] = TOKEN
        ceiling = plain_fetch(endpoint, user_id)
        parent.send("reset")
        parent.recv()
        config = load_config(_config(work, endpoint, user_id))
        prepare_archive(config)
        started = time.perf_counter()
        first = daemon_runner(config).run_account(ACCOUNT)
        wall = time.perf_counter() - started
        parent.send("log")
        first_calls = len(_api(parent.recv()))
        ceilings = store_ceiling.measure(config.db_path, work / "ceiling.db", endpoint,
                                         first.new, wall, first_calls, ceiling["items"],
                                         ceiling["seconds"])  # fmt: skip
        parent.send("reset")
        parent.recv()
        idle = daemon_runner(config).run_account(ACCOUNT)
        parent.send("log")
        per_stream = Counter(_stream_of(p) for _, p in _api(parent.recv()))
        stored = first.new
        archive_rate = stored / wall if wall else 0.0
        return {
            "platform": "instagram", "mode": "graph", "posts": posts,
            "first_archive": {
                "status": first.status, "items": stored, "seconds": round(wall, 3),
                "items_per_second": round(archive_rate, 1), "requests": first_calls,
                "requests_per_1000_items": round(first_calls * 1000 / max(1, stored), 1),
            },
            "idle_poll": {"status": idle.status, "new": idle.new,
                          "requests_per_stream": round(sum(per_stream.values()) / STREAMS, 2),
                          "requests_by_stream": dict(per_stream)},
            "plain_fetch": ceiling,
            "ceilings": ceilings,
            "ratio": round(ceilings["ratio"], 2),
        }  # fmt: skip
    finally:
        parent.send("stop")
        parent.recv()
        process.join(10)


if __name__ == "__main__":
    import tempfile

    compile_sources()  # as installed (see as_deployed)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 7000
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(measure(Path(folder), count), indent=2))
