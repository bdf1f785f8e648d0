"""Archive throughput benchmark: somed against the bundled Graph API emulator, on loopback.

Measures, in one run (see bench/README.md and docs/performance.md):

1. the first full archive of a generated page (posts with comments, photos every 5th post),
2. ceiling A: the same published_posts walk with plain `requests` (decode only, no storage),
3. ceiling B: the same records inserted into a fresh SQLite with `sqlite_utils.insert_all`,
4. the ratio of the archive rate to the lower ceiling,
5. an idle poll (nothing new, no re-read window),
6. the re-read sweep of the 100 newest posts: with nothing deleted, then after deletions.

The emulator runs in a child process, so its rendering does not compete with somed for the GIL
(the real Graph API renders on Facebook's servers, not in somed's process).

    .venv/bin/python bench/archive_throughput.py [--posts N] [--comments M] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlite_utils

from connectors.facebook.normalize import (
    COMMENT_FIELDS,
    normalize_comment,
    normalize_post,
    post_fields,
)
from connectors.model import Record, canonical_json, utc_iso
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.runner import Runner, RunOutcome

PAGE_ID = "555000555"
ACCOUNT = "bench-fb"
TOKEN = "EMU-bench-token-0000"  # a fake token the emulator accepts; nothing leaves loopback
TOKEN_ENV = "SOMED_BENCH_FB_TOKEN"
API_VERSION = "v21.0"
PAGE_SIZE = 100  # somed's default [platforms.facebook] page_size; ceiling A uses the same

# Posts are SPACING apart, the newest an hour old, so a re-read window of SWEEP_WINDOW_DAYS
# holds exactly SWEEP_POSTS posts: post i is 1 + 6*i hours old, and 25 days = 600 hours.
SPACING = timedelta(hours=6)
SWEEP_WINDOW_DAYS = 25
SWEEP_POSTS = 100
DELETE_POSTS = 10
DELETE_COMMENTS = 20

# The emulator reports usage (X-App-Usage, X-Business-Use-Case-Usage) as calls in the last 60 s
# divided by `usage_budget`, every batch sub-request counting as a call. somed paces itself once
# the headers pass [runner] slow_down_at_percent (80 by default), up to 10 s per batch. This
# benchmark measures somed's own throughput, not that pacing policy, so the budget is set far
# above anything one run can reach (the default of 2000 would be approached by the sweeps of a
# large page).
USAGE_BUDGET = 100_000_000

TARGET_RATIO = 0.5
TARGET_IDLE_REQUESTS = 3


# --- the emulator, in its own process -------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    posts: int
    comments: int
    replies: int
    images_every: int
    newest: datetime


def _serve(conn: Connection, spec: PageSpec) -> None:
    """Child process: generate the page, serve it on loopback, answer commands over `conn`."""
    from connectors.facebook.emulator import FacebookEmulator, TokenInfo, generate_page

    started = time.perf_counter()
    page = generate_page(
        PAGE_ID, "Benchkommun", "benchkommun", posts=spec.posts,
        comments_per_post=spec.comments, replies_per_comment=spec.replies,
        images_every=spec.images_every, newest=spec.newest, spacing=SPACING,
    )  # fmt: skip
    emulator = FacebookEmulator(
        [page], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}, usage_budget=USAGE_BUDGET
    )
    base_url = emulator.start()
    _warm(base_url)
    emulator.reset_log()
    conn.send((base_url, time.perf_counter() - started))

    def counts() -> dict[str, int]:
        http = emulator.http_requests()
        media = [r for r in http if r.path.startswith("/media/")]
        return {
            "http": len(http),
            "api": len(http) - len(media),
            "media": len(media),
            "batches": sum(1 for r in http if r.batch_size),
            "batch_reads": sum(r.batch_size for r in http),
            "errors": sum(1 for r in http if r.status >= 400),
        }

    commands = {
        "reset_log": emulator.reset_log,
        "counts": counts,
        "delete_post": emulator.delete_post,
        "delete_comment": emulator.delete_comment,
    }
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            name, args = message
            try:
                conn.send(("ok", commands[name](*args)))
            except Exception as exc:  # report it to the parent instead of dying silently
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        emulator.stop()


def _warm(base_url: str) -> None:
    """Walk the page once and render every photo, before anything is timed.

    The emulator memoises some rendering (timestamps, comment orderings, PNG bytes); warming it
    up front means the archive and the ceilings, whichever runs first, meet the same emulator.
    """
    from connectors.facebook.emulator import png_image

    posts, _, _, _ = plain_fetch(base_url)
    for url in _media_urls(posts):
        png_image(urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".png"))


def _media_urls(posts: list[dict[str, Any]]) -> list[str]:
    """The media URLs of decoded posts and their comments, as somed's normaliser finds them."""
    urls: list[str] = []
    for raw in posts:
        post = normalize_post(raw, page_id=PAGE_ID, account=ACCOUNT)
        urls += [m.source_url for m in post.media]
        for comment in (raw.get("comments") or {}).get("data", []):
            record = normalize_comment(comment, post_id=post.id, page_id=PAGE_ID, account=ACCOUNT)
            urls += [m.source_url for m in record.media]
    return urls


class EmulatorProcess:
    """The parent's handle on the emulator child process."""

    def __init__(self, spec: PageSpec) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, spec), daemon=True)
        self._process.start()
        self.base_url, self.setup_seconds = self._recv()

    def _recv(self) -> Any:
        while not self._conn.poll(0.2):
            if not self._process.is_alive():
                raise RuntimeError(f"the emulator process died (exit {self._process.exitcode})")
        return self._conn.recv()

    def call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        status, result = self._recv()
        if status != "ok":
            raise RuntimeError(f"emulator {name}: {result}")
        return result

    def close(self) -> None:
        if self._process.is_alive():
            self._conn.send(None)
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)


# --- somed runs -------------------------------------------------------------------------------


def write_config(directory: Path, storage: Path, endpoint: str, window_days: int) -> Config:
    """Write and load a somed config for the bench account with the given re-read window."""
    path = directory / f"somed-window{window_days}.toml"
    path.write_text(
        "\n".join([
            "[storage]", f'dir = "{storage}"',
            "[platforms.facebook]", f'api_version = "{API_VERSION}"', f'endpoint = "{endpoint}"',
            f"page_size = {PAGE_SIZE}",
            "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "facebook"', f'id = "{PAGE_ID}"',
            f'token_env = "{TOKEN_ENV}"', f"refetch_window_days = {window_days}",
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return load_config(path)


@dataclass
class Measured:
    """One somed run as the emulator and the runner saw it."""

    outcome: RunOutcome
    wall: float
    counts: dict[str, int]


def run_somed(
    emulator: EmulatorProcess,
    config: Config,
    profile: cProfile.Profile | None = None,
) -> Measured:
    """Run one archive pass of the bench account and count the HTTP requests it made."""
    prepare_archive(config)
    emulator.call("reset_log")
    runner = Runner(config)
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    outcome = runner.run_account(ACCOUNT)
    if profile is not None:
        profile.disable()
    wall = time.perf_counter() - started
    if outcome.status != "ok":
        raise SystemExit(f"somed run failed: {outcome.status}: {outcome.message}")
    return Measured(outcome, wall, emulator.call("counts"))


# --- ceiling A: plain fetch ---------------------------------------------------------------------


def plain_fetch(base_url: str) -> tuple[list[dict[str, Any]], int, int, float]:
    """Walk published_posts with plain requests (same fields, limit and page size), decoding JSON.

    Returns the decoded posts, the number of items (posts, comments, replies), the number of
    HTTP requests and the wall time.
    """
    session = requests.Session()
    fields = post_fields(PAGE_SIZE)
    base = f"{base_url}/{API_VERSION}"
    params: dict[str, Any] = {"access_token": TOKEN, "fields": fields, "limit": PAGE_SIZE}
    posts: list[dict[str, Any]] = []
    items = calls = 0
    started = time.perf_counter()
    after: str | None = None
    while True:
        query = {**params, "after": after} if after else params
        body = session.get(f"{base}/{PAGE_ID}/published_posts", params=query, timeout=60).json()
        calls += 1
        for post in body["data"]:
            posts.append(post)
            items += 1
            comments = post.get("comments") or {}
            items += len(comments.get("data", []))
            more = (comments.get("paging") or {}).get("cursors", {}).get("after")
            while (comments.get("paging") or {}).get("next"):  # more than PAGE_SIZE comments
                comments = session.get(
                    f"{base}/{post['id']}/comments",
                    params={"access_token": TOKEN, "filter": "stream", "order": "chronological",
                            "fields": COMMENT_FIELDS, "limit": PAGE_SIZE,
                            "after": more},
                    timeout=60,
                ).json()  # fmt: skip
                calls += 1
                post["comments"]["data"] += comments.get("data", [])
                items += len(comments.get("data", []))
                more = (comments.get("paging") or {}).get("cursors", {}).get("after")
        paging = body.get("paging") or {}
        if not paging.get("next"):
            break
        after = paging["cursors"]["after"]
    wall = time.perf_counter() - started
    session.close()
    return posts, items, calls, wall


def plain_media_fetch(base_url: str, posts: list[dict[str, Any]]) -> tuple[int, float]:
    """Download each distinct media file of `posts` once with plain requests (not stored).

    The archive also downloads photos, which ceiling A does not; this puts a number on the
    least that costs over the same loopback (one sequential GET per distinct file path).
    """
    paths = list(dict.fromkeys(urlsplit(url).path for url in _media_urls(posts)))
    session = requests.Session()
    started = time.perf_counter()
    for path in paths:
        response = session.get(f"{base_url}{path}", timeout=60)
        response.raise_for_status()
        _ = response.content
    wall = time.perf_counter() - started
    session.close()
    return len(paths), wall


# --- ceiling B: plain insert --------------------------------------------------------------------


def _row(record: Record, now: str) -> dict[str, Any]:
    """An items-shaped row (same columns as somed's items table, raw JSON included)."""
    return {
        "platform": record.platform, "id": record.id, "account": record.account,
        "kind": record.kind, "parent_id": record.parent_id, "thread_id": record.thread_id,
        "direction": record.direction, "author_id": record.author.id,
        "author_name": record.author.name, "text": record.text,
        "created_at": utc_iso(record.created_at), "edited_at": utc_iso(record.edited_at),
        "url": record.url, "first_seen_at": now, "last_seen_at": now, "deleted_at": None,
        "sha256": record.content_sha256(), "version_count": 1,
        "extra": canonical_json(record.extra),
        "raw": json.dumps(record.raw, ensure_ascii=False, separators=(",", ":")),
    }  # fmt: skip


def plain_insert(posts: list[dict[str, Any]], directory: Path) -> tuple[int, float]:
    """Insert the normalised records of `posts` with sqlite_utils insert_all; time only that."""
    now = utc_iso(datetime.now(UTC))
    assert now is not None
    rows: list[dict[str, Any]] = []
    for raw in posts:
        post = normalize_post(raw, page_id=PAGE_ID, account=ACCOUNT)
        rows.append(_row(post, now))
        for comment in (raw.get("comments") or {}).get("data", []):
            record = normalize_comment(comment, post_id=post.id, page_id=PAGE_ID, account=ACCOUNT)
            rows.append(_row(record, now))
    path = directory / "plain-insert.db"
    started = time.perf_counter()
    db = sqlite_utils.Database(path)
    db["items"].insert_all(rows, pk=("platform", "id"))
    db.close()
    return len(rows), time.perf_counter() - started


# --- the benchmark ------------------------------------------------------------------------------


def _archive_db(storage: Path) -> sqlite3.Connection:
    return sqlite3.connect(storage / "somed.db")


def pick_deletions(storage: Path, config: Config) -> tuple[list[str], list[str], int]:
    """Choose posts and comments inside the re-read window to delete; count what they take."""
    db = _archive_db(storage)
    try:
        posts = [r[0] for r in db.execute(
            "SELECT id FROM items WHERE account = ? AND kind = 'post'"
            " ORDER BY created_at DESC LIMIT ?", [ACCOUNT, SWEEP_POSTS])]  # fmt: skip
        doomed_posts = posts[:: max(1, len(posts) // DELETE_POSTS)][:DELETE_POSTS]
        survivors = [p for p in posts if p not in doomed_posts]
        doomed_comments: list[str] = []
        for post_id in survivors:  # the first top-level comment of each surviving post
            row = db.execute(
                "SELECT id FROM items WHERE thread_id = ? AND kind = 'comment'"
                " ORDER BY created_at, id LIMIT 1", [post_id]).fetchone()  # fmt: skip
            if row:
                doomed_comments.append(row[0])
            if len(doomed_comments) == DELETE_COMMENTS:
                break
        marks = ",".join("?" * len(doomed_posts))
        children = db.execute(
            f"SELECT count(*) FROM items WHERE thread_id IN ({marks}) AND kind != 'post'",
            doomed_posts).fetchone()[0]  # fmt: skip
        marks = ",".join("?" * len(doomed_comments))
        replies = db.execute(
            f"SELECT count(*) FROM items WHERE parent_id IN ({marks}) AND kind = 'reply'",
            doomed_comments).fetchone()[0]  # fmt: skip
    finally:
        db.close()
    expected = len(doomed_posts) + children + len(doomed_comments) + replies
    return doomed_posts, doomed_comments, expected


def tombstones(storage: Path) -> int:
    db = _archive_db(storage)
    try:
        return int(db.execute(
            "SELECT count(*) FROM items WHERE account = ? AND deleted_at IS NOT NULL",
            [ACCOUNT]).fetchone()[0])  # fmt: skip
    finally:
        db.close()


def window_refs(storage: Path) -> tuple[int, int]:
    """Posts and comments/replies inside the sweep window (what the re-read reads again)."""
    cutoff = utc_iso(datetime.now(UTC) - timedelta(days=SWEEP_WINDOW_DAYS))
    db = _archive_db(storage)
    try:
        posts, children = db.execute(
            "WITH recent AS (SELECT id FROM items WHERE account = :a AND kind = 'post'"
            "  AND deleted_at IS NULL AND created_at >= :c)"
            " SELECT (SELECT count(*) FROM recent), (SELECT count(*) FROM items"
            "  WHERE account = :a AND deleted_at IS NULL AND kind IN ('comment', 'reply')"
            "  AND thread_id IN (SELECT id FROM recent))",
            {"a": ACCOUNT, "c": cutoff},
        ).fetchone()
    finally:
        db.close()
    return int(posts), int(children)


def per_thousand(requests_made: int, items: int) -> float:
    return 1000.0 * requests_made / items if items else float("nan")


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    os.environ[TOKEN_ENV] = TOKEN
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    spec = PageSpec(args.posts, args.comments, args.replies, args.images_every, newest)
    work = Path(tempfile.mkdtemp(prefix="somed-bench-", dir=args.dir))
    storage = work / "archive"
    emulator = EmulatorProcess(spec)
    results: dict[str, Any] = {
        "page": {"posts": args.posts, "comments_per_post": args.comments,
                 "replies_per_comment": args.replies, "images_every": args.images_every,
                 "emulator_setup_s": round(emulator.setup_seconds, 2)},
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "sqlite": sqlite3.sqlite_version},
    }  # fmt: skip
    try:
        first_cfg = write_config(work, storage, emulator.base_url, window_days=0)
        sweep_cfg = write_config(work, storage, emulator.base_url, window_days=SWEEP_WINDOW_DAYS)

        # 1. first full archive, window 0: the walk alone, no re-read sweep
        profile = cProfile.Profile() if args.profile else None
        first = run_somed(emulator, first_cfg, profile)
        items = first.outcome.new
        media_files = sum(1 for _ in (storage / "media").rglob("*.png"))
        results["first_archive"] = {
            "items": items, "wall_s": first.wall, "items_per_s": items / first.wall,
            "http_requests": first.counts["http"], "api_requests": first.counts["api"],
            "media_downloads": first.counts["media"], "media_files_stored": media_files,
            "runner_requests": first.outcome.requests,
            "http_per_1000_items": per_thousand(first.counts["http"], items),
            "api_per_1000_items": per_thousand(first.counts["api"], items),
        }  # fmt: skip

        # 2. ceiling A: the same walk with plain requests, decode only
        posts, fetched, calls, fetch_wall = plain_fetch(emulator.base_url)
        results["ceiling_fetch"] = {
            "items": fetched, "wall_s": fetch_wall, "items_per_s": fetched / fetch_wall,
            "http_requests": calls, "http_per_1000_items": per_thousand(calls, fetched),
        }  # fmt: skip

        # 2b. (informational) the least the archive's photo downloads cost on this loopback
        files, media_wall = plain_media_fetch(emulator.base_url, posts)
        results["ceiling_fetch_with_media"] = {
            "items": fetched, "media_files": files, "media_wall_s": media_wall,
            "wall_s": fetch_wall + media_wall, "items_per_s": fetched / (fetch_wall + media_wall),
            "http_requests": calls + files,
        }  # fmt: skip

        # 3. ceiling B: the same records into a fresh SQLite with insert_all
        inserted, insert_wall = plain_insert(posts, work)
        del posts
        results["ceiling_insert"] = {
            "items": inserted,
            "wall_s": insert_wall,
            "items_per_s": inserted / insert_wall,
        }

        # 4. ratio against the lower ceiling
        ceiling = min(results["ceiling_fetch"]["items_per_s"],
                      results["ceiling_insert"]["items_per_s"])  # fmt: skip
        ratio = results["first_archive"]["items_per_s"] / ceiling
        results["ratio"] = {"value": ratio, "target": TARGET_RATIO,
                            "pass": ratio >= TARGET_RATIO}  # fmt: skip
        # informational: against fetch-with-media, the ceiling that does the archive's I/O
        results["ratio_with_media"] = results["first_archive"]["items_per_s"] / min(
            results["ceiling_fetch_with_media"]["items_per_s"],
            results["ceiling_insert"]["items_per_s"],
        )

        # 5. idle poll: nothing new, window 0
        idle = run_somed(emulator, first_cfg)
        results["idle_poll"] = {
            "wall_s": idle.wall, "http_requests": idle.counts["http"],
            "runner_requests": idle.outcome.requests, "new": idle.outcome.new,
            "target": TARGET_IDLE_REQUESTS, "pass": idle.counts["http"] <= TARGET_IDLE_REQUESTS,
        }  # fmt: skip

        # 6a. re-read sweep of the newest posts with nothing deleted
        window_posts, window_children = window_refs(storage)
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

        # 6b. the same sweep after deleting posts and comments inside the window
        doomed_posts, doomed_comments, expected = pick_deletions(storage, sweep_cfg)
        for post_id in doomed_posts:
            emulator.call("delete_post", post_id)
        for comment_id in doomed_comments:
            emulator.call("delete_comment", comment_id)
        before = tombstones(storage)
        swept = run_somed(emulator, sweep_cfg)
        results["sweep_after_deletions"] = {
            "deleted_posts": len(doomed_posts), "deleted_comments": len(doomed_comments),
            "wall_s": swept.wall, "http_requests": swept.counts["http"],
            "sweep_http_requests": swept.counts["http"] - idle.counts["http"],
            "sweep_s": swept.wall - idle.wall,
            "batches": swept.counts["batches"], "batch_reads": swept.counts["batch_reads"],
            "tombstones": tombstones(storage) - before, "expected_tombstones": expected,
            "runner_deleted": swept.outcome.deleted,
        }  # fmt: skip
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


# --- output -------------------------------------------------------------------------------------


def _f(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _photos(every: int) -> str:
    return "no photos" if every <= 0 else f"photos on every {every}th post"


def render(results: dict[str, Any]) -> str:
    first, fetch, insert = (results["first_archive"], results["ceiling_fetch"],
                            results["ceiling_insert"])  # fmt: skip
    idle, quiet = results["idle_poll"], results["sweep_nothing_deleted"]
    fetchm = results["ceiling_fetch_with_media"]
    swept, ratio, page = results["sweep_after_deletions"], results["ratio"], results["page"]
    rows = [
        ("measurement", "items", "wall s", "items/s", "HTTP req", "req/1k items"),
        ("1. first full archive (somed)", _f(first["items"]), _f(first["wall_s"], 2),
         _f(first["items_per_s"]), _f(first["http_requests"]), _f(first["http_per_1000_items"], 1)),
        ("   of which Graph API requests", "", "", "", _f(first["api_requests"]),
         _f(first["api_per_1000_items"], 2)),
        ("   of which media downloads", "", "", "", _f(first["media_downloads"]), ""),
        ("2. ceiling A: plain fetch", _f(fetch["items"]), _f(fetch["wall_s"], 2),
         _f(fetch["items_per_s"]), _f(fetch["http_requests"]), _f(fetch["http_per_1000_items"], 2)),
        ("2b. plain fetch + its photos (info)", _f(fetchm["items"]), _f(fetchm["wall_s"], 2),
         _f(fetchm["items_per_s"]), _f(fetchm["http_requests"]),
         _f(per_thousand(fetchm["http_requests"], fetchm["items"]), 1)),
        ("3. ceiling B: plain insert", _f(insert["items"]), _f(insert["wall_s"], 2),
         _f(insert["items_per_s"]), "-", "-"),
        ("5. idle poll (window 0)", "0", _f(idle["wall_s"], 3), "-", _f(idle["http_requests"]),
         "-"),
        (f"6. sweep, {quiet['window_posts']} posts, nothing deleted",
         _f(quiet["window_posts"] + quiet["window_comments"]), _f(quiet["wall_s"], 3), "-",
         _f(quiet["http_requests"]), "-"),
        (f"6. sweep after deleting {swept['deleted_posts']} posts + "
         f"{swept['deleted_comments']} comments", "", _f(swept["wall_s"], 3), "-",
         _f(swept["http_requests"]), "-"),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        f"somed archive throughput: {page['posts']:,} posts x {page['comments_per_post']} "
        f"comments (+{page['replies_per_comment']} replies each), "
        f"{_photos(page['images_every'])}; "
        f"{results['machine']['nproc']} CPUs, Python {results['machine']['python']}",
        "",
    ]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(row)))  # fmt: skip
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    verdict = "PASS" if ratio["pass"] else "MISS"
    idle_verdict = "PASS" if idle["pass"] else "MISS"
    lines += [
        "",
        f"4. ratio archive / min(ceilings) = {ratio['value']:.2f}  (target >= {ratio['target']}) "
        f"{verdict}",
        f"   (informational: against 2b instead of 2, {results['ratio_with_media']:.2f})",
        f"5. idle poll: {idle['http_requests']} HTTP requests (target <= {idle['target']}) "
        f"{idle_verdict}, {idle['wall_s'] * 1000:.0f} ms",
        f"6. sweep share of the run (run minus idle poll): nothing deleted "
        f"{quiet['sweep_http_requests']} requests / {quiet['sweep_s'] * 1000:.0f} ms "
        f"({quiet['batches']} batches, {quiet['batch_reads']} reads); after deletions "
        f"{swept['sweep_http_requests']} requests / {swept['sweep_s'] * 1000:.0f} ms "
        f"({swept['batches']} batches, {swept['batch_reads']} reads)",
        f"   tombstones recorded: {swept['tombstones']} (expected {swept['expected_tombstones']})"
        f"; a Graph batch folds up to 50 reads into one HTTP request",
        f"   first archive stored {first['media_files_stored']:,} distinct media files from "
        f"{first['media_downloads']:,} downloads; 2b fetched {fetchm['media_files']:,} files in "
        f"{fetchm['media_wall_s']:.2f} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts on the page (10000)")
    parser.add_argument("--comments", type=int, default=10, help="comments per post (10)")
    parser.add_argument("--replies", type=int, default=0, help="replies per comment (0)")
    parser.add_argument(
        "--images-every",
        type=int,
        default=0,
        help="photos on every Nth post (0, the default: none, as the issue's workload; "
        "5 adds photos like the generator's default)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", metavar="FILE",
                        help="profile somed's side of the first archive (cProfile) into FILE; "
                        "slows that run, so its figures are not comparable")  # fmt: skip
    parser.add_argument("--dir", help="parent folder for the temporary archive (system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive")
    args = parser.parse_args(argv)
    if args.posts < SWEEP_POSTS or args.comments < 2:
        parser.error(f"need --posts >= {SWEEP_POSTS} and --comments >= 2 for the sweep")
    started = time.perf_counter()
    results = benchmark(args)
    results["total_s"] = time.perf_counter() - started
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(render(results))
        if "profile_top" in results:
            print("\nprofile of the first archive (somed's thread, by own time):")
            print(results["profile_top"])
        print(f"\n(total benchmark time {results['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
