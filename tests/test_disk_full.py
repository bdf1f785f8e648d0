"""A full disk fails the run in plain words, loses nothing, and the next run completes.

The archive lives on a small tmpfs (mount needs root; the test is skipped, saying why, where
mounting is not permitted). Real subprocesses of `somed archive` and `somed status`, and of
the daemon (`somed run`) living through a full disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_daemon
from conftest import Setup
from test_daemon import item_count, runs

from somed.config import load_config
from storage.db import connect
from tests.hostile.harness import FacebookHarness, somed_cli, write_config

start_daemon = test_daemon.start_daemon  # the fixture: `somed run` with a real notify socket


def _mount(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs at tmp_path/disk (remount it bigger to free space)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("disk-full test needs root to mount a small tmpfs")
    mounted = _mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


def test_a_full_disk_fails_the_run_in_plain_words_and_the_next_run_completes(hostile, small_disk):
    hostile.plant_good(posts=600, comments=2)
    # long texts: the archive outgrows the disk quickly
    hostile.lengthen_texts(" " + "Kommunfullmäktige sammanträder. " * 40)
    path = write_config(small_disk, hostile)

    full = somed_cli(path, hostile, "archive")
    assert full.returncode == 1, full.stdout + full.stderr
    assert "Traceback" not in full.stderr and "Traceback" not in full.stdout
    assert "disk is full" in full.stdout, full.stdout  # the summary's note, in plain words
    status = somed_cli(path, hostile, "status", "--json")
    assert status.returncode in (0, 1), status.stderr
    row = json.loads(status.stdout)[0]
    assert row["last_run"]["status"] == "failed"  # ended, not left "running"
    stored_before = row["item_total"]
    assert stored_before > 1  # the batches written before the disk filled up are counted
    words = somed_cli(path, hostile, "status")
    assert "not archived yet" not in words.stdout.lower()

    freed = _mount(["-o", "remount,size=64m", str(small_disk)])
    assert freed.returncode == 0, freed.stderr
    again = somed_cli(path, hostile, "archive")
    assert again.returncode == 0, again.stdout + again.stderr
    exported = somed_cli(path, hostile, "export")
    ids = {json.loads(line)["id"] for line in exported.stdout.splitlines()}
    assert hostile.good_ids() <= ids  # nothing lost, everything archived
    assert len(ids) >= stored_before


def test_the_daemon_lives_through_a_full_disk_and_its_next_scheduled_run_completes(
    small_disk, tmp_path, start_daemon
):
    """Issue 5 item 6: a scheduled run fails on a full disk, the daemon keeps serving, and once
    space is freed the next scheduled run (a minute later: the shortest interval) completes."""
    harness = FacebookHarness()
    harness.start()
    try:
        harness.plant_good(posts=600, comments=2)
        harness.lengthen_texts(" " + "Kommunfullmäktige sammanträder. " * 40)
        daemon_sections = "\n[daemon]\njitter_seconds = 0\ntick_seconds = 1\n[capture]\nenabled = false"
        path = write_config(small_disk, harness, runner=daemon_sections)
        with path.open("a", encoding="utf-8") as config:
            config.write("interval_minutes = 1\n")  # into the account's table, the last one
        env = {**os.environ, **harness.env, "SOMED_LANG": "en"}
        setup = Setup(None, load_config(path), path, env)  # type: ignore[arg-type]
        daemon = start_daemon(setup)

        daemon.wait_for_runs(harness.account, "failed", timeout=40)  # the first poll: at once
        failed_at = time.monotonic()
        db = connect(setup.config.db_path)
        [(message, started)] = db.execute(
            "SELECT message, started_at FROM runs WHERE account = ?", [harness.account]
        ).fetchall()
        stored_before = item_count(setup.config.db_path, harness.account)
        db.close()
        assert "disk full" in message, message
        assert stored_before > 1  # the batches written before the disk filled up are kept
        watchdogs = daemon.count("WATCHDOG=1")
        daemon.wait_for(lambda: daemon.count("WATCHDOG=1") > watchdogs + 2, "WATCHDOG=1 after it")
        assert any("1 failed" in s for s in daemon.statuses()), daemon.statuses()
        assert "The service is running" in somed_cli(path, harness, "status").stdout

        freed = _mount(["-o", "remount,size=64m", str(small_disk)])
        assert freed.returncode == 0, freed.stderr
        daemon.wait_for_runs(harness.account, "ok", timeout=90)  # the next poll, on schedule
        assert time.monotonic() - failed_at > 30  # scheduled, not retried at once
        assert runs(setup.config.db_path, harness.account) == ["failed", "ok"]
        exported = somed_cli(path, harness, "export")
        ids = [json.loads(line)["id"] for line in exported.stdout.splitlines()]
        assert harness.good_ids() <= set(ids)  # nothing lost, everything archived
        assert len(ids) == len(set(ids))  # nothing stored twice
        db = connect(setup.config.db_path)
        versions = db.execute("SELECT count(*), max(version) FROM item_versions").fetchone()
        db.close()
        assert versions == (len(ids), 1)  # what the failed run stored was not stored again
        assert daemon.alive()
        code, _ = daemon.terminate()
        assert code == 0
        everything = "\n".join(daemon.lines + daemon.errors)
        assert "Traceback" not in everything, everything[-3000:]
    finally:
        harness.stop()
