"""Downloads attachments in the background, a few at a time, into the media store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from connectors.base import AuthError, Connector, ConnectorError, RateLimited, TransientError
from connectors.download import MediaLimits
from connectors.model import MediaRef, Record, Tombstone
from storage.media import MediaStore, StoredMedia

log = logging.getLogger("somed.media")

ATTEMPTS = 3
WORKERS = 4  # CDN downloads are latency-bound; a few in flight hide most of it


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
    ) -> None:
        self.connector = connector
        self.store = store
        self.limits = limits or MediaLimits()
        self.account = account
        self.sleep = sleep
        self.backoff = backoff
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="somed-media")
        self._pending: dict[str, Future[StoredMedia | None]] = {}
        self.failures: dict[str, str] = {}  # media key -> why, for item_media.last_error
        self.retryable: set[str] = set()  # failures that may pass: later runs try them again
        self._lock = threading.Lock()  # streams walked beside each other submit at once
        # the thread that asked for each download: only its batches may link the file, since
        # a file linked by another stream's batch before this one's items are stored is lost
        self._asked_by: dict[str, int] = {}

    def submit(self, refs: Iterable[MediaRef]) -> None:
        """Start downloading `refs` in the background (each key once per run)."""
        asker = threading.get_ident()
        with self._lock:
            for ref in refs:
                if ref.key not in self._pending:
                    self._pending[ref.key] = self._pool.submit(self._fetch_one, ref)
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
        with self._lock:
            self._pending.clear()
            self._asked_by.clear()

    def _take(self, keys: list[str]) -> dict[str, StoredMedia]:
        taken: dict[str, StoredMedia] = {}
        for key in keys:
            self._asked_by.pop(key, None)
            stored = self._pending.pop(key).result()  # re-raises AuthError or Interrupted
            if stored is not None:
                taken[key] = stored
        return taken

    def _fetch_one(self, ref: MediaRef) -> StoredMedia | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.store.incoming() as incoming:  # streamed to disk, never held whole
                    mime = self.connector.download(ref, incoming, self.limits)
                    return self.store.commit(incoming, mime or ref.mime_type)
            except AuthError:
                raise
            except (TransientError, RateLimited) as exc:
                if attempt == ATTEMPTS:
                    self._skip(ref, f"{exc} (tried again by the next runs)")
                    self.retryable.add(ref.key)
                    return None
                self.sleep(self.backoff(attempt))
            except ConnectorError as exc:
                self._skip(ref, str(exc))
                return None
        return None

    def _skip(self, ref: MediaRef, why: str) -> None:
        self.failures[ref.key] = why
        log.warning(
            "%s: media %s not downloaded: %s",
            self.account,
            ref.key,
            why,
            extra={"account": self.account, "event": "media_skipped"},
        )
