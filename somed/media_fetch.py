"""Downloads the new attachments of a batch, a few at a time, into the media store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from connectors.base import AuthError, Connector, ConnectorError, RateLimited, TransientError
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
    """Fetch attachments through a connector (retrying passing faults) and store them."""

    def __init__(
        self,
        connector: Connector,
        store: MediaStore,
        *,
        account: str,
        sleep: Callable[[float], None],
        backoff: Callable[[int], float],
    ) -> None:
        self.connector = connector
        self.store = store
        self.account = account
        self.sleep = sleep
        self.backoff = backoff

    def fetch(self, refs: Sequence[MediaRef]) -> dict[str, StoredMedia]:
        """Download and store `refs`; those that fail are left for the next run."""
        if not refs:
            return {}
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(refs))) as pool:
            results = list(pool.map(self._fetch_one, refs))
        return {ref.key: stored for ref, stored in zip(refs, results, strict=True) if stored}

    def _fetch_one(self, ref: MediaRef) -> StoredMedia | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                data, mime = self.connector.download(ref)
                return self.store.put(data, mime or ref.mime_type)
            except AuthError:
                raise
            except (TransientError, RateLimited) as exc:
                if attempt == ATTEMPTS:
                    self._skip(ref, f"{exc} (the next run tries again)")
                    return None
                self.sleep(self.backoff(attempt))
            except ConnectorError as exc:
                self._skip(ref, str(exc))
                return None
        return None

    def _skip(self, ref: MediaRef, why: str) -> None:
        log.warning(
            "%s: media %s not downloaded: %s",
            self.account,
            ref.key,
            why,
            extra={"account": self.account, "event": "media_skipped"},
        )
