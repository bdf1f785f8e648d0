"""The one-ahead prefetcher keeps order, hands over errors in place, and stops when asked."""

from __future__ import annotations

import threading

import pytest

from somed.prefetch import prefetched


def test_items_arrive_in_order_and_then_the_error():
    def source():
        yield from range(5)
        raise ConnectionError("page 6 failed")

    seen = []
    with pytest.raises(ConnectionError, match="page 6"):
        for item in prefetched(source()):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_the_producer_runs_at_most_one_ahead_and_stops_with_the_consumer():
    produced: list[int] = []
    finished = threading.Event()

    def source():
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            finished.set()

    for item in prefetched(source()):
        if item == 3:
            break
    assert finished.wait(2)
    assert len(produced) <= 3 + 3  # the item handed over, one in the queue, one being offered
