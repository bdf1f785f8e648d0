"""`somed run`: the duties' tick (polls, checks, captures), run requests, sd_notify, signals."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any

import sdnotify

from somed.capture_report import log_capture, outcome_of
from somed.check import run_checks
from somed.config import Config, ConfigError, load_config
from somed.daemon_requests import RequestServer
from somed.duties import monitors
from somed.duties.base import Dispatcher, Duty
from somed.duties.captures import CaptureDuty
from somed.duties.moderation import ModerationDuty
from somed.duties.notify import NotifyDuty
from somed.duties.polls import PollDuty, TokenCheckDuty
from somed.duties.retention import RetentionDuty
from somed.logs import update_secrets
from somed.metrics import MetricsServer
from somed.runner import Runner, RunOutcome, utc_now
from somed.scheduler import Scheduler
from storage.db import connect
from storage.media import MediaStore
from storage.writer import ArchiveWriter

log = logging.getLogger("somed.daemon")

AUTH_RETRY_SECONDS = 3600  # an account whose token was rejected is tried hourly, not every poll

LOOP_SECONDS = 0.1  # how soon the main loop notices a signal


def account_register_rows(config: Config) -> list[dict[str, object]]:
    """The non-secret facts of each configured account, for the register of accounts."""
    rows: list[dict[str, object]] = []
    for account in config.accounts:
        rows.append(
            {
                "key": account.key,
                "platform": account.platform,
                "platform_id": account.id,
                "url": account.url,
                "owner": account.owner,
                "editor": account.editor,
                "substitute": account.substitute,
                "purpose": account.purpose,
                "audience": account.audience,
                "start_date": account.start_date.isoformat() if account.start_date else None,
                "status": account.status,
                "plan": account.plan.model_dump(exclude_none=True) if account.plan else None,
                "config": account.model_dump(mode="json", exclude={"token_env", "token_file"}),
            }
        )
    return rows


def prepare_archive(config: Config) -> None:
    """Open (and migrate) the archive, record the account register, close stale runs."""
    MediaStore(config.storage_dir).remove_stale_temp()
    db = connect(config.db_path)
    try:
        writer = ArchiveWriter(db, utc_now)
        writer.runlog.sync_accounts(account_register_rows(config))
        writer.runlog.mark_interrupted_runs()
    finally:
        db.close()


class Daemon(RequestServer):
    """Runs the scheduler until SIGTERM; reloads the config on SIGHUP."""

    def __init__(self, config: Config, *, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.env = dict(env if env is not None else os.environ)
        self.stop = threading.Event()
        # set by the signal handlers, which must not take locks (a handler runs in the main
        # thread, possibly inside Event.wait holding that Event's lock): plain flags only
        self._term_signalled = False
        self._hup_signalled = False
        self.reload_error: str | None = None
        self.notifier = sdnotify.SystemdNotifier()
        self.runner = Runner(config, stop=self.stop, moderate=False)
        # the scheduler only ticks; the duties' tasks run in the dispatcher's lanes
        self.scheduler = Scheduler(
            workers=1, misfire_grace_seconds=config.daemon.misfire_grace_seconds
        )
        self.dispatcher = Dispatcher(workers=config.daemon.workers, stop=self.stop)
        self.active: dict[str, threading.Thread] = {}
        self.last: dict[str, RunOutcome] = {}
        self.captures: dict[str, str] = {}  # the verdict of each account's last capture
        self.auth_paused: dict[str, float] = {}
        self._lock = threading.Lock()
        self.metrics: MetricsServer | None = None

    # --- signals -----------------------------------------------------------------------------

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        self._term_signalled = True

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._hup_signalled = True

    # --- jobs --------------------------------------------------------------------------------

    def _poll(self, key: str, trigger: str = "scheduled") -> None:
        if self.stop.is_set():
            return
        runner = self.runner
        if key not in {a.key for a in runner.config.enabled_accounts()}:
            return  # removed or disabled by a reload after this run was queued
        paused_at = self.auth_paused.get(key)
        if (trigger != "reload" and paused_at is not None
                and time.monotonic() - paused_at < AUTH_RETRY_SECONDS):  # fmt: skip
            return  # the token was rejected: retry hourly, or at once after a reload
        with self._lock:
            self.active[key] = threading.current_thread()
        try:
            try:
                outcome = runner.run_account(key, trigger="scheduled", wait=0)
            except Exception as exc:  # the run could not even start (storage, lock file, database)
                outcome = self._not_started(runner, key, exc)
            self._record(key, outcome)
        finally:
            with self._lock:
                self.active.pop(key, None)
            self._notify(f"STATUS={self.status_line()}")

    def _record(self, key: str, outcome: RunOutcome) -> None:
        """Keep a run's outcome for the status line, pace an account whose token failed, and
        have the moderation lane check what the run stored."""
        if outcome.new or outcome.changed:
            self.dispatcher.ask_now(ModerationDuty.name)
        with self._lock:
            self.last[key] = outcome
        if outcome.status == "auth_failed":
            self.auth_paused[key] = time.monotonic()  # the next try is an hour from now
        else:
            self.auth_paused.pop(key, None)

    # --- captures: one batch at a time beside the polls ------------------------------------------

    def _capture(self, requests: Sequence[Any]) -> list[dict[str, Any]]:
        """Capture a batch with one browser; log each verdict and keep it for the status line."""
        from somed.capture import capture_accounts

        name = "capture " + ",".join(r.account for r in requests)
        with self._lock:
            self.active[name] = threading.current_thread()
        self._notify(f"STATUS={self.status_line()}")
        try:
            results = capture_accounts(self.config, requests)
        finally:
            with self._lock:
                self.active.pop(name, None)
        outcomes = [outcome_of(result) for result in results]
        for asked, outcome in zip(requests, outcomes, strict=True):
            log_capture(outcome, asked.trigger)
            with self._lock:
                self.captures[outcome["account"]] = outcome["verdict"]
        self._notify(f"STATUS={self.status_line()}")
        return outcomes

    def _not_started(self, runner: Runner, key: str, exc: Exception) -> RunOutcome:
        """Log, in one line, a run that failed before the run log could record it."""
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        log.error(
            "%s: run could not start: %s",
            key,
            message,
            extra={"account": key, "event": "run_not_started"},
        )
        log.debug("%s: run could not start", key, exc_info=True)
        return RunOutcome(
            key,
            runner.config.account(key).platform,
            "failed",
            message=message,
            reason="run.not_started",
            reason_params={"error": type(exc).__name__},
        )

    def _duties(self, *, reload: bool) -> list[Duty]:
        """The duties of the current config (after a reload, every account is polled at once)."""
        config = self.config
        forced = [a.key for a in config.enabled_accounts()] if reload else []
        duties: list[Duty] = [
            PollDuty(config, self._poll, clock=utc_now, forced=forced),
            TokenCheckDuty(config, self._check_tokens, clock=utc_now),
            CaptureDuty(config, self._capture, clock=utc_now),
            monitors.MonitorDuty(config, clock=utc_now),
            RetentionDuty(config, clock=utc_now),
            ModerationDuty(config, clock=utc_now),
            NotifyDuty(config, clock=utc_now),
        ]
        return duties

    def _schedule(self, *, reload: bool = False) -> None:
        """Tick now and every `[daemon] tick_seconds`, asking the current config's duties."""
        self.scheduler.remove_all()
        self.dispatcher.replace(self._duties(reload=reload))
        if not self.config.enabled_accounts():
            log.warning("no enabled accounts in %s: nothing to archive", self.config.path)
        self.scheduler.every(
            "tick", self._tick, seconds=self.config.daemon.tick_seconds, jitter_seconds=0
        )

    def _tick(self) -> None:
        """One tick: start whatever the duties say is due."""
        if not self.stop.is_set():
            self.dispatcher.tick(utc_now())

    # --- monitoring: the daily token check and the metrics endpoint -------------------------

    def _check_tokens(self, keys: Sequence[str] | None = None) -> None:
        """Check tokens (default: every enabled account's) and store them; failures are logged."""
        config = self.config
        try:
            db = connect(config.db_path)
            try:
                run_checks(config, db, list(keys or [a.key for a in config.enabled_accounts()]))
            finally:
                db.close()
        except Exception as exc:
            log.error(
                "token check could not run: %s: %s",
                type(exc).__name__,
                " ".join(str(exc).split()),
                extra={"event": "token_check_failed"},
            )

    def _start_metrics(self) -> None:
        """Serve the metrics endpoint when `[metrics] listen` is set (a bad address is logged)."""
        listen = self.config.metrics.listen
        if not listen:
            return
        try:
            self.metrics = MetricsServer(listen, lambda: self.config)
        except OSError as exc:
            log.error(
                "metrics endpoint %s cannot listen: %s (check [metrics] listen in %s)",
                listen,
                exc.strerror or exc,
                self.config.path,
                extra={"event": "metrics_failed"},
            )
            return
        log.info(
            "metrics at http://%s/metrics",
            self.metrics.address,
            extra={"event": "metrics_started"},
        )

    def status_line(self) -> str:
        """One plain ASCII line for systemd's STATUS: accounts and how their last runs went."""
        with self._lock:
            outcomes = list(self.last.values())
            busy = sorted(k for k in self.active if not k.startswith("capture "))
            capturing = sorted(
                k[len("capture ") :] for k in self.active if k.startswith("capture ")
            )
            verdicts = list(self.captures.values())
        total = len(self.config.enabled_accounts())
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        parts = [f"{total} account{'' if total == 1 else 's'}"]
        parts += [f"{n} {status}" for status, n in sorted(counts.items())]
        if busy:
            parts.append("archiving " + ",".join(busy))
        if verdicts:
            shown = {v: verdicts.count(v) for v in sorted(set(verdicts))}
            parts.append("snapshots " + ", ".join(f"{n} {v}" for v, n in shown.items()))
        if capturing:
            parts.append("capturing " + ",".join(capturing))
        if self.reload_error:
            parts.append("config reload failed, running the previous config")
        return "; ".join(parts)

    # --- lifecycle ---------------------------------------------------------------------------

    def _notify(self, message: str) -> None:
        self.notifier.notify(message)

    def _reload(self) -> None:
        """Re-read the config; on any failure keep the running config and say so in one line."""
        try:
            fresh = load_config(self.config.path, self.env_for_reload())
            prepare_archive(fresh)  # before switching: a storage that cannot open fails here
        except Exception as exc:
            detail = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            self.reload_error = " ".join(detail.split())
            log.error(
                "config reload failed, keeping the running config: %s",
                self.reload_error,
                extra={"event": "reload_failed"},
            )
            return
        self.reload_error = None
        self.config = fresh
        self.runner = Runner(fresh, stop=self.stop, moderate=False)
        self.auth_paused.clear()  # a reload may bring a fixed config: try every account now
        update_secrets(fresh.secret_values())
        self._schedule(reload=True)
        log.info(
            "config reloaded from %s: %d accounts",
            fresh.path,
            len(fresh.enabled_accounts()),
            extra={"event": "reloaded"},
        )

    def env_for_reload(self) -> dict[str, str]:
        """The environment a reload reads tokens from (the process's current one)."""
        return dict(os.environ)

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; return the process exit code."""
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, self._on_hup)
        if not self._open_requests():
            return 2  # like a bad config: restarting cannot help while the other one runs
        self._schedule()  # the caller has prepared the archive (cli `run`, `demo`)
        self.scheduler.start()
        self._start_metrics()
        log.info(
            "somed daemon started: %d accounts, archive %s",
            len(self.config.enabled_accounts()),
            self.config.db_path,
            extra={"event": "started"},
        )
        self._notify("READY=1")
        self._notify(f"STATUS={self.status_line()}")
        watchdog_usec = self._watchdog_usec()
        ping_every = min(5.0, watchdog_usec / 2_000_000)
        next_ping = 0.0
        while not self.stop.is_set():
            if self._term_signalled:
                self.stop.set()  # wakes the runs' waits; set here, never in the handler
                break
            if watchdog_usec and time.monotonic() >= next_ping:
                self._notify("WATCHDOG=1")
                next_ping = time.monotonic() + ping_every
            if self._hup_signalled:
                self._hup_signalled = False
                self._notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")
                self._reload()
                self._notify("READY=1")
                self._notify(f"STATUS={self.status_line()}")
            time.sleep(LOOP_SECONDS)
        return self._shutdown()

    def _watchdog_usec(self) -> int:
        """The watchdog interval systemd asked for (0: none), as sd_watchdog_enabled(3) reads it."""
        try:
            usec = int(self.env.get("WATCHDOG_USEC", "0") or 0)
            pid = int(self.env.get("WATCHDOG_PID", "0") or 0)
        except ValueError:
            return 0
        if pid and pid != os.getpid():
            return 0  # meant for another process
        return max(0, usec)

    def _shutdown(self) -> int:
        self._notify("STOPPING=1")
        log.info("stopping: finishing the current batches", extra={"event": "stopping"})
        self.scheduler.shutdown()
        self.dispatcher.shutdown()
        if self.metrics is not None:
            self.metrics.stop()
        deadline = time.monotonic() + self.config.daemon.stop_timeout_seconds
        while time.monotonic() < deadline:
            with self._lock:
                running = [t for t in self.active.values() if t.is_alive()]
            if not running:
                break
            time.sleep(0.05)
        with self._lock:
            still = sorted(self.active)
        if still:
            log.warning(
                "stopped while %s still waited on the network; the run is marked "
                "interrupted and resumes next start",
                ", ".join(still),
                extra={"event": "stopped"},
            )
            logging.shutdown()
            os._exit(0)  # worker threads are blocked in I/O; SQLite keeps the archive consistent
        log.info("stopped", extra={"event": "stopped"})
        return 0
