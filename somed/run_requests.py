"""Manual runs through the running daemon: the daemon lock, and following a queued request.

How a command knows a daemon serves the archive: the daemon holds an exclusive `flock` on
`<storage dir>/daemon.lock` for as long as it lives (the kernel drops it when the process
ends, however it ends, so there is no stale state to clean up). `daemon_running` asks for a
shared lock on it without waiting: refused means a daemon holds it. Any user who may read the
file can ask, so `status` could show it too.

`somed archive` with a daemon running queues one request per account (`storage/run_requests.py`)
and follows them until the daemon has stored their outcomes, then prints the same summary as a
direct run; `somed capture` queues a request of kind `capture` and follows it the same way. A
request the daemon has not claimed within `PICKUP_SECONDS` (a daemon stuck, or one that stopped
meanwhile) is cancelled and run by the command itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import logging
import os
import pwd
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from somed.runner import RunOutcome, utc_now
from storage import run_requests
from storage.db import connect

log = logging.getLogger("somed.requests")

LOCK_NAME = "daemon.lock"
PICKUP_SECONDS = 30.0  # a request not claimed by then is run by the requester itself
FOLLOW_POLL_SECONDS = 0.5
SERVE_POLL_SECONDS = 2.0  # how often the daemon looks for queued requests
# A request waits this long (or its --wait, if longer) for a run of its account already under way
# (a scheduled poll), then runs: "archive now" means a run that starts after the request.
REQUEST_LOCK_WAIT_SECONDS = 600.0


def lock_path(storage_dir: Path) -> Path:
    """The daemon lock file of an archive."""
    return Path(storage_dir) / LOCK_NAME


class DaemonLock:
    """The exclusive lock a daemon holds on its archive while it runs."""

    def __init__(self, storage_dir: Path) -> None:
        self.path = lock_path(storage_dir)
        self._fd: int | None = None

    def acquire(self, timeout: float = 2.0) -> bool:
        """Take the lock, waiting up to `timeout` seconds; False when another daemon holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:  # a probe holds it only for an instant
                    os.close(fd)
                    return False
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The pid written by the daemon holding the lock ("?" when unknown)."""
        with contextlib.suppress(OSError):
            return self.path.read_text(encoding="ascii").strip() or "?"
        return "?"

    def release(self) -> None:
        """Let go of the lock (the kernel does it anyway when the process ends)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def daemon_running(storage_dir: Path) -> bool:
    """True when a daemon holds the archive's daemon lock right now."""
    try:
        fd = os.open(lock_path(storage_dir), os.O_RDONLY)
    except OSError:
        return False  # no lock file: no daemon ever ran here (or we may not see it)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def requester() -> str:
    """Who asks, for the request's `requested_by`: `cli:<user>` (and who used sudo)."""
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        user = str(os.geteuid())
    via = os.environ.get("SUDO_USER")
    return f"cli:{user}" + (f" (sudo by {via})" if via and via != user else "")


def outcome_from(data: dict[str, Any], account: str, platform: str) -> RunOutcome:
    """A RunOutcome from its stored JSON (fields a newer somed added are ignored)."""
    known = {f.name for f in dataclasses.fields(RunOutcome)}
    values = {k: v for k, v in data.items() if k in known}
    values.setdefault("account", account)
    values.setdefault("platform", platform)
    values.setdefault("status", "failed")
    return RunOutcome(**values)


def archive_through_daemon(
    db_path: Path,
    storage_dir: Path,
    keys: Sequence[str],
    platforms: dict[str, str],
    *,
    wait: float,
    pickup_seconds: float = PICKUP_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    notify: Callable[[str, str], None] | None = None,
) -> tuple[dict[str, RunOutcome], list[str]]:
    """Queue `keys` for the running daemon and follow them to their outcomes.

    Returns the outcomes the daemon produced, by account, and the accounts it never claimed
    (their requests were cancelled: the caller runs them itself). Ctrl-C cancels what is still
    queued; runs the daemon has started go on there. `notify(account, "queued" | "started")`
    is called as each request moves, for progress on a terminal.
    """
    requests = through_daemon(
        db_path, storage_dir, keys, wait=wait, pickup_seconds=pickup_seconds, sleep=sleep,
        notify=notify,
    )  # fmt: skip
    done: dict[str, RunOutcome] = {}
    leftover: list[str] = []
    for request in requests:
        if request.state == "cancelled":
            leftover.append(request.account)
        else:
            done[request.account] = outcome_from(
                request.outcome or {}, request.account, platforms.get(request.account, "")
            )
    return done, leftover


def through_daemon(
    db_path: Path,
    storage_dir: Path,
    keys: Sequence[str],
    *,
    wait: float = 0.0,
    kind: str = "archive",
    url: str | None = None,
    pickup_seconds: float = PICKUP_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    notify: Callable[[str, str], None] | None = None,
) -> list[run_requests.RunRequest]:
    """Queue one request of `kind` per key for the running daemon; follow them until finished.

    Returns the finished requests (done, with the daemon's outcome, or cancelled: never
    claimed, so the caller does the work itself), in the order of `keys`.
    """
    db = connect(db_path)
    try:
        ids = run_requests.add_requests(
            db, keys, requested_by=requester(), clock=utc_now, wait_seconds=wait, kind=kind,
            url=url,
        )  # fmt: skip
        for key, request_id in zip(keys, ids, strict=True):
            log.info(
                "%s: queued for the running daemon (request %d, %s)",
                key,
                request_id,
                kind,
                extra={"account": key, "event": "run_requested", "request": request_id},
            )
            if notify:
                notify(key, "queued")
        return _follow(db, ids, storage_dir, pickup_seconds, sleep, notify)
    finally:
        db.close()


def _follow(
    db: Any,
    ids: Sequence[int],
    storage_dir: Path,
    pickup_seconds: float,
    sleep: Callable[[float], None],
    notify: Callable[[str, str], None] | None,
) -> list[run_requests.RunRequest]:
    """Wait until every request is finished; cancel those no daemon claims in time."""
    queued_at = time.monotonic()
    announced: set[int] = set()
    try:
        while True:
            requests = run_requests.get_requests(db, ids)
            for request in requests:
                if request.state == "running" and request.id not in announced:
                    announced.add(request.id)
                    log.info(
                        "%s: the daemon started the run",
                        request.account,
                        extra={"account": request.account, "event": "run_claimed"},
                    )
                    if notify:
                        notify(request.account, "started")
            pending = [r for r in requests if not r.finished]
            if not pending:
                return requests
            unclaimed = [r.id for r in pending if r.state == "queued"]
            stuck = time.monotonic() - queued_at > pickup_seconds
            if unclaimed and (stuck or not daemon_running(storage_dir)):
                run_requests.cancel_if_queued(db, unclaimed, clock=utc_now)
                continue  # re-read: some may have been claimed in between
            if len(pending) > len(unclaimed) and not daemon_running(storage_dir):
                _give_up_running(db, [r for r in pending if r.state == "running"])
                continue
            sleep(FOLLOW_POLL_SECONDS)
    except KeyboardInterrupt:
        run_requests.cancel_if_queued(db, ids, clock=utc_now)
        raise


def _give_up_running(db: Any, requests: Sequence[run_requests.RunRequest]) -> None:
    """The daemon ended while running these: record them as interrupted, as its restart would."""
    for request in requests:
        outcome = {
            "account": request.account,
            "status": "interrupted",
            "message": "the daemon was stopping",
        }
        run_requests.finish_request(db, request.id, run_id=None, outcome=outcome, clock=utc_now)
