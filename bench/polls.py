"""The benchmark's polls on a first archive: idle polls, the re-read window, the deep sweep."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import probes
from emulated import ACCOUNT, EmulatorProcess, run_somed, write_config

from connectors.facebook.connector import FacebookConnector

# Posts are 6 hours apart, the newest an hour old, so a re-read window of SWEEP_WINDOW_DAYS
# holds exactly SWEEP_POSTS posts: 25 days = 600 hours.
SWEEP_WINDOW_DAYS = 25
SWEEP_POSTS = 100
DELETE_POSTS = 10
DELETE_COMMENTS = 20

# one request per stream when nothing is new: profile, posts, visitors' posts, Messenger
TARGET_IDLE_REQUESTS = len(FacebookConnector.streams)
DEFAULT_WINDOW_DAYS = 90  # [[accounts]] refetch_window_days by default
LISTING_PAGE = 100  # posts per listing request of the window (Graph's largest page)
DEEP_SWEEP = "deep_sweep"  # the runner keeps the deep sweep's state as a cursor of this name
MAX_DEEP_RUNS = 1000
DEEP_DELETE = 5  # old posts, and comments on other old posts, the deep pass must find gone


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
        storage, probes.live_posts(storage, limit=SWEEP_POSTS), DELETE_POSTS, DELETE_COMMENTS
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


def _deep_state(storage: Path) -> dict[str, Any]:
    db = sqlite3.connect(storage / "somed.db")
    try:
        row = db.execute("SELECT value FROM cursors WHERE account = ? AND stream = ?",
                         [ACCOUNT, DEEP_SWEEP]).fetchone()  # fmt: skip
    finally:
        db.close()
    return json.loads(row[0]) if row else {}


def _make_deep_sweep_due(storage: Path) -> None:
    """Pretend the last deep pass ended long ago (the bench's only write to the archive)."""
    db = sqlite3.connect(storage / "somed.db")
    try:
        with db:
            db.execute("INSERT OR REPLACE INTO cursors (account, stream, value, updated_at)"
                       " VALUES (?, ?, ?, ?)", [ACCOUNT, DEEP_SWEEP,
                       json.dumps({"completed_at": "2000-01-01T00:00:00Z"}),
                       "2000-01-01T00:00:00Z"])  # fmt: skip
    finally:
        db.close()


def measure_deep_sweep(emulator: EmulatorProcess, work: Path, storage: Path) -> dict[str, Any]:
    """A whole deep-sweep pass over the posts older than the default window, slice by slice.

    Each run of the default config is an idle poll of the window plus one slice; the pass's
    cost is the runs' cost minus that many idle polls (measured first, without a due sweep).
    Before the pass, a few old posts and comments are deleted in the emulator: the pass must
    find them.
    """
    config = write_config(work, storage, emulator.base_url, window_days=DEFAULT_WINDOW_DAYS)
    idle = run_somed(emulator, config)  # not due: the window alone
    old_posts = probes.live_posts(storage, older_than_days=DEFAULT_WINDOW_DAYS)
    doomed_posts, doomed_comments, expected = probes.pick_deletions(
        storage, old_posts, DEEP_DELETE, DEEP_DELETE
    )
    for post_id in doomed_posts:
        emulator.call("delete_post", post_id)
    for comment_id in doomed_comments:
        emulator.call("delete_comment", comment_id)
    before = probes.tombstones(storage)
    _make_deep_sweep_due(storage)
    runs, requests, seconds, batch_reads = 0, 0, 0.0, 0
    while runs < MAX_DEEP_RUNS:
        measured = run_somed(emulator, config)
        runs += 1
        requests += measured.counts["http"] - idle.counts["http"]
        batch_reads += measured.counts["batch_reads"]
        seconds += measured.wall - idle.wall
        state = _deep_state(storage)
        if not state.get("position") and state.get("completed_at", "2000") > "2000-01-02":
            break
    posts = len(old_posts)
    return {
        "posts": posts, "runs": runs, "requests": requests, "seconds": seconds,
        "batch_reads": batch_reads, "idle_requests_per_run": idle.counts["http"],
        "requests_per_1000_posts": 1000 * requests / posts if posts else float("nan"),
        "seconds_per_1000_posts": 1000 * seconds / posts if posts else float("nan"),
        "tombstones": probes.tombstones(storage) - before, "expected_tombstones": expected,
        "complete": runs < MAX_DEEP_RUNS,
    }  # fmt: skip
