"""The daemon's side of the request queue: claim `somed archive` / `somed capture` requests, serve
each in its own thread, store its outcome for the requester (`storage/run_requests.py`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from somed.run_requests import REQUEST_LOCK_WAIT_SECONDS, SERVE_POLL_SECONDS, DaemonLock
from somed.runner import RunOutcome, utc_now
from storage import run_requests
from storage.db import connect

log = logging.getLogger("somed.daemon")


class RequestServer:
    """Mixed into the Daemon: the thread that serves queued run and capture requests."""

    config: Any
    runner: Any
    stop: threading.Event
    active: dict[str, threading.Thread]
    _lock: Any

    if TYPE_CHECKING:  # the Daemon's own methods

        def _record(self, key: str, outcome: RunOutcome) -> None: ...
        def _not_started(self, runner: Any, key: str, exc: Exception) -> RunOutcome: ...
        def _notify(self, message: str) -> None: ...
        def status_line(self) -> str:
            """The Daemon's status line."""

        def _capture(self, requests: Any) -> list[dict[str, Any]]: ...

    # --- run requests (`somed archive` while the daemon runs; the web UI's "archive now") ------

    def _serve_requests(self) -> None:
        """Every few seconds, claim queued run requests and run each in its own thread."""
        db = None
        while not self.stop.wait(SERVE_POLL_SECONDS):
            try:
                db = db or connect(self.config.db_path)
                if not run_requests.has_queued(db):
                    continue
                claimed = run_requests.claim_queued(db, clock=utc_now)
            except Exception as exc:  # the archive is busy or broken: say so, try again later
                log.warning("run requests: cannot read the queue: %s", exc,
                            extra={"event": "requests_unreadable"})  # fmt: skip
                if db is not None:
                    db.close()
                    db = None
                continue
            for request in claimed:
                name = f"{request.account} (request {request.id})"
                thread = threading.Thread(
                    target=self._run_request, args=(request, name), name=name, daemon=True
                )
                with self._lock:
                    self.active[name] = thread
                thread.start()
        if db is not None:
            db.close()

    def _run_request(self, request: run_requests.RunRequest, name: str) -> None:
        """Run one requested account now and store its outcome for the requester."""
        runner = self.runner
        key = request.account
        log.info("%s: run requested by %s (request %d)", key, request.requested_by, request.id,
                 extra={"account": key, "event": "run_request", "request": request.id})  # fmt: skip
        try:
            if key not in {a.key for a in runner.config.accounts}:
                message = f"no account {key!r} in the daemon's config {runner.config.path}"
                outcome = RunOutcome(key, "", "failed", message=message)
            elif request.kind == "capture":
                self._finish_request(request, None, self._capture_request(request))
                return
            else:
                try:
                    wait = max(request.wait_seconds, REQUEST_LOCK_WAIT_SECONDS)
                    outcome = runner.run_account(key, trigger="manual", wait=wait)
                except Exception as exc:  # the run could not even start
                    outcome = self._not_started(runner, key, exc)
                self._record(key, outcome)
            self._finish_request(request, outcome.run_id, asdict(outcome))
        except Exception as exc:  # the outcome could not be stored: the requester gives up
            log.error("%s: request %d: cannot store the outcome: %s", key, request.id, exc,
                      extra={"account": key, "event": "request_not_stored"})  # fmt: skip
        finally:
            with self._lock:
                self.active.pop(name, None)
            self._notify(f"STATUS={self.status_line()}")

    def _finish_request(
        self, request: run_requests.RunRequest, run_id: int | None, outcome: dict[str, Any]
    ) -> None:
        """Store a served request's outcome for its requester."""
        db = connect(self.config.db_path)
        try:
            run_requests.finish_request(
                db, request.id, run_id=run_id, outcome=outcome, clock=utc_now
            )
        finally:
            db.close()

    def _capture_request(self, request: run_requests.RunRequest) -> dict[str, Any]:
        """Serve a `somed capture` request: one capture, its outcome as the queue stores it."""
        from somed.capture import CaptureRequest

        asked = CaptureRequest(request.account, url=request.url, trigger="manual",
                               request_id=request.id)  # fmt: skip
        try:
            return self._capture([asked])[0]
        except Exception as exc:  # the capture could not even start (browser, archive)
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            log.error("%s: capture could not start: %s", request.account, message,
                      extra={"account": request.account, "event": "capture_failed"})  # fmt: skip
            return {"account": request.account, "status": "failed", "verdict": "failed",
                    "message": message}  # fmt: skip

    def _open_requests(self) -> bool:
        """Take the daemon lock and close requests a dead daemon left; False if another runs."""
        self.daemon_lock = DaemonLock(self.config.storage_dir)
        try:
            acquired = self.daemon_lock.acquire()
        except OSError as exc:
            log.error(
                "%s: the daemon lock cannot be taken: %s (check [storage] dir and that somed "
                "runs as the service's user)",
                self.daemon_lock.path,
                exc.strerror or exc,
                extra={"event": "lock_failed"},
            )
            return False
        if not acquired:
            log.error(
                "another somed daemon (pid %s) already serves the archive %s; stop it first",
                self.daemon_lock.holder(),
                self.config.storage_dir,
                extra={"event": "already_running"},
            )
            return False
        db = connect(self.config.db_path)
        try:
            run_requests.close_abandoned(db, clock=utc_now, message="the daemon was stopping")
        finally:
            db.close()
        self.request_thread = threading.Thread(
            target=self._serve_requests, name="run-requests", daemon=True
        )
        self.request_thread.start()
        return True
