"""Small helpers every Instagram Graph walk shares: times, high-water marks, batches."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.meta_graph import Page
from connectors.model import Batch, Quarantined, Record, Tombstone, parse_utc, utc_iso

Entry = Record | Tombstone | Quarantined


def created_of(raw: Mapping[str, Any], key: str = "timestamp") -> str | None:
    """A raw item's time as stored (UTC ISO), or None when it has none usable."""
    try:
        return utc_iso(parse_utc(raw.get(key)))
    except (TypeError, ValueError):
        return None


def later(a: str | None, b: str | None) -> str | None:
    """The later of two UTC ISO timestamps (either may be missing)."""
    if a is None or b is None:
        return a or b
    return max(a, b)


def page_batch(records: list[Entry], page: Page, high: str | None, *, last: bool) -> Batch:
    """A walk's batch: resume after this page; on the last one, the new high-water mark."""
    if last or page.next_params is None:
        return Batch(records, high_water=high, final=True)
    return Batch(records, resume=json.dumps({"next": page.next_params, "hw": high}))
