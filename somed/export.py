"""`somed export`: archived items as JSON Lines or CSV, to standard output or a file replaced whole.

JSON Lines is the record contract, one item a line. CSV is for people (the crisis team's list:
item, account, kind, direction, when, author, text, link, registry numbers; headings in the
reader's language; cells a spreadsheet would run as a formula neutralised by `defusedcsv`).

A file is written beside its target under a temporary name and renamed over it only when every
line is written and synced, so a full disk or a crash never leaves a truncated export in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from defusedcsv import csv
from sqlite_utils import Database

from somed.i18n import Translator
from storage import queries

CSV_COLUMNS = ("item", "account", "kind", "direction", "created", "author", "text", "permalink",
               "deleted", "registry_numbers")  # fmt: skip


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
    *,
    direction: str | None = None,
    csv_for: Translator | None = None,
) -> int:
    """Write the items of `accounts` (None: all) to `output` or stdout; return the item count.

    JSON Lines unless `csv_for` gives the translator of a CSV's headings.
    """
    select = Selection(accounts, since, until, direction, csv_for)
    if output is None:
        return _to_stdout(db, select)
    return _to_file(db, select, output)


@dataclass(frozen=True)
class Selection:
    """What to export and how: accounts (None: all), period, direction, CSV headings or None."""

    accounts: Sequence[str | None]
    since: datetime | None
    until: datetime | None
    direction: str | None
    csv_for: Translator | None


def _write(sink: IO[str], db: Database, select: Selection) -> int:
    """Write every matching item to `sink` (a JSON line, or a CSV row); return how many."""
    count = 0
    rows = csv.writer(sink, lineterminator="\r\n") if select.csv_for else None
    if rows is not None and select.csv_for is not None:
        rows.writerow([select.csv_for(f"registrar.csv.{c}") for c in CSV_COLUMNS])
    for item in selected_items(db, select.accounts, select.since, select.until,
                               direction=select.direction):  # fmt: skip
        if rows is None:
            sink.write(record_line(item))
        else:
            rows.writerow(_csv_row(item))
        count += 1
    sink.flush()
    return count


def selected_items(
    db: Database,
    accounts: Sequence[str | None],
    since: datetime | None,
    until: datetime | None,
    *,
    direction: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The items of each of `accounts` in turn (None: all), in the period, streamed."""
    for key in accounts:
        found = queries.export_items(db, account=key, since=since, until=until,
                                     direction=direction)  # fmt: skip
        with contextlib.closing(found):  # its cursor closes here, not after the database
            yield from found


def record_line(item: dict[str, Any]) -> str:
    """One item as its JSON Lines line (the record contract; `somed export` and bundles)."""
    return json.dumps(item, ensure_ascii=False) + "\n"


def _csv_row(item: dict[str, Any]) -> list[str]:
    """One item as the CSV's cells (times in Swedish local time)."""
    from somed.display import local_time
    from somed.item_ref import format_item

    deleted = item["deleted_at"]
    return [format_item(item["platform"], item["id"]), item["account"], item["kind"],
            item["direction"], local_time(item["created_at"]), item["author"]["name"] or "",
            item["text"] or "", item["url"] or "", local_time(deleted) if deleted else "",
            "; ".join(item.get("registry_numbers") or [])]  # fmt: skip


def _to_stdout(db: Database, select: Selection) -> int:
    stdout = sys.stdout
    if stdout is None or stdout.closed:
        raise OutputUnavailable("standard output is closed (redirect it, or use --output FILE)")
    try:
        return _write(stdout, db, select)
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


def _to_file(db: Database, select: Selection, output: Path) -> int:
    target = output.absolute()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputUnavailable(f"--output {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as sink:
            count = _write(sink, db, select)
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
