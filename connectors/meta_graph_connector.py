"""The base of the connectors on Meta's Graph API (Facebook, Instagram): what they share.

The API version (`vNN.N`, raised when Meta retires one), the request count of the shared
client, pacing by Graph's usage headers, media downloads through the client's network rules,
and the check that an account's owner object is still readable before "gone" means deleted.
"""

from __future__ import annotations

from typing import ClassVar

from connectors.base import Connector, ConnectorError
from connectors.download import MediaLimits, Sink
from connectors.meta_graph import Dialect, GraphClient, ObjectMissing, pause_hint
from connectors.model import MediaRef

MIN_PAGE_SIZE = 5  # Graph's "reduce the amount of data" halves pages down to this


class GraphConnector(Connector):
    """A connector reading through a `meta_graph.GraphClient` (set as `self.client`)."""

    default_api_version: ClassVar[str | None] = "v21.0"
    api_version_pattern: ClassVar[str | None] = r"^v\d+\.\d+$"
    plain_downloads: ClassVar[bool] = True  # Graph media are plain GETs through the session
    client: GraphClient
    slow_down_at: float = 80.0  # usage percent from which requests are paced
    page_size: int = 100
    listing_size: int = 100  # items per page of the cheap listings a re-read compares

    def open_graph(self, dialect: Dialect) -> None:
        """Take the Graph settings (`page_size`, `slow_down_at_percent`, `api_version`) and
        build `self.client` on the connector's session, speaking as `dialect`."""
        settings = self.settings
        self.page_size = max(MIN_PAGE_SIZE, min(100, settings.page_size))
        self.slow_down_at = float(settings.options.get("slow_down_at_percent", 80))
        self.client = GraphClient(
            self.account.token.reveal(),
            self.session,
            version=settings.api_version or self.default_api_version or "",
            timeout=settings.timeout_seconds,
            dialect=dialect,
        )

    def request_count(self) -> int:
        """Return how many HTTP requests (a Graph batch counts once) this connector made."""
        return self.client.requests_made

    def pause_hint(self) -> float:
        """Pace requests as the usage headers approach 100 percent; honour the regain hint."""
        return pause_hint(self.client.usage, self.slow_down_at)

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream an attachment into `sink` (capped, type-checked); return its MIME type."""
        return self.client.download(
            media.source_url, sink, kind=media.kind, declared=media.mime_type, limits=limits
        )

    def still_readable(self, owner_id: str, unreadable: ConnectorError) -> None:
        """Raise `unreadable` unless the owner (page, account) itself can be read: Graph
        answers "does not exist" for every object of a hidden or unlinked owner, which is no
        deletion."""
        try:
            self.client.request(owner_id, {"fields": "id"}, stream="posts")
        except ObjectMissing:
            raise unreadable from None
