"""Download a run's media files in a child process, so they do not wait for the walk's GIL.

A first archive walks pages in one interpreter, which spends nearly all its time in Python:
normalising, preparing batches, handing them to the writer process. Media downloads in threads
beside it each need that interpreter's lock a few dozen times (every socket and file call gives
it up and takes it back), so during a walk they crawled at a third of their speed and most of
them were left for after it. `MediaProcess` runs them in a fresh interpreter instead, with the
same network rules (the account's `NetPolicy` and scrubber, so its endpoint, host list,
deadline, redirects, caps and type checks hold as they do in the run's own process) and the same
media store; only connectors whose `download()` is a plain GET of the ref's URL through their
session (`Connector.plain_downloads`) are downloaded so.

The parent sends `(seq, ref)` and gets `(seq, outcome)` back: a stored file, a skipped one
(why, and whether a later run may try again) or an error to raise. The plan (with the secrets
the scrubber needs) goes through the pipe, never the command line. When the parent closes the
pipe or dies (even by SIGKILL) the child takes no more work, finishes the downloads under way
and exits; a file it stored that no batch linked is fetched again (and found in place) by the
next run.
"""

from __future__ import annotations

import pickle
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from connectors.base import AuthError, ConnectorError, RateLimited, TransientError
from connectors.download import MediaLimits
from connectors.http import NetPolicy
from connectors.model import MediaRef
from connectors.scrub import Scrubber
from storage.child_process import run_child, start_child
from storage.media import StoredMedia


@dataclass(frozen=True)
class Skipped:
    """A download given up: why (fit to log and store) and whether later runs try again."""

    why: str
    retryable: bool


@dataclass(frozen=True)
class DownloadPlan:
    """What the child downloads with: the run's network rules and scrubber (its secrets as
    they are when the child starts), where to store, the caps, and how many files at once."""

    policy: NetPolicy
    scrubber: Scrubber
    storage_dir: str
    limits: MediaLimits
    workers: int


@dataclass(frozen=True)
class Failure:
    """An error the child met that the parent raises: an `AuthError`, an OS error (disk full)
    or a bug, carried as plain fields (exceptions lose their reason when pickled)."""

    kind: str  # "auth", "os" or "bug"
    message: str
    reason: str | None = None
    params: dict[str, Any] | None = None
    errno: int | None = None
    filename: str | None = None

    def exception(self) -> BaseException:
        """The exception to raise in the parent."""
        if self.kind == "auth":
            return AuthError(self.message, reason=self.reason, params=self.params)
        if self.kind == "os":
            return OSError(self.errno, self.message, self.filename)
        return RuntimeError(self.message)


Outcome = StoredMedia | Skipped


def picklable(policy: NetPolicy) -> bool:
    """True when the policy can travel to another process (a test's own resolver cannot)."""
    try:
        pickle.dumps(policy)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


class MediaProcess:
    """The parent's handle on the child: `submit()` returns a future of the ref's outcome."""

    def __init__(self, plan: DownloadPlan, waits: tuple[float, ...]) -> None:
        """Start the child with `plan`; `waits` are the pauses before each retry of a file."""
        self._process, self._out, self._in = start_child("somed.media_process")
        self._lock = threading.Lock()
        self._futures: dict[int, Future[Outcome]] = {}
        self._seq = 0
        self._ready = threading.Event()
        self._ended = False
        self._out.send_bytes(pickle.dumps((plan, waits)))
        self._reader = threading.Thread(target=self._read, name="somed-media-answers",
                                        daemon=True)  # fmt: skip
        self._reader.start()

    def ready(self) -> bool:
        """True once the child has started and takes downloads (never waits)."""
        return self._ready.is_set() and not self._ended

    def submit(self, ref: MediaRef) -> Future[Outcome]:
        """Send `ref` to the child; the future ends with its outcome (or the child's end)."""
        future: Future[Outcome] = Future()
        with self._lock:
            if self._ended:
                future.set_result(_ended())
                return future
            self._seq += 1
            self._futures[self._seq] = future
            try:
                self._out.send_bytes(pickle.dumps((self._seq, ref)))
            except OSError:
                self._futures.pop(self._seq).set_result(_ended())
        return future

    def close(self) -> None:
        """Take no more work; wait for the child to finish the downloads under way."""
        with self._lock:
            self._out.close()
        try:
            self._process.wait()
        finally:
            self._reader.join(timeout=10)
            self._in.close()
            self._end_all()

    def _read(self) -> None:
        while True:
            try:
                seq, outcome = pickle.loads(self._in.recv_bytes())
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - an answer it cannot read: the child is no use
                sys.stderr.write(f"somed: unreadable answer from the media process: {exc}\n")
                break
            if seq == 0:
                self._ready.set()
                continue
            with self._lock:
                future = self._futures.pop(seq, None)
            if future is None:
                continue
            if isinstance(outcome, Failure):
                future.set_exception(outcome.exception())
            else:
                future.set_result(outcome)
        self._end_all()

    def _end_all(self) -> None:
        with self._lock:
            self._ended = True
            left, self._futures = self._futures, {}
        for future in left.values():
            future.set_result(_ended())


def _ended() -> Skipped:
    return Skipped("the media downloader ended before this file (tried again by the next run)",
                   retryable=True)  # fmt: skip


def fetch_with_retries(
    download: Callable[[MediaRef, Any, MediaLimits], str | None],
    store: Any,
    ref: MediaRef,
    limits: MediaLimits,
    *,
    waits: tuple[float, ...],
    sleep: Callable[[float], None],
) -> Outcome:
    """Download `ref` into the store, retrying passing faults after each of `waits`.

    `AuthError` (and whatever `sleep` raises) is raised; other connector errors are a
    `Skipped` outcome, retryable when the fault may pass."""
    for attempt in range(len(waits) + 1):
        try:
            with store.incoming() as incoming:  # streamed to disk, never held whole
                mime = download(ref, incoming, limits)
                return store.commit(incoming, mime or ref.mime_type)  # type: ignore[no-any-return]
        except AuthError:
            raise
        except (TransientError, RateLimited) as exc:
            if attempt == len(waits):
                return Skipped(f"{exc} (tried again by the next runs)", retryable=True)
            sleep(waits[attempt])
        except ConnectorError as exc:
            return Skipped(str(exc), retryable=False)
    raise AssertionError("unreachable")


# --- the child ------------------------------------------------------------------------------


class _Stopping(Exception):
    """The parent is gone or done: a download waiting to try again gives up."""


def main() -> None:
    """Child process entry (`python -m somed.media_process`): work on stdin, answers on the
    original stdout; anything printed goes to stderr, never into the answers."""
    run_child(_serve)


def _serve(inbox: Connection, conn: Connection) -> None:
    from connectors.download import download
    from connectors.http import SessionFactory, ThreadSessions
    from storage.media import MediaStore

    plan: DownloadPlan
    waits: tuple[float, ...]
    plan, waits = pickle.loads(inbox.recv_bytes())
    sessions = ThreadSessions(SessionFactory(plan.policy, plan.scrubber.secrets))
    store = MediaStore(Path(plan.storage_dir))
    stopping = threading.Event()
    sending = threading.Lock()

    def answer(seq: int, outcome: Any) -> None:
        with sending:
            conn.send_bytes(pickle.dumps((seq, outcome)))

    def plain(ref: MediaRef, sink: Any, limits: MediaLimits) -> str | None:
        return download(sessions, ref.source_url, sink, kind=ref.kind, declared=ref.mime_type,
                        limits=limits)  # fmt: skip

    def pause(seconds: float) -> None:
        if stopping.wait(seconds):
            raise _Stopping()

    def job(seq: int, ref: MediaRef) -> None:
        try:
            outcome: Any = fetch_with_retries(plain, store, ref, plan.limits, waits=waits,
                                              sleep=pause)  # fmt: skip
        except _Stopping:
            outcome = _ended()
        except AuthError as exc:
            outcome = Failure("auth", str(exc), exc.reason, exc.params)
        except OSError as exc:  # disk full and the like: the run ends as it would in-process
            filename = None if exc.filename is None else str(exc.filename)
            outcome = Failure("os", exc.strerror or str(exc), errno=exc.errno, filename=filename)
        except Exception as exc:  # noqa: BLE001 - a bug: carried to the parent, said once here
            traceback.print_exc()
            outcome = Failure("bug", f"media download failed: {type(exc).__name__}: {exc}")
        try:
            answer(seq, outcome)
        except OSError:
            stopping.set()  # the parent is gone

    pool = ThreadPoolExecutor(max_workers=plan.workers, thread_name_prefix="somed-media")
    answer(0, None)  # ready
    try:
        while True:
            try:
                seq, ref = pickle.loads(inbox.recv_bytes())
            except (EOFError, OSError):
                return
            pool.submit(job, seq, ref)
    finally:
        stopping.set()
        pool.shutdown(wait=True, cancel_futures=True)
        sessions.close()


if __name__ == "__main__":  # run as a module: answer with this module's classes, not __main__'s
    from somed import media_process

    media_process.main()
