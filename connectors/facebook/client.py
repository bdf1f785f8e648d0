"""The Facebook side of the shared Graph client (`connectors/meta_graph.py`).

The Facebook connector talks to the Graph API through `connectors.meta_graph`, which it shares
with the Instagram connector; this module keeps the names the Facebook code imports.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.base import ConnectorError
from connectors.meta_graph import (
    BATCH_LIMIT,
    MAX_IDLE_PAGES,
    OBJECT_MISSING_CODES,
    PERMISSION_CODES,
    PERMISSION_NAME,
    THROTTLE_CODES,
    TOKEN_SUBCODES,
    USAGE_HEADERS,
    CursorExpired,
    Dialect,
    GraphFailure,
    ObjectMissing,
    Page,
    TooMuchData,
    Usage,
    failure_from_envelope,
    parse_usage,
)
from connectors.meta_graph import GraphClient as _GraphClient
from connectors.meta_graph import classify as _classify

FACEBOOK = Dialect(
    "Facebook",
    {
        "cursor_expired": "facebook.cursor_expired",
        "too_much_data": "facebook.too_much_data",
        "api_version": "facebook.api_version",
        "refused": "facebook.refused",
        "paging_loop": "facebook.paging_loop",
        "paging_stalled": "facebook.paging_stalled",
    },
)


def classify(
    failure: GraphFailure, *, stream: str = "", usage: Usage | None = None
) -> ConnectorError:
    """Map a Graph failure of a Facebook read to its typed error (see `meta_graph.classify`)."""
    return _classify(failure, stream=stream, usage=usage, dialect=FACEBOOK)


class GraphClient(_GraphClient):
    """The shared Graph client, speaking as Facebook."""

    def __init__(
        self, token: str, session: requests.Session, *, version: str, timeout: float, **kw: Any
    ) -> None:
        kw.setdefault("dialect", FACEBOOK)
        super().__init__(token, session, version=version, timeout=timeout, **kw)


__all__ = [
    "BATCH_LIMIT",
    "FACEBOOK",
    "MAX_IDLE_PAGES",
    "OBJECT_MISSING_CODES",
    "PERMISSION_CODES",
    "PERMISSION_NAME",
    "THROTTLE_CODES",
    "TOKEN_SUBCODES",
    "USAGE_HEADERS",
    "CursorExpired",
    "Dialect",
    "GraphClient",
    "GraphFailure",
    "ObjectMissing",
    "Page",
    "TooMuchData",
    "Usage",
    "classify",
    "failure_from_envelope",
    "parse_usage",
]
