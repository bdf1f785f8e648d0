"""Iterate a generator one step ahead in a background thread, so fetching overlaps storing."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Raised:
    """An exception from the producer thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(source: Iterable[T], *, depth: int = 1) -> Iterator[T]:
    """Yield `source`'s items while the next `depth` are produced in a worker thread.

    Exceptions from `source` are raised in the consumer, after the items produced before them.
    When the consumer stops early (break, exception, close), the worker stops at its next step.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    cancelled = threading.Event()

    def offer(item: object) -> bool:
        while not cancelled.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, not swallowed
            offer(_Raised(error))
            return
        offer(_DONE)

    worker = threading.Thread(target=produce, name="somed-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        cancelled.set()
        worker.join(timeout=1)  # a worker stuck in a request is a daemon thread: let it go
