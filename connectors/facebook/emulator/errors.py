"""Graph API errors for the Facebook emulator: the error envelope and the messages it carries."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.facebook.emulator.data import TokenInfo

JSON_TYPE = "application/json; charset=UTF-8"
VERSION = re.compile(r"v\d+\.\d+")
NODE_TYPES = {
    "page": "Page",
    "post": "PagePost",
    "comment": "Comment",
    "conversation": "UnifiedThread",
    "message": "Message",
}


def compact_json(body: Any) -> str:
    """Serialise a response body the way Graph does: no spaces between tokens."""
    return json.dumps(body, separators=(",", ":"))


class GraphError(Exception):
    """An error answered with the Graph API error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.kind, self.subcode, self.transient = kind, subcode, transient

    def envelope(self, trace: str) -> dict[str, Any]:
        """Return the `{"error": {...}}` body."""
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        error["fbtrace_id"] = trace
        return {"error": error}


def missing(object_id: str) -> GraphError:
    """Return the error for an object that does not exist or that the token may not read."""
    return GraphError(
        400,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        kind="GraphMethodException",
        subcode=33,
    )


def nonexisting(name: str, kind: str) -> GraphError:
    """Return the error for a field or edge that nodes of `kind` do not have."""
    return GraphError(
        400,
        f"(#100) Tried accessing nonexisting field ({name}) on node type ({NODE_TYPES[kind]})",
        100,
    )


def expired_message(now: datetime) -> str:
    """Return the message of code 190, subcode 463 (session expired an hour before `now`)."""
    stamp = "%A, %d-%b-%y %H:%M:%S UTC"
    expired = (now - timedelta(hours=1)).strftime(stamp)
    return (
        f"Error validating access token: Session has expired on {expired}. "
        f"The current time is {now.strftime(stamp)}."
    )


def require(kind: str, info: TokenInfo | None) -> None:
    """Raise the Graph API permission error unless the token may read objects of `kind`.

    Comments need no more than posts: without pages_read_user_content Graph only leaves out
    who wrote them (see `nodes`).
    """
    permissions = info.permissions if info else frozenset()
    if kind == "post" and "pages_read_engagement" not in permissions:
        raise GraphError(
            403,
            "(#10) This endpoint requires the 'pages_read_engagement' "
            "permission or the 'Page Public Content Access' feature.",
            10,
        )
    if kind in ("conversation", "message") and "pages_messaging" not in permissions:
        raise GraphError(
            403, "(#200) Requires pages_messaging permission to manage the object", 200
        )
