"""Preservation of a flagged item at once: an evidence copy and a capture of its permalink.

The evidence copy is the item's record and its thread (root post and the other items of it, as
the record contract has them) in canonical JSON, stored once per content in the media store;
`moderation_evidence` notes where. When captures are enabled (`[capture] enabled` and
`[moderation] capture`) and the platform can be captured, a capture request for the item's
permalink goes to the daemon's queue. Commercial flags are not preserved (R5: spam is removed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.model import canonical_json, utc_iso
from somed.config import Config
from somed.item_ref import format_item
from storage import moderated
from storage.media import MediaStore
from storage.run_requests import add_requests

EVIDENCE_SCHEMA = "somed.moderation.evidence/1"
REQUESTED_BY = "moderation"
NOT_PRESERVED = frozenset({"commercial"})


def evidence_document(
    db: Any, item: dict[str, Any], categories: Sequence[str], now: datetime
) -> dict[str, Any]:
    """The evidence of one flagged item: what was found, the record and its thread."""
    found = moderated.record_and_thread(db, item["platform"], item["id"])
    return {
        "schema": EVIDENCE_SCHEMA,
        "item": format_item(item["platform"], item["id"]),
        "sha256": item["sha256"],
        "categories": sorted(categories),
        "preserved_at": utc_iso(now),
        **found,
    }


def wants_capture(config: Config, account: str) -> bool:
    """True when a flagged item of this account gets a capture of its permalink."""
    from somed.duties.captures import capturable

    if not (config.moderation.capture and config.capture.enabled):
        return False
    try:
        spec = config.account(account)
    except (KeyError, ValueError):
        return False
    return spec.enabled and capturable(spec)


def preserve(
    db: Any,
    config: Config,
    store: MediaStore,
    item: dict[str, Any],
    categories: Sequence[str],
    now: datetime,
) -> int | None:
    """Store the evidence copy and ask for a capture (inside the caller's transaction); its id.

    None when every category is one that is not preserved (commercial).
    """
    kept = sorted(set(categories) - NOT_PRESERVED)
    if not kept:
        return None
    document = evidence_document(db, item, kept, now)
    stored = store.put(canonical_json(document).encode("utf-8"), "application/json")
    request_id: int | None = None
    if item.get("url") and wants_capture(config, item["account"]):
        request_id = add_requests(
            db, [item["account"]], requested_by=REQUESTED_BY, clock=lambda: now,
            kind="capture", url=item["url"],
        )[0]  # fmt: skip
    return moderated.add_evidence(db, item, categories=kept, stored=stored,
                                  capture_request_id=request_id, now=now)  # fmt: skip
