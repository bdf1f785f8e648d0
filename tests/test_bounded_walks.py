"""Walks end: endless paging and the request budget end a stream `partial`, a bug in one
stream leaves the others done, and no run stays `running` after its process died.

Written against the connector contract through `tests/hostile/harness.py`.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from connectors.registry import connector_class
from somed.config import load_config
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage import queries
from storage.db import connect
from storage.writer import ArchiveWriter
from tests.hostile.harness import archived, run, write_config


def test_endless_paging_over_the_same_items_ends_partial_within_a_bounded_walk(hostile, tmp_path):
    hostile.plant_good(posts=6)
    hostile.repeat_forever("posts")
    config = load_config(write_config(tmp_path, hostile, runner="max_repeated_pages = 5"))
    outcome = run(config, hostile.account)
    assert outcome.status == "partial"
    assert outcome.streams["posts"] == "partial" and "nothing new" in outcome.message
    for other in set(hostile.streams) - {"posts"}:
        assert outcome.streams[other] in ("ok", "permission_denied"), other  # the others done
    # the first page, five with nothing new, and the pages read ahead while storing
    assert hostile.requests_to("posts") <= 1 + 5 + 2
    db = connect(config.db_path)
    assert queries.get_cursor(db, hostile.account, "posts") is None  # an unfinished walk
    state = {s["stream"]: s for s in queries.account_overview(db)[0]["streams"]}
    db.close()
    assert state["posts"]["status"] == "partial"
    assert hostile.good_ids() - hostile.unlisted_ids("posts") <= set(archived(config))


def test_the_request_budget_ends_the_run_partial_and_keeps_what_was_read(hostile, tmp_path):
    hostile.plant_good(posts=30, comments=0)
    config = load_config(
        write_config(tmp_path, hostile, runner="max_requests_per_run = 4", page_size=5)
    )
    outcome = run(config, hostile.account)
    assert outcome.status == "partial"
    assert outcome.streams["posts"] == "partial" and "budget of 4 requests" in outcome.message
    later = hostile.streams[hostile.streams.index("posts") + 1 :]
    # streams walked beside the others (`StreamSpec.beside`) start with the posts walk, so
    # they may finish before the budget is spent; their requests count against it all the same
    beside = {s.name for s in connector_class(hostile.platform).streams if s.beside}
    for stream in later:
        if stream not in beside:
            assert outcome.streams[stream] == "partial"  # not started: the budget was spent
    ahead = hostile.overshoot(5) * (1 + len(beside & set(later)))  # read ahead, per thread
    assert outcome.requests <= 4 + ahead  # the budget, and what was read ahead
    for stream in (set(later) - beside) & set(hostile.listings):
        assert hostile.requests_to(stream) == 0
    posts = [i for i in archived(config).values() if i["kind"] in ("post", "video")]
    assert 5 <= len(posts) < 30  # the pages read before the budget ran out, not the rest
    db = connect(config.db_path)
    assert queries.get_cursor(db, hostile.account, "posts") is None
    db.close()


def test_an_unexpected_error_in_one_stream_leaves_the_other_streams_done(hostile, tmp_path, caplog):
    others = [s for s in hostile.listings if s != "posts"]
    if not others:
        pytest.skip(f"{type(hostile).__name__}: no stream but posts has a paged listing to break")
    broken = others[-1]
    hostile.plant_good(posts=4)
    hostile.break_paging(broken)
    config = load_config(write_config(tmp_path, hostile))
    with caplog.at_level(logging.INFO, logger="somed.runner"):
        outcome = run(config, hostile.account)
    assert outcome.status == "partial"
    assert outcome.streams[broken] == "failed"
    assert outcome.streams["profile"] == outcome.streams["posts"] == "ok"
    assert outcome.streams.get("sweep") == "ok"
    assert hostile.good_ids() - hostile.unlisted_ids(broken) <= set(archived(config))
    traces = [r for r in caplog.records if r.exc_info]
    if "internal error" in (outcome.message or ""):  # a bug: logged once, with its traceback
        assert len(traces) == 1 and broken in traces[0].getMessage()
    again = run(config, hostile.account)  # the next run goes on as before
    assert again.streams["posts"] == "ok"


def test_runs_left_running_by_dead_processes_are_closed_by_the_next_process(hostile, tmp_path):
    hostile.plant_good(posts=2)
    path = write_config(tmp_path, hostile)
    config = load_config(path)
    prepare_archive(config)
    other = "other-account"
    db = connect(config.db_path)
    writer = ArchiveWriter(db, lambda: datetime.now(UTC))
    # a run of another account whose process was killed, and whose pid now belongs to a live
    # process (pids are reused): only its free account lock tells it is dead
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_id = writer.runlog.start_run(other, hostile.platform, "scheduled")
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", [sleeper.pid, run_id])
        db.conn.commit()
        writer.runlog.mark_interrupted_runs()  # the pid check alone cannot see it
        assert queries.last_runs(db, other, limit=1)[0]["status"] == "running"
        outcome = Runner(config).run_account(hostile.account)
        assert outcome.status == "ok"
        assert queries.last_runs(db, other, limit=1)[0]["status"] == "interrupted"
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()
        db.close()
