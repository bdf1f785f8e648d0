"""`somed run` as systemd runs it: a real notify socket, signals, reloads, logs and health."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, PAGE_ID, TOKEN, TOKEN_ENV, small_page, write_config

from connectors.facebook.emulator import TokenInfo, generate_page
from storage.db import connect, integrity_ok

ROOT = Path(__file__).resolve().parent.parent
SECOND_PAGE = "222000222"
SECOND_TOKEN = "EMU-tok-2b7e151628aed2a6"
SECOND_ENV = "SOMED_TEST_FB_TOKEN_2"
# no start-up captures here (a browser per daemon): test_capture_cli.py covers them
FAST = "[daemon]\njitter_seconds = 0\n[capture]\nenabled = false"
PLAIN_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: \S.*$"
)


def second_page(posts: int = 20) -> Any:
    """Another municipality's page, served by the same emulator under its own token."""
    return generate_page(
        SECOND_PAGE,
        "Grannkommun",
        "grannkommun",
        posts=posts,
        comments_per_post=2,
        replies_per_comment=1,
        newest=NOW - timedelta(hours=2),
        spacing=timedelta(hours=12),
        conversations=1,
        messages_per_conversation=2,
    )


def account(key: str, page_id: str, token_env: str) -> dict[str, object]:
    return {"key": key, "id": page_id, "token_env": token_env}


FIRST = account("test-fb", PAGE_ID, TOKEN_ENV)
SECOND = account("second-fb", SECOND_PAGE, SECOND_ENV)


def two_page_setup(fb_setup, *, accounts: list[dict[str, object]], extra: str = FAST):
    """The emulator with both pages, each page's own token, and a config with `accounts`."""
    return fb_setup(
        [small_page(), second_page()],
        tokens={
            TOKEN: TokenInfo(page_ids=(PAGE_ID,)),
            SECOND_TOKEN: TokenInfo(page_ids=(SECOND_PAGE,)),
        },
        accounts=accounts,
        extra=extra,
    )


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def runs(db_path: Path, key: str) -> list[str]:
    """The statuses of an account's runs, oldest first."""
    if not db_path.exists():
        return []
    db = connect(db_path)
    try:
        rows = db.execute("SELECT status FROM runs WHERE account = ? ORDER BY id", [key])
        return [row[0] for row in rows]
    finally:
        db.close()


def item_count(db_path: Path, key: str) -> int:
    db = connect(db_path)
    try:
        return int(db.execute("SELECT count(*) FROM items WHERE account = ?", [key]).fetchone()[0])
    finally:
        db.close()


class RunningDaemon:
    """`somed run` in a subprocess with a real NOTIFY_SOCKET; its log lines and notifications."""

    def __init__(self, setup, tmp_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.db_path = setup.config.db_path
        self.notify_path = tmp_path / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.notify_path))
        self.sock.settimeout(0.1)
        self.notifications: list[str] = []
        self.lines: list[str] = []
        self.errors: list[str] = []
        env = {
            **setup.env,
            **(extra_env or {}),
            "NOTIFY_SOCKET": str(self.notify_path),
            "WATCHDOG_USEC": "1000000",
        }
        env.pop("WATCHDOG_PID", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "somed", "--config", str(setup.config_path), "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self._closed = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.errors), daemon=True),
            threading.Thread(target=self._receive, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                self.notifications.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    # --- what it said ------------------------------------------------------------------------

    def assignments(self) -> list[str]:
        """Every `NAME=value` line received so far, in order (a datagram may hold several)."""
        return [line for datagram in list(self.notifications) for line in datagram.split("\n")]

    def count(self, message: str) -> int:
        """How many notification lines were exactly `message`."""
        return self.assignments().count(message)

    def statuses(self) -> list[str]:
        """The STATUS= texts received so far."""
        return [n[len("STATUS=") :] for n in self.assignments() if n.startswith("STATUS=")]

    def log_lines(self, *needles: str) -> list[str]:
        """The log lines containing every one of `needles`."""
        return [line for line in list(self.lines) if all(n in line for n in needles)]

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 10.0) -> Any:
        """Like `wait_for`, but fail at once (with the log) when the daemon has exited."""

        def check() -> object:
            if not self.alive():
                time.sleep(0.2)  # let the readers drain the pipes
                pytest.fail(
                    f"somed run exited with {self.proc.returncode} while waiting for {what}:\n"
                    + "\n".join(self.lines + self.errors)
                )
            return condition()

        return wait_for(check, what, timeout)

    def wait_for_runs(self, key: str, status: str, n: int = 1, timeout: float = 30.0) -> None:
        """Wait until `key` has `n` finished runs with `status`."""
        self.wait_for(
            lambda: runs(self.db_path, key).count(status) >= n,
            f"{n} run(s) of {key} with status {status}",
            timeout,
        )

    # --- signals -----------------------------------------------------------------------------

    def signal(self, signum: int) -> None:
        """Send a signal to the daemon."""
        assert self.alive()
        self.proc.send_signal(signum)

    def reload(self) -> None:
        """SIGHUP, then wait until the daemon has taken it (READY=1 after RELOADING=1)."""
        reloading, ready = self.count("RELOADING=1"), self.count("READY=1")
        self.signal(signal.SIGHUP)
        self.wait_for(
            lambda: self.count("RELOADING=1") > reloading and self.count("READY=1") > ready,
            "RELOADING=1 and READY=1 after SIGHUP",
            timeout=15,
        )
        datagram = next(d for d in reversed(self.notifications) if "RELOADING=1" in d)
        assert re.search(r"^MONOTONIC_USEC=\d+$", datagram, re.M), datagram  # notify-reload

    def terminate(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; return the exit code and how long the exit took."""
        started = time.monotonic()
        self.signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"somed run did not exit within {timeout:.0f} s of SIGTERM")
        elapsed = time.monotonic() - started
        for thread in self._threads[:2]:
            thread.join(timeout=5)
        return code, elapsed

    def close(self) -> None:
        """Kill the process if a failed test left it running; close the socket."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._closed.set()
        self._threads[2].join(timeout=2)
        self.sock.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., RunningDaemon]]:
    """Start `somed run` subprocesses; each is stopped (killed if need be) after the test."""
    started: list[RunningDaemon] = []

    def start(setup, extra_env: dict[str, str] | None = None) -> RunningDaemon:
        daemon = RunningDaemon(setup, tmp_path, extra_env)
        started.append(daemon)
        daemon.wait_for(lambda: daemon.count("READY=1"), "READY=1")
        return daemon

    yield start
    for daemon in started:
        daemon.close()


def assert_plain_log(daemon: RunningDaemon) -> None:
    """Every stdout line is one whole log event; nothing on stderr; no secret anywhere."""
    assert daemon.lines
    for line in daemon.lines:
        assert PLAIN_LINE.match(line), f"not a one-line log event: {line!r}"
    assert daemon.errors == []
    assert not [line for line in daemon.lines if TOKEN in line or SECOND_TOKEN in line]


def somed_status(setup, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "somed", "--lang", "en", "--config", str(setup.config_path),
         "status", *args],
        env=setup.env, capture_output=True, text=True, timeout=30, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr  # 1: an account has a problem
    return result.stdout


def test_notify_ready_watchdog_status_archive_and_clean_stop(fb_setup, start_daemon):
    setup = fb_setup(extra=FAST)
    daemon = start_daemon(setup)

    daemon.wait_for_runs("test-fb", "ok")  # the first poll is immediate
    daemon.wait_for(lambda: daemon.count("WATCHDOG=1") >= 2, "two WATCHDOG=1", timeout=5)
    daemon.wait_for(
        lambda: any("1 ok" in s for s in daemon.statuses()), "STATUS= after the first poll"
    )
    notes = daemon.assignments()
    assert notes.index("READY=1") < notes.index("WATCHDOG=1")
    assert all(s.isascii() and "\n" not in s for s in daemon.statuses())
    rows = json.loads(somed_status(setup, "--json"))
    assert rows[0]["key"] == "test-fb" and rows[0]["health"]["status"] == "ok"
    assert rows[0]["item_total"] == item_count(setup.config.db_path, "test-fb") > 30

    code, elapsed = daemon.terminate()
    assert code == 0 and elapsed < 10
    assert daemon.count("STOPPING=1") == 1
    assert daemon.assignments().index("STOPPING=1") > daemon.assignments().index("READY=1")
    assert daemon.log_lines("somed daemon started") and daemon.log_lines("stopped")
    assert_plain_log(daemon)


def test_sighup_reloads_the_config_and_survives_a_broken_one(fb_setup, start_daemon, tmp_path):
    setup = two_page_setup(fb_setup, accounts=[FIRST])
    daemon = start_daemon(setup, {SECOND_ENV: SECOND_TOKEN})
    daemon.wait_for_runs("test-fb", "ok")
    assert runs(setup.config.db_path, "second-fb") == []

    write_config(tmp_path, setup.emulator.base_url, accounts=[FIRST, SECOND], extra=FAST)
    daemon.reload()
    daemon.wait_for_runs("second-fb", "ok", timeout=12)  # staggered a few seconds behind
    assert len(daemon.log_lines("config reloaded", "2 accounts")) == 1
    assert item_count(setup.config.db_path, "second-fb") > 20

    good = setup.config_path.read_text(encoding="utf-8")
    setup.config_path.write_text(good + "[[accounts]\nkey = \n", encoding="utf-8")
    daemon.reload()
    failed = daemon.wait_for(lambda: daemon.log_lines("reload failed"), "the reload-failed line")
    watchdogs = daemon.count("WATCHDOG=1")
    daemon.wait_for(lambda: daemon.count("WATCHDOG=1") >= watchdogs + 2, "WATCHDOG=1 after it")
    assert daemon.alive()
    assert len(failed) == 1 and "ERROR" in failed[0] and str(setup.config_path) in failed[0]
    assert len(daemon.log_lines("reload failed")) == 1
    assert any("reload failed" in s for s in daemon.statuses())

    (tmp_path / "not-a-dir").write_text("", encoding="utf-8")  # valid TOML, unusable storage
    setup.config_path.write_text(
        good.replace(str(tmp_path / "archive"), str(tmp_path / "not-a-dir" / "archive")),
        encoding="utf-8",
    )
    daemon.reload()
    daemon.wait_for(lambda: len(daemon.log_lines("reload failed")) == 2, "a second failure")
    assert "not-a-dir" in daemon.log_lines("reload failed")[1]
    watchdogs = daemon.count("WATCHDOG=1")
    daemon.wait_for(lambda: daemon.count("WATCHDOG=1") >= watchdogs + 2, "WATCHDOG=1 after it")

    setup.config_path.write_text(good, encoding="utf-8")  # the kept config still works
    daemon.reload()
    daemon.wait_for(lambda: len(daemon.log_lines("config reloaded")) == 2, "a good reload")
    code, _ = daemon.terminate()
    assert code == 0
    assert_plain_log(daemon)


def test_sigterm_during_a_run_stops_quickly_and_the_archive_stays_intact(fb_setup, start_daemon):
    page = generate_page(
        PAGE_ID,
        "Storkommun",
        "storkommun",
        posts=800,
        comments_per_post=5,
        replies_per_comment=1,
        newest=NOW - timedelta(hours=1),
        spacing=timedelta(hours=2),
        conversations=3,
        messages_per_conversation=4,
    )
    setup = fb_setup([page], extra=FAST)
    setup.emulator.usage_budget = 10**9
    daemon = start_daemon(setup)
    db_path = setup.config.db_path
    daemon.wait_for(
        lambda: runs(db_path, "test-fb") == ["running"] and item_count(db_path, "test-fb") > 200,
        "a run in progress",
    )

    code, elapsed = daemon.terminate()
    assert code == 0 and elapsed < 10
    assert daemon.count("STOPPING=1") == 1
    assert runs(db_path, "test-fb") == ["interrupted"]
    assert daemon.log_lines("run finished status=interrupted")
    assert_plain_log(daemon)
    db = connect(db_path)
    try:
        assert integrity_ok(db)
    finally:
        db.close()

    rerun = subprocess.run(
        [sys.executable, "-m", "somed", "archive"],
        env=setup.env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert runs(db_path, "test-fb") == ["interrupted", "ok"]
    assert item_count(db_path, "test-fb") > 800 * 11


def test_json_log_lines_each_parse_with_level_and_message(fb_setup, start_daemon):
    setup = fb_setup(extra=FAST + '\n[logging]\nformat = "json"')
    daemon = start_daemon(setup)
    daemon.wait_for_runs("test-fb", "ok")
    code, _ = daemon.terminate()
    assert code == 0

    events = [json.loads(line) for line in daemon.lines]
    assert events and all(isinstance(e, dict) for e in events)
    assert all(e["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") for e in events)
    assert all(isinstance(e["message"], str) and e["message"] for e in events)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]) for e in events)
    by_event = {e.get("event"): e for e in events}
    assert {"started", "run_started", "run_finished", "stopping", "stopped"} <= set(by_event)
    finished = by_event["run_finished"]
    assert finished["account"] == "test-fb" and finished["status"] == "ok"
    assert finished["new"] > 30
    assert daemon.errors == []
    assert not any(TOKEN in line for line in daemon.lines)


def test_an_expired_token_pauses_one_account_and_is_reported_once(
    fb_setup, start_daemon, monkeypatch
):
    monkeypatch.setenv(SECOND_ENV, SECOND_TOKEN)
    # the account whose token expires comes first, so each reload polls it at once
    setup = two_page_setup(fb_setup, accounts=[SECOND, FIRST])
    daemon = start_daemon(setup)
    db_path = setup.config.db_path
    daemon.wait_for_runs("second-fb", "ok")

    setup.emulator.expire_token(SECOND_TOKEN)
    for polls in (1, 2, 3):  # a reload re-polls at once (after a poll still running, if any)
        daemon.reload()
        daemon.wait_for_runs("second-fb", "auth_failed", n=polls)
    daemon.wait_for_runs("test-fb", "ok", timeout=12)  # the other account is archived
    assert daemon.alive()
    assert item_count(db_path, "test-fb") > 30
    watchdogs = daemon.count("WATCHDOG=1")
    daemon.wait_for(lambda: daemon.count("WATCHDOG=1") > watchdogs, "WATCHDOG=1")
    assert any("auth_failed" in s for s in daemon.statuses())

    changes = daemon.log_lines("second-fb", ": health ")  # not the monitors' "flag unhealthy"
    assert len(changes) == 1, changes  # logged when it changed, not on every poll
    assert "auth_failed" in changes[0] and "WARNING" in changes[0]
    assert not daemon.log_lines("test-fb", "health")

    status = somed_status(setup)
    note = next(line for line in status.splitlines() if line.startswith("second-fb:"))
    assert "token" in note.lower() and "renew" in note.lower()
    assert f"${SECOND_ENV}" in note
    assert "token must be renewed" in status
    assert SECOND_TOKEN not in status and TOKEN not in status
    rows = {r["key"]: r for r in json.loads(somed_status(setup, "--json"))}
    assert rows["second-fb"]["health"]["status"] == "auth_failed"
    assert rows["test-fb"]["health"]["status"] == "ok"

    code, _ = daemon.terminate()
    assert code == 0
    assert_plain_log(daemon)


def test_a_poll_that_cannot_start_is_one_log_line_and_the_daemon_lives_on(fb_setup, start_daemon):
    setup = fb_setup(extra=FAST)
    locks = setup.config.storage_dir / "locks"
    locks.parent.mkdir(parents=True)
    locks.write_text("", encoding="utf-8")  # the per-account lock cannot be created
    daemon = start_daemon(setup)
    daemon.wait_for(lambda: daemon.log_lines("ERROR", "test-fb"), "the failed poll logged")
    daemon.wait_for(lambda: any("1 failed" in s for s in daemon.statuses()), "STATUS= failed")
    watchdogs = daemon.count("WATCHDOG=1")
    daemon.wait_for(lambda: daemon.count("WATCHDOG=1") >= watchdogs + 2, "WATCHDOG=1 after it")
    assert len(daemon.log_lines("ERROR", "test-fb")) == 1

    locks.unlink()
    daemon.reload()  # polls again at once
    daemon.wait_for_runs("test-fb", "ok")
    code, _ = daemon.terminate()
    assert code == 0
    assert_plain_log(daemon)


def test_an_account_whose_token_was_rejected_is_retried_hourly_not_every_poll(fb_setup):
    from conftest import TOKEN

    from somed.daemon import Daemon, prepare_archive

    setup = fb_setup()
    setup.emulator.expire_token(TOKEN)
    prepare_archive(setup.config)
    daemon = Daemon(setup.config)
    daemon._poll("test-fb")
    assert daemon.last["test-fb"].status == "auth_failed"
    setup.emulator.reset_log()
    daemon._poll("test-fb")  # the next scheduled poll: skipped, no request sent
    assert setup.emulator.http_requests() == []
    daemon._poll("test-fb", "reload")  # a reload's poll tries at once, even one that came
    assert setup.emulator.http_requests() != []  # before the failed poll was recorded
    setup.emulator.reset_log()
    daemon._reload()  # a reload (say, after the token file was renewed) tries it at once
    daemon.scheduler.shutdown()
    daemon._poll("test-fb")
    assert setup.emulator.http_requests() != []


def test_the_moderation_lane_checks_what_a_poll_stored_right_after_it(fb_setup, start_daemon):
    from storage import moderated

    setup = fb_setup(extra=FAST)
    daemon = start_daemon(setup)
    daemon.wait_for_runs("test-fb", "ok")

    def checked() -> bool:
        db = connect(setup.config.db_path)
        try:
            return moderated.pending_count(db) == 0 and bool(
                db.execute("SELECT count(*) FROM moderated").fetchone()[0])
        finally:
            db.close()

    # within seconds of the poll, not at the duty's next turn (every 10 minutes) or tick
    daemon.wait_for(checked, "the poll's incoming items checked by the moderation lane")
    daemon.wait_for(lambda: daemon.log_lines("moderation:", "items checked"), "its log line")
    assert daemon.terminate()[0] == 0
