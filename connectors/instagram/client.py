"""The Instagram side of the shared Graph client (`connectors/meta_graph.py`).

The Instagram Graph API is Meta's Graph API (`graph.facebook.com`), read with the linked
Facebook page's token: the same versions, error envelope, error codes, usage headers and
paging as Facebook. Only the name in messages and the platform's own reason codes differ.
"""

from __future__ import annotations

from connectors.meta_graph import Dialect

INSTAGRAM = Dialect(
    "Instagram",
    {
        "cursor_expired": "instagram.cursor_expired",
        "too_much_data": "instagram.too_much_data",
        "api_version": "instagram.api_version",
        "refused": "instagram.refused",
        "paging_loop": "instagram.paging_loop",
        "paging_stalled": "instagram.paging_stalled",
    },
)
