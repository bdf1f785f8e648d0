"""Manual runs through the running daemon's request queue: it holds the credentials."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import test_daemon
from conftest import TOKEN, TOKEN_ENV
from test_daemon import FAST, RunningDaemon

from somed.i18n import Translator
from somed.run_requests import DaemonLock, archive_through_daemon, daemon_running
from storage import run_requests
from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent
EN = Translator("en")
start_daemon = test_daemon.start_daemon  # the fixture: `somed run` with a real notify socket


def clock() -> datetime:
    return datetime.now(UTC)


def cli(setup, *args: str, token: bool) -> subprocess.CompletedProcess[str]:
    env = dict(setup.env)
    if not token:
        env.pop(TOKEN_ENV)  # only the daemon has the credentials, as under systemd
    return subprocess.run(
        [sys.executable, "-m", "somed", "--lang", "en", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def rows(db_path: Path, sql: str) -> list[tuple]:
    db = connect(db_path)
    try:
        return [tuple(r) for r in db.execute(sql).fetchall()]
    finally:
        db.close()


def test_archive_goes_through_the_running_daemon_with_the_same_summary(fb_setup, start_daemon):
    setup = fb_setup(extra=FAST)
    daemon: RunningDaemon = start_daemon(setup)
    daemon.wait_for_runs("test-fb", "ok")
    assert daemon_running(setup.config.storage_dir)

    result = cli(setup, "archive", token=False)  # without the token: the daemon must do it
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test-fb" in result.stdout and EN.n("summary.ok", 1) in result.stdout
    [(state, run_id, requested_by)] = rows(
        setup.config.db_path, "SELECT state, run_id, requested_by FROM run_requests"
    )
    assert state == "done" and requested_by.startswith("cli:")
    [(trigger, pid, status)] = rows(
        setup.config.db_path, f"SELECT trigger, pid, status FROM runs WHERE id = {run_id}"
    )
    assert (trigger, pid, status) == ("manual", daemon.proc.pid, "ok")
    assert daemon.log_lines("run requested by cli:")

    setup.emulator.expire_token(TOKEN)
    failed = cli(setup, "archive", "--account", "test-fb", token=False)
    assert failed.returncode == 1
    assert "token rejected" in failed.stdout
    assert EN.n("summary.failed", 1, failed=1) in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    assert TOKEN not in failed.stdout + failed.stderr
    code, _ = daemon.terminate()
    assert code == 0


def test_a_second_daemon_on_the_same_archive_refuses_to_start(fb_setup, start_daemon):
    setup = fb_setup(extra=FAST)
    start_daemon(setup)
    second = subprocess.run(
        [sys.executable, "-m", "somed", "--config", str(setup.config_path), "run"],
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert second.returncode == 2
    assert "another somed daemon" in second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr


def test_requests_no_daemon_claims_are_cancelled_and_run_by_the_requester(fb_setup):
    setup = fb_setup()
    connect(setup.config.db_path).close()
    lock = DaemonLock(setup.config.storage_dir)  # a daemon that holds its lock but is stuck
    assert lock.acquire()
    try:
        assert daemon_running(setup.config.storage_dir)
        done, leftover = archive_through_daemon(
            setup.config.db_path,
            setup.config.storage_dir,
            ["test-fb"],
            {"test-fb": "facebook"},
            wait=0,
            pickup_seconds=0.5,
        )
    finally:
        lock.release()
    assert done == {} and leftover == ["test-fb"]
    assert rows(setup.config.db_path, "SELECT state FROM run_requests") == [("cancelled",)]
    assert not daemon_running(setup.config.storage_dir)


def test_the_queue_moves_queued_running_done_and_cancels_only_unclaimed(tmp_path):
    db = connect(tmp_path / "somed.db")
    try:
        first, second = run_requests.add_requests(
            db, ["a", "b"], requested_by="cli:x", clock=clock, wait_seconds=5
        )
        assert run_requests.has_queued(db)
        claimed = run_requests.claim_queued(db, clock=clock)
        assert [(r.id, r.account, r.state, r.wait_seconds) for r in claimed] == [
            (first, "a", "running", 5.0),
            (second, "b", "running", 5.0),
        ]
        assert not run_requests.has_queued(db) and run_requests.claim_queued(db, clock=clock) == []
        assert run_requests.cancel_if_queued(db, [first], clock=clock) == []  # already claimed
        run_requests.finish_request(db, first, run_id=None, outcome={"status": "ok"}, clock=clock)
        [third] = run_requests.add_requests(db, ["c"], requested_by="web:anna", clock=clock)
        assert run_requests.cancel_if_queued(db, [third], clock=clock) == [third]
        assert run_requests.close_abandoned(db, clock=clock, message="gone") == 1  # b
        states = {
            r.account: (r.state, r.outcome)
            for r in run_requests.get_requests(db, [first, second, third])
        }
        assert states == {
            "a": ("done", {"status": "ok"}),
            "b": ("done", {"account": "b", "status": "interrupted", "message": "gone"}),
            "c": ("cancelled", None),
        }
    finally:
        db.close()


@pytest.mark.parametrize("held", [False, True])
def test_daemon_running_follows_the_lock(tmp_path, held):
    assert not daemon_running(tmp_path)  # no lock file at all
    lock = DaemonLock(tmp_path)
    assert lock.acquire()
    if not held:
        lock.release()
    try:
        assert daemon_running(tmp_path) is held
    finally:
        lock.release()
