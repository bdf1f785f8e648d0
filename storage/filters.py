"""The one WHERE clause for "items of these accounts, in this period, of this direction and kind",
shared by export, search and bundles so that the same filter always selects the same items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.model import utc_iso
from storage.flags import HOLDS


def item_filter(
    *,
    accounts: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    direction: str | None = None,
    kinds: Sequence[str] | None = None,
    table: str = "",
    platforms: Sequence[str] | None = None,
    deleted_only: bool = False,
    flagged_only: bool = False,
    registered_only: bool = False,
) -> tuple[list[str], list[Any]]:
    """SQL conditions (to AND together) and their parameters; `table` prefixes the columns.

    The period is half-open, [since, until), on `created_at`; None or empty means no limit.
    `deleted_only`: removed from the platform; `flagged_only`: has a flag not marked wrong
    (open or resolved); `registered_only`: has a registry number.
    """
    column = f"{table}." if table else ""
    clauses: list[str] = []
    params: list[Any] = []
    if accounts:
        clauses.append(f"{column}account IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(accounts)))
    if direction is not None:
        clauses.append(f"{column}direction = ?")
        params.append(direction)
    if since is not None:
        clauses.append(f"{column}created_at >= ?")
        params.append(ceil_iso(since))
    if until is not None:
        clauses.append(f"{column}created_at < ?")
        params.append(ceil_iso(until))
    if kinds is not None:
        clauses.append(f"{column}kind IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(kinds)))
    if platforms:
        clauses.append(f"{column}platform IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(platforms)))
    if deleted_only:
        clauses.append(f"{column}deleted_at IS NOT NULL")
    outer = column or "items."  # inside the subquery a bare name would be the subquery's own
    kept = f" AND {HOLDS}"  # a flag marked wrong does not count
    for wanted, table_name, more in ((flagged_only, "flags", kept),
                                     (registered_only, "registrations", "")):  # fmt: skip
        if wanted:
            clauses.append(
                f"EXISTS (SELECT 1 FROM {table_name} AS x WHERE x.platform = {outer}platform"
                f" AND x.item_id = {outer}id{more})"
            )
    return clauses, params


def ceil_iso(moment: datetime) -> str:
    """Format `moment` rounded up to whole seconds, to compare with seconds-precision columns."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: somed only handles timezone-aware datetimes")
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    text = utc_iso(moment)
    assert text is not None
    return text
