"""`somed export`: archived items as JSON Lines, to standard output or to a file replaced whole.

A file is written beside its target under a temporary name and renamed over it only when every
line is written and synced, so a full disk or a crash never leaves a truncated export in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlite_utils import Database

from storage import queries


class OutputUnavailable(Exception):
    """There is nowhere to write: the output file cannot be created, or stdout is closed."""


class ExportFailed(Exception):
    """Writing the export failed part-way (disk full, I/O error, the reader went away)."""


def write_export(
    db: Database,
    accounts: Sequence[str | None],
    since: datetime | None,
    until: datetime | None,
    output: Path | None,
) -> int:
    """Write the items of `accounts` (None: all) to `output` or stdout; return the line count."""
    if output is None:
        return _to_stdout(db, accounts, since, until)
    return _to_file(db, accounts, since, until, output)


def _write(
    sink: IO[str],
    db: Database,
    accounts: Sequence[str | None],
    since: datetime | None,
    until: datetime | None,
) -> int:
    """Write every matching item as one JSON line to `sink`; return how many."""
    count = 0
    for key in accounts:
        for item in queries.export_items(db, account=key, since=since, until=until):
            sink.write(json.dumps(item, ensure_ascii=False) + "\n")
            count += 1
    sink.flush()
    return count


def _to_stdout(
    db: Database, accounts: Sequence[str | None], since: datetime | None, until: datetime | None
) -> int:
    stdout = sys.stdout
    if stdout is None or stdout.closed:
        raise OutputUnavailable("standard output is closed (redirect it, or use --output FILE)")
    try:
        return _write(stdout, db, accounts, since, until)
    except BrokenPipeError:
        _silence_stdout()
        raise ExportFailed(
            "standard output was closed by the reader; the export is incomplete"
        ) from None
    except OSError as exc:
        _silence_stdout()
        raise ExportFailed(
            f"writing to standard output failed: {exc.strerror or exc}; the export is incomplete"
        ) from None


def _to_file(
    db: Database,
    accounts: Sequence[str | None],
    since: datetime | None,
    until: datetime | None,
    output: Path,
) -> int:
    target = output.absolute()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputUnavailable(f"--output {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as sink:
            count = _write(sink, db, accounts, since, until)
            os.fsync(sink.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())  # as a plainly created file would be
        os.replace(tmp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        unchanged = "left unchanged" if target.exists() else "not created"
        raise ExportFailed(
            f"--output {output}: writing failed: {exc.strerror or exc}; the file was {unchanged}"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return count


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's final flush cannot fail with a traceback."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
