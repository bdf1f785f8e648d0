"""Store a walk's batches in a child process, so SQLite works on the second core.

A first archive spends about as long in SQLite and the writer's bookkeeping as in fetching and
normalising, and one interpreter runs only one of them at a time. `WriterProcess` sends each
prepared batch, as plain tuples (`LeanBatch`), to a child process that owns its own connection
and stores the batch exactly as `ArchiveWriter.write_batch` does, in one transaction with its
cursor. Up to `depth` batches are in flight; each is acknowledged in order, and the caller's
`on_stored` runs only once its batch is committed, so whatever follows a batch (the resume
position of a walk, the run's counts) moves only with what is stored.

A failed batch stops the child from storing anything after it: later batches in flight are
answered "skipped", the failure is raised to the caller, and the walk resumes after the last
stored batch. When the parent dies (even by SIGKILL) the child reads the end of its pipe and
exits; a batch it had received but not committed is rolled back by SQLite.
"""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from storage.child_process import run_child, start_child
from storage.errors import StorageError, storage_error
from storage.media import StoredMedia
from storage.writer import ArchiveWriter, PreparedBatch, WriteStats

OnStored = Callable[[WriteStats], None]

# A walk allocates millions of small containers (a page of records at a time) that die young
# and hardly ever form cycles. With Python's default first-generation threshold (700) the
# cyclic collector ran some 650 times in a first archive of 110,000 items and took about a
# tenth of the fetching process's CPU; at this one it does not run during such a walk.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Let the cyclic garbage collector run seldom (process-wide): bulk work makes few cycles."""
    if gc.get_threshold()[0] < GC_THRESHOLDS[0]:
        gc.set_threshold(*GC_THRESHOLDS)


class WriterProcessFailed(StorageError):
    """The writer process ended or answered something unexpected; nothing after the last
    acknowledged batch is counted as stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="storage.io", params={"error": message})


@dataclass
class _InFlight:
    seq: int
    on_stored: OnStored


def main(argv: list[str]) -> None:
    """Child process entry (`python -m storage.writer_process DB`): batches on stdin, answers
    on the original stdout; anything printed goes to stderr, never into the answers."""
    tune_gc()
    # every batch is committed and answered and the database closed before it exits
    run_child(lambda inbox, conn: _serve(inbox, conn, argv[0]))


def _serve(inbox: Connection, conn: Connection, db_path: str) -> None:
    """Store each batch received until the pipe closes."""
    from storage.db import connect

    db = connect(Path(db_path))
    writer = ArchiveWriter(db, clock=_no_clock)
    failed = False
    try:
        try:
            conn.send_bytes(pickle.dumps((0, "ready", None)))  # until then the parent stores
        except OSError:
            return  # the parent stored everything itself and is done (or gone)
        while True:
            try:
                message = inbox.recv_bytes()
            except (EOFError, OSError):
                return  # the parent is gone or done
            seq, account, lean, media, cursor, now, resume = pickle.loads(message)
            if failed:
                conn.send_bytes(pickle.dumps((seq, "skipped", None)))
                continue
            try:
                stats = writer.write_batch(
                    account, lean.prepared(), media=media, cursor=cursor, stream=lean.stream,
                    now=now, resume=resume,
                )  # fmt: skip
            except BaseException as exc:  # noqa: BLE001 - carried to the parent
                failed = True
                trouble = storage_error(exc, Path(db_path).parent)  # before its codes are lost
                conn.send_bytes(pickle.dumps((seq, "failed", _portable(trouble or exc))))
                continue
            conn.send_bytes(pickle.dumps((seq, "ok", stats)))
    finally:
        db.close()


def _no_clock() -> Any:
    raise AssertionError("the writer process is given the time with every batch")


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a WriterProcessFailed naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception type may be unpicklable
        return WriterProcessFailed(f"{type(exc).__name__}: {exc}")
    return exc


class WriterProcess:
    """A child process that stores prepared batches in order, `depth` of them in flight."""

    def __init__(self, db_path: Path, *, depth: int = 2) -> None:
        self._process, self._out, self._in = start_child("storage.writer_process", str(db_path))
        self._depth = max(1, depth)
        self._inflight: deque[_InFlight] = deque()
        self._seq = 0
        self._failure: BaseException | None = None
        self._ready = False  # the child has opened the database and said so

    def ready(self) -> bool:
        """True once the child has opened the database and takes batches (never waits).

        Starting an interpreter and opening the archive takes a few hundred milliseconds; a
        caller that stores its first batches itself until then does not wait for it (a small
        account's whole first archive may be stored by then).
        """
        if not self._ready and self._in.poll(0):
            self._await_ready()
        return self._ready

    def _await_ready(self) -> None:
        try:
            seq, status, _ = pickle.loads(self._in.recv_bytes())
        except (OSError, EOFError) as exc:
            raise WriterProcessFailed(
                f"the writer process ended before it was ready ({exc or 'pipe closed'}; "
                f"exit code {self._process.poll()})"
            ) from None
        if (seq, status) != (0, "ready"):
            raise WriterProcessFailed(f"the writer process began with {status!r}, not 'ready'")
        self._ready = True

    def submit(
        self,
        account: str,
        batch: PreparedBatch,
        *,
        media: Mapping[str, StoredMedia] | None,
        cursor: tuple[str, str] | None,
        now: str,
        on_stored: OnStored,
        resume: tuple[str, str | None] | None = None,
    ) -> None:
        """Send a batch (with its cursor and the walk's kept resume point, see
        `ArchiveWriter.write_batch`); wait while `depth` are in flight; raise an earlier
        batch's failure."""
        self._raise_failure()
        while len(self._inflight) >= self._depth:
            self._receive_one()
            self._raise_failure()
        self._seq += 1
        message = (self._seq, account, batch.lean(), dict(media or {}), cursor, now, resume)
        try:
            self._out.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, EOFError) as exc:
            raise WriterProcessFailed(f"the writer process is gone: {exc}") from None
        self._inflight.append(_InFlight(self._seq, on_stored))

    def drain(self) -> None:
        """Wait until every batch sent is stored; raise the failure of one, if any."""
        while self._inflight:
            self._receive_one()
        self._raise_failure()

    def close(self) -> None:
        """Stop the child (after what it has received) and wait for it briefly."""
        try:
            self._out.close()
            self._in.close()
        finally:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)

    def _receive_one(self) -> None:
        waiting = self._inflight.popleft()
        try:
            if not self._ready:
                self._await_ready()
        except WriterProcessFailed as exc:
            self._inflight.clear()
            self._failure = self._failure or exc
            return
        try:
            seq, status, payload = pickle.loads(self._in.recv_bytes())
        except (OSError, EOFError) as exc:
            self._inflight.clear()
            self._failure = self._failure or WriterProcessFailed(
                f"the writer process ended unexpectedly ({exc or 'pipe closed'}; exit code "
                f"{self._process.poll()})"
            )
            return
        if seq != waiting.seq:
            self._failure = self._failure or WriterProcessFailed(
                f"the writer process answered batch {seq} for batch {waiting.seq}"
            )
            return
        if status == "ok":
            waiting.on_stored(payload)
        elif status == "failed":
            self._failure = self._failure or payload

    def _raise_failure(self) -> None:
        if self._failure is None:
            return
        while self._inflight:  # the batches after a failed one answer "skipped"
            self._receive_one()
        failure, self._failure = self._failure, None
        raise failure


if __name__ == "__main__":
    main(sys.argv[1:])
