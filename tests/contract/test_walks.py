"""The walk contract, for every platform's connector against its emulator over real HTTP.

Modelled on the Singer SDK's standard tap tests: a full walk archives everything; cursors only
move forward; an idle poll moves nothing; an interrupted walk resumes without gaps or
duplicates; an edit is a version and a missing object a tombstone; no secret is stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest

from connectors.registry import connector_class
from somed.config import load_config
from storage.db import connect
from tests.contract.conftest import ROOT, cursors, write_config
from tests.hostile.harness import archived, run
from tests.hostile.harness import somed_cli as somed


def order(kind: str, value: str | None) -> Any:
    """A comparable form of a cursor of `kind` (None: no cursor yet, before every value)."""
    if value is None:
        return (0,)
    if kind == "timestamp":
        return (1, datetime.fromisoformat(value.replace("Z", "+00:00")))
    if kind == "id" and value.isdigit():
        return (1, len(value), value)
    return (1, value)


def assert_forward(config: Any, key: str, before: dict[str, str | None]) -> dict[str, str | None]:
    """Every stream's cursor is where it was or later; return the cursors now."""
    now = cursors(config, key)
    specs = {s.name: s for s in connector_class(config.account(key).platform).streams}
    for stream, value in now.items():
        kind = specs[stream].cursor
        if before.get(stream) is not None:
            assert value is not None, f"{stream}: the cursor was dropped"
            went_back = (stream, before[stream], value)
            assert order(kind, value) >= order(kind, before[stream]), went_back
    return now


def test_a_full_walk_archives_every_item_and_stores_no_secret(adapter, tmp_path):
    adapter.start(posts=30, comments=2)
    path = write_config(tmp_path, adapter, logging=True, page_size=10)
    config = load_config(path)
    walk = somed(path, adapter, "archive")  # a real process
    assert walk.returncode == 0, walk.stdout + walk.stderr
    items = archived(config)
    missing = adapter.expected_ids() - set(items)
    assert not missing, f"{len(missing)} items not archived, e.g. {sorted(missing)[:5]}"
    assert {i["platform"] for i in items.values()} == {adapter.platform}
    assert all(i["account"] == adapter.account for i in items.values())
    assert all(i["versions"] == [] and i["deleted_at"] is None for i in items.values())
    status = somed(path, adapter, "status", "--json")
    assert status.returncode == 0, status.stderr
    export = somed(path, adapter, "export")
    for text in (walk.stdout, walk.stderr, status.stdout, status.stderr, export.stdout):
        assert adapter.token not in text
    stored = [f for f in (tmp_path / "archive").rglob("*") if f.is_file()]
    assert not [f.name for f in stored if adapter.token.encode() in f.read_bytes()]


def test_cursors_only_move_forward_and_an_idle_poll_changes_nothing(adapter, tmp_path):
    adapter.start(posts=12, comments=1)
    config = load_config(write_config(tmp_path, adapter))
    assert run(config, adapter.account).status == "ok"
    first = assert_forward(config, adapter.account, {})
    assert any(value is not None for value in first.values()), "no stream stored a cursor"
    again = run(config, adapter.account)  # nothing happened on the platform
    assert again.status == "ok" and (again.new, again.changed, again.deleted) == (0, 0, 0)
    assert assert_forward(config, adapter.account, first) == first
    new_id = adapter.add_post("Nytt inlägg: vinterväghållningen börjar i morgon.")
    later = run(config, adapter.account)
    assert later.status == "ok" and later.new >= 1
    assert new_id in archived(config)
    assert_forward(config, adapter.account, first)


def test_an_interrupted_walk_resumes_without_gaps_or_duplicates(adapter, tmp_path):
    adapter.start(posts=40, comments=2)
    path = write_config(tmp_path, adapter, page_size=5)
    config = load_config(path)
    adapter.set_latency(0.05)  # the walk takes a couple of seconds: time to kill it
    env = {**os.environ, **adapter.env, "SOMED_LANG": "en"}
    victim = subprocess.Popen([sys.executable, "-m", "somed", "--config", str(path), "archive"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while adapter.api_requests() < 6 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert victim.returncode == -signal.SIGKILL, "the walk ended before it could be interrupted"
    adapter.set_latency(0)
    before = cursors(config, adapter.account)
    outcome = run(config, adapter.account)
    assert outcome.status == "ok", outcome.message
    items = archived(config)
    assert adapter.expected_ids() <= set(items)  # no gap
    assert all(i["versions"] == [] for i in items.values())  # nothing stored twice as "edited"
    assert_forward(config, adapter.account, before)
    db = connect(config.db_path)
    try:
        statuses = [r["status"] for r in db.query("SELECT status FROM runs ORDER BY id")]
    finally:
        db.close()
    assert statuses[-1] == "ok" and "running" not in statuses  # the killed run is closed


def test_an_edit_is_a_version_and_a_missing_post_a_tombstone(adapter, tmp_path):
    adapter.start(posts=8, comments=1)
    config = load_config(write_config(tmp_path, adapter))
    assert run(config, adapter.account).status == "ok"
    edited, gone = adapter.post_ids()[1], adapter.post_ids()[2]
    original = archived(config)[edited]["text"]
    adapter.edit_post(edited, "Rättelse: mötet hålls i stadshuset, sal B.")
    adapter.delete_post(gone)
    outcome = run(config, adapter.account)
    assert outcome.status == "ok", outcome.message
    items = archived(config)
    assert items[edited]["text"] == "Rättelse: mötet hålls i stadshuset, sal B."
    assert [v["text"] for v in items[edited]["versions"]] == [original]
    assert items[gone]["deleted_at"] is not None  # a tombstone: the archived content stays
    assert items[gone]["text"] and items[gone]["versions"] == []
    assert outcome.changed >= 1 and outcome.deleted >= 1


def test_a_comment_deleted_under_the_newest_post_is_a_tombstone_in_one_poll(adapter, tmp_path):
    # every walk reads the newest post again (for its new comments); what it stores must not
    # hide from the re-read that a stored comment of that post is gone
    if not hasattr(adapter, "delete_comment"):
        pytest.skip(f"{adapter.name}: stored posts are read again by age, not by change")
    adapter.start(posts=6, comments=3)
    config = load_config(write_config(tmp_path, adapter))
    assert run(config, adapter.account).status == "ok"
    newest = adapter.post_ids()[0]
    gone, *kept = adapter.comment_ids(newest)
    adapter.delete_comment(gone)
    added = adapter.add_comment(newest, "Ny fråga: när kommer plogbilen till Backvägen?")
    outcome = run(config, adapter.account)  # one poll
    assert outcome.status == "ok", outcome.message
    items = archived(config)
    assert items[gone]["deleted_at"] is not None, "the deleted comment is not marked deleted"
    assert items[gone]["text"]  # a tombstone: the archived content stays
    assert added in items and items[added]["deleted_at"] is None
    assert all(items[c]["deleted_at"] is None for c in kept)
    assert outcome.deleted >= 1 and outcome.new >= 1
