"""Downloads attachments in the background, a few at a time, into the media store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from connectors.base import Connector
from connectors.download import MediaLimits
from connectors.model import MediaRef, Record, Tombstone
from somed.config import DEFAULT_PARALLEL_DOWNLOADS
from somed.media_process import (
    DownloadPlan,
    MediaProcess,
    Outcome,
    Skipped,
    fetch_with_retries,
)
from storage.media import MediaStore, StoredMedia

log = logging.getLogger("somed.media")

ATTEMPTS = 3
PROCESS_AFTER = 8  # files a run asks for before the rest go to a child process (with a plan)


def media_refs(entries: Iterable[Record | Tombstone]) -> dict[str, MediaRef]:
    """The distinct media refs of a batch's records, by key."""
    refs: dict[str, MediaRef] = {}
    for entry in entries:
        if isinstance(entry, Record):
            for ref in entry.media:
                refs.setdefault(ref.key, ref)
    return refs


class MediaFetcher:
    """Fetch attachments through a connector (retrying passing faults) and store them.

    Downloads run beside the walk: records are written at once, and each finished download is
    linked to its items in a later batch's transaction. A run that ends before a download is
    linked leaves the link empty, and the next run fetches it again.

    With a `plan` (the connector downloads plainly, see `somed.media_process`), a run that
    asks for more than `process_after` files moves the rest to a child process once it has
    started, so downloads do not wait for the walk's interpreter lock; until then, and for
    small runs, they run in threads here.
    """

    def __init__(
        self,
        connector: Connector,
        store: MediaStore,
        *,
        account: str,
        sleep: Callable[[float], None],
        backoff: Callable[[int], float],
        limits: MediaLimits | None = None,
        plan: DownloadPlan | None = None,
        process_after: int = PROCESS_AFTER,
        workers: int = DEFAULT_PARALLEL_DOWNLOADS,
    ) -> None:
        self.connector = connector
        self.store = store
        self.limits = limits or MediaLimits()
        self.account = account
        self.sleep = sleep
        self.waits = tuple(backoff(attempt) for attempt in range(1, ATTEMPTS))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="somed-media")
        self._pending: dict[str, Future[Outcome]] = {}
        self.failures: dict[str, str] = {}  # media key -> why, for item_media.last_error
        self.retryable: set[str] = set()  # failures that may pass: later runs try them again
        self._lock = threading.Lock()  # streams walked beside each other submit at once
        # the thread that asked for each download: only its batches may link the file, since
        # a file linked by another stream's batch before this one's items are stored is lost
        self._asked_by: dict[str, int] = {}
        self._plan = plan
        self._process_after = process_after
        self._process: MediaProcess | None = None
        self._asked = 0

    def submit(self, refs: Iterable[MediaRef]) -> None:
        """Start downloading `refs` in the background (each key once per run)."""
        asker = threading.get_ident()
        with self._lock:
            for ref in refs:
                if ref.key not in self._pending:
                    self._pending[ref.key] = self._start(ref)
                    self._asked_by[ref.key] = asker

    def ready(self) -> dict[str, StoredMedia]:
        """Take the downloads the calling thread asked for that have finished (its next batch
        links them); a failure that must end the run is raised here."""
        asker = threading.get_ident()
        with self._lock:
            done = [key for key, future in self._pending.items()
                    if future.done() and self._asked_by[key] == asker]  # fmt: skip
            return self._take(done)

    def drain(self) -> dict[str, StoredMedia]:
        """Wait for every download still under way and take them all (once every stream's
        items are stored)."""
        with self._lock:
            under_way = list(self._pending.values())
        wait(under_way)
        with self._lock:
            return self._take(list(self._pending))

    def close(self) -> None:
        """Stop: cancel what has not started; started downloads finish and are dropped."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._process is not None:
            self._process.close()
        with self._lock:
            self._pending.clear()
            self._asked_by.clear()

    def _start(self, ref: MediaRef) -> Future[Outcome]:
        self._asked += 1
        process = self._child()
        if process is not None and process.ready():
            return process.submit(ref)
        return self._pool.submit(self._fetch_one, ref)

    def _child(self) -> MediaProcess | None:
        """The run's download process, started once the run has asked for enough files."""
        if self._plan is None or self._asked <= self._process_after:
            return self._process
        if self._process is None:
            try:
                self._process = MediaProcess(self._plan, self.waits)
                log.info(
                    "%s: downloading the run's further media in a child process",
                    self.account,
                    extra={"account": self.account, "event": "media_process"},
                )
            except OSError as exc:  # no process to be had: download in this one
                log.warning(
                    "%s: downloading media in the run's own process: %s",
                    self.account,
                    exc,
                    extra={"account": self.account, "event": "media_process"},
                )
                self._plan = None
        return self._process

    def _take(self, keys: list[str]) -> dict[str, StoredMedia]:
        taken: dict[str, StoredMedia] = {}
        for key in keys:
            self._asked_by.pop(key, None)
            outcome = self._pending.pop(key).result()  # re-raises AuthError or Interrupted
            if isinstance(outcome, Skipped):
                self._skip(key, outcome)
            else:
                taken[key] = outcome
        return taken

    def _fetch_one(self, ref: MediaRef) -> Outcome:
        return fetch_with_retries(self.connector.download, self.store, ref, self.limits,
                                  waits=self.waits, sleep=self.sleep)  # fmt: skip

    def _skip(self, key: str, skipped: Skipped) -> None:
        self.failures[key] = skipped.why
        if skipped.retryable:
            self.retryable.add(key)
        log.warning(
            "%s: media %s not downloaded: %s",
            self.account,
            key,
            skipped.why,
            extra={"account": self.account, "event": "media_skipped"},
        )
