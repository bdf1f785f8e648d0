"""How people name one archived item on the command line and in lists: `PLATFORM:ID`."""

from __future__ import annotations


def format_item(platform: str, item_id: str) -> str:
    """The reference people copy: `PLATFORM:ID`, e.g. `x:17900000001`."""
    return f"{platform}:{item_id}"


def parse_item(text: str) -> tuple[str, str]:
    """(platform, item id) from `PLATFORM:ID`; ValueError (for `fail_usage`) when malformed."""
    platform, sep, item_id = text.strip().partition(":")
    if not sep or not platform or not item_id:
        raise ValueError(
            f"ITEM {text!r} is not an item reference: write PLATFORM:ID (e.g. x:17900000001),"
            " as `somed flags` and `somed search` show it"
        )
    return platform, item_id
