"""`somed export` at the edges: extreme dates, closed or full outputs, a full disk, bad ranges."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import PAGE_ID, TOKEN, TOKEN_ENV, small_page, write_config

from connectors.facebook.emulator import FacebookEmulator, TokenInfo

pytestmark = pytest.mark.xdist_group("export-archive")  # its module fixture is built once

ROOT = Path(__file__).resolve().parent.parent


def somed(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        **kwargs,
    )  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One archive of a small page, shared by the tests here (they only read it)."""
    directory = tmp_path_factory.mktemp("export")
    emulator = FacebookEmulator(
        [small_page(posts=12)], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}
    )
    endpoint = emulator.start()
    try:
        path = write_config(directory, endpoint)
        env = {
            "PATH": "/usr/bin:/bin",
            TOKEN_ENV: TOKEN,
            "SOMED_CONFIG": str(path),
            "SOMED_LANG": "en",
        }
        assert somed("archive", env=env).returncode == 0
    finally:
        emulator.stop()
    env.pop(TOKEN_ENV)  # export is read-only: it needs no token
    return env


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("somed: error: ")
    return lines[0]


def test_the_earliest_and_latest_dates_export_everything(archived):
    everything = [
        line
        for line in somed("export", env=archived).stdout.splitlines()
        if json.loads(line)["created_at"]
    ]  # a date range leaves undated items out
    assert everything
    wide = somed("export", "--since", "0001-01-01", "--until", "9999-12-31", env=archived)
    assert wide.returncode == 0, wide.stderr
    assert wide.stdout.splitlines() == everything
    edge = somed(
        "export",
        "--since",
        "0001-01-01T00:00:00+05:00",
        "--until",
        "9999-12-31T23:59:59.5-05:00",
        env=archived,
    )
    assert edge.returncode == 0 and edge.stdout.splitlines() == everything, edge.stderr


def test_since_not_before_until_is_a_usage_error(archived):
    result = somed("export", "--since", "2026-02-01", "--until", "2026-01-01", env=archived)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "--since" in line and "--until" in line


def test_closed_stdout_is_one_line_and_exit_2(archived):
    result = subprocess.run(
        f"exec {sys.executable} -m somed export >&-",
        shell=True,
        env=archived,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "standard output is closed" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_stdout_on_a_full_device_is_one_line_and_exit_1(archived):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "somed", "export"],
            env=archived,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert result.returncode == 1
    assert "No space left on device" in result.stderr and "incomplete" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 64 KiB tmpfs (root only; skipped with the reason where mounting is not allowed)."""
    mount = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: cannot make a small file system for the disk-full case")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip() or 'not permitted'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_output_on_a_full_disk_keeps_the_old_file_and_leaves_no_partial_one(archived, tiny_disk):
    target = tiny_disk / "export.jsonl"
    target.write_text("the previous export\n", encoding="utf-8")
    result = somed("export", "--output", str(target), env=archived)
    assert result.returncode == 1
    line = one_error_line(result)
    assert "--output" in line and "No space left on device" in line and "unchanged" in line
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["export.jsonl"]  # no temp file left


def test_output_is_complete_and_replaces_the_old_file(archived, tmp_path):
    target = tmp_path / "export.jsonl"
    target.write_text("old\n", encoding="utf-8")
    assert somed("export", "-o", str(target), env=archived).returncode == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines == somed("export", env=archived).stdout.splitlines()
    assert all(json.loads(line)["account"] == "test-fb" for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.jsonl"]
