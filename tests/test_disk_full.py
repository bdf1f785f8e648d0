"""A full disk fails the run in plain words, loses nothing, and the next run completes.

The archive lives on a small tmpfs (mount needs root; the test is skipped, saying why, where
mounting is not permitted). Real subprocesses of `somed archive` and `somed status`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import somed_cli, write_config


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
