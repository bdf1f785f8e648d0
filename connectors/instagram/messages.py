"""Instagram direct messages, read through the linked Facebook page's conversations.

Graph lists the page's Instagram threads at `/{page}/conversations?platform=instagram`
(`instagram_manage_messages`); each comes with its newest 20 messages, which are all Graph
gives in detail. Without that permission the stream is reported as denied, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connectors.instagram.normalize import conversation_fields
from connectors.meta_graph_walks import Entry, walk_conversations
from connectors.model import Batch, item_id

if TYPE_CHECKING:
    from connectors.instagram.connector import InstagramConnector

DETAIL_LIMIT = 20  # Graph gives details of a conversation's newest 20 messages only


def probe(conn: InstagramConnector) -> None:
    """Raise PermissionDenied unless the token may read the page's Instagram inbox."""
    conn.client.request(
        f"{conn.page_id or 'me'}/conversations",
        {"platform": "instagram", "limit": 1, "fields": "id"},
        stream="messages",
    )


def walk(conn: InstagramConnector, cursor: str | None, resume: str | None) -> Iterator[Batch]:
    """Conversations by newest activity, stopping at the cursor (newest updated_time seen).

    Without a configured `page_id` the inbox is the token's own page's (`me`: a page token).
    """

    def take(conversation: dict[str, Any]) -> list[Entry]:
        ident = item_id(conversation.get("id"))
        messages = conversation.get("messages")
        data = messages.get("data") if isinstance(messages, dict) else None
        if ident is None or not isinstance(data, list | None):
            error = "TypeError: the conversation has no id or no messages edge"
            return [conn.quarantine("messages", conversation, error)]
        context = conn.context(conversation_id=ident)
        return [conn.normalised("messages", "message", raw, context) for raw in data or []]

    params = {"platform": "instagram", "limit": min(25, conn.page_size),
              "fields": conversation_fields(DETAIL_LIMIT)}  # fmt: skip
    path = f"{conn.page_id or 'me'}/conversations"
    yield from walk_conversations(conn.client, path, params, cursor, resume, take)
