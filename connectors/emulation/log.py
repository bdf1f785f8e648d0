"""A thread-safe log of the requests an emulator answered."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload


@dataclass
class LoggedRequest:
    """One request: what was asked, what was answered, and the injected fault if any."""

    method: str
    path: str
    query: dict[str, str]
    status: int = 0
    fault: str | None = None


class RequestLog:
    """The requests in arrival order; reads (iteration, indexing) see a consistent snapshot."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> LoggedRequest:
        """Log `entry` and return it (its status and fault may be filled in later)."""
        with self._lock:
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[LoggedRequest]:
        """Return a copy of the entries."""
        with self._lock:
            return list(self._entries)

    def matching(self, pattern: str, *, fault: bool | None = None) -> list[LoggedRequest]:
        """Return the entries whose path matches `pattern` (search), optionally by faultedness."""
        regex = re.compile(pattern)
        return [
            e
            for e in self.snapshot()
            if regex.search(e.path) and (fault is None or (e.fault is not None) == fault)
        ]

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> LoggedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[LoggedRequest]: ...

    def __getitem__(self, index: int | slice) -> LoggedRequest | list[LoggedRequest]:
        with self._lock:
            return self._entries[index]

    def __bool__(self) -> bool:
        return len(self) > 0
