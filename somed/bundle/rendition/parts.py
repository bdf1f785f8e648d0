"""Threads into parts (pure): one file per calendar month, split when a month is busy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PART_RECORDS = 1000  # at most this many records a part, unless one thread alone is larger


@dataclass
class Part:
    """One HTML/PDF file: its month, its number within the month (0: the only one), threads."""

    month: str
    number: int
    threads: list[str] = field(default_factory=list)
    records: int = 0

    @property
    def name(self) -> str:
        """The file name without suffix: `2026-11` or `2026-11-2`."""
        return self.month if self.number == 0 else f"{self.month}-{self.number}"


def plan_parts(threads: Iterable[tuple[str, str, int]], limit: int = PART_RECORDS) -> list[Part]:
    """Group (month, thread, records) rows, in order, into parts of at most `limit` records."""
    parts: list[Part] = []
    for month, key, count in threads:
        last = parts[-1] if parts else None
        if last is None or last.month != month or (last.records and last.records + count > limit):
            number = last.number + 1 if last is not None and last.month == month else 1
            last = Part(month, number)
            parts.append(last)
        last.threads.append(key)
        last.records += count
    for month in {p.month for p in parts}:
        same = [p for p in parts if p.month == month]
        if len(same) == 1:
            same[0].number = 0
    return parts
