"""Visitors' posts: list the page's `/feed` cheaply, read in full only what others published.

`/feed` holds the page's own posts too (with all their comments, which `/published_posts`
already archives), so asking it for full posts walks the whole page a second time. The listing
asks for the fields that tell a visitor's post from the page's own and from posts elsewhere
that only tag the page; the few visitors' posts are then read in full by Graph batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from connectors.facebook.client import BATCH_LIMIT, ObjectMissing, classify, failure_from_envelope
from connectors.facebook.normalize import post_fields

if TYPE_CHECKING:
    from connectors.facebook.connector import FacebookConnector

LISTING_FIELDS = "id,from{id},created_time"
LISTING_LIMIT = 100  # the most Graph gives per page


def read_in_full(conn: FacebookConnector, listed: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full posts (comments expanded) of `listed` visitors' posts, in order; a post deleted
    since it was listed is left out (the next walk no longer lists it)."""
    version = conn.client.version
    fields = post_fields(conn.comment_limit)
    full: list[dict[str, Any]] = []
    for start in range(0, len(listed), BATCH_LIMIT):
        chunk = listed[start : start + BATCH_LIMIT]
        answers = conn.client.batch([f"{version}/{raw['id']}?fields={fields}" for raw in chunk])
        for status, body in answers:
            if status == 200 and isinstance(body, dict) and body.get("id"):
                full.append(body)
                continue
            error = classify(failure_from_envelope(body, status), stream="visitor_posts")
            if not isinstance(error, ObjectMissing):
                raise error
    return full
