"""Memory of processes from /proc: a process's status lines, their kB values, its descendants."""

from __future__ import annotations

from pathlib import Path


def status(pid: int) -> dict[str, str]:
    """A process's /proc status lines as a dict ({} when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def kb(value: str | None) -> int:
    """The number of a status value such as "1234 kB" (0 when absent)."""
    return int(value.split()[0]) if value else 0


def descendants(pid: int) -> list[int]:
    """Every descendant of `pid` (children started by any of its threads, and theirs)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found
