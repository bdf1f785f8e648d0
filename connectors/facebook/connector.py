"""The Facebook Pages connector: streams, cursors, and the re-read of the recent window."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import requests

from connectors.base import (
    AccountSpec,
    CheckResult,
    Clock,
    Connector,
    FatalError,
    PermissionDenied,
    PlatformSettings,
    StreamSpec,
    TransientError,
)
from connectors.facebook.client import (
    BATCH_LIMIT,
    CursorExpired,
    GraphClient,
    ObjectMissing,
    Page,
    TooMuchData,
    classify,
    failure_from_envelope,
)
from connectors.facebook.normalize import (
    COMMENT_FIELDS,
    PROFILE_FIELDS,
    conversation_fields,
    normalize_comment,
    normalize_message,
    normalize_post,
    normalize_profile,
    post_fields,
)
from connectors.model import Batch, ItemRef, MediaRef, Record, Tombstone, parse_utc, utc_iso

DEFAULT_API_VERSION = "v21.0"
MIN_PAGE_SIZE = 5
MESSENGER_DETAIL_LIMIT = 20  # Graph only gives details of a conversation's newest 20 messages


def _later(a: str | None, b: str | None) -> str | None:
    """The later of two UTC ISO timestamps (either may be missing)."""
    if a is None or b is None:
        return a or b
    return max(a, b)


def _page_batch(
    records: list[Record | Tombstone], page: Page, high: str | None, *, last: bool
) -> Batch:
    """A walk's batch: resume after this page, and on the last page the new high-water mark."""
    if last or page.next_params is None:
        return Batch(records, high_water=high, final=True)
    resume = json.dumps({"after": page.next_params.get("after"), "hw": high})
    return Batch(records, resume=resume)


class FacebookConnector(Connector):
    """Reads a Facebook page: profile, published posts with comments and replies, Messenger."""

    platform: ClassVar[str] = "facebook"
    streams: ClassVar[tuple[StreamSpec, ...]] = (
        StreamSpec("profile", "none", timedelta(minutes=15)),
        StreamSpec("posts", "timestamp", timedelta(minutes=15)),
        StreamSpec("messages", "timestamp", timedelta(minutes=15), optional=True),
    )
    refetch_chunk_size: ClassVar[int] = BATCH_LIMIT

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        super().__init__(account, settings, session, clock)
        self.page_id = account.platform_id
        self.page_size = max(MIN_PAGE_SIZE, min(100, settings.page_size))
        self.comment_limit = self.page_size
        self.slow_down_at = float(settings.options.get("slow_down_at_percent", 80))
        self.client = GraphClient(
            account.token.reveal(),
            session,
            version=settings.api_version or DEFAULT_API_VERSION,
            timeout=settings.timeout_seconds,
        )

    # --- bookkeeping -------------------------------------------------------------------------

    def request_count(self) -> int:
        """Return how many HTTP requests (batches count once) this connector has made."""
        return self.client.requests_made

    def pause_hint(self) -> float:
        """Pace requests as the usage headers approach 100 percent; honour the regain hint."""
        usage = self.client.usage
        hint = 0.0
        if usage.percent >= self.slow_down_at:
            span = max(1.0, 100.0 - self.slow_down_at)
            hint = min(1.0, (usage.percent - self.slow_down_at) / span) * 10.0
        return max(hint, usage.regain_seconds)

    def _shrink(self) -> None:
        self.page_size = max(MIN_PAGE_SIZE, self.page_size // 2)
        self.comment_limit = max(MIN_PAGE_SIZE, self.comment_limit // 2)

    # --- contract ----------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the page's name, then probe Messenger access with one small request."""
        page = self.client.request(self.page_id, {"fields": "id,name"}, stream="profile")
        allowed = ["profile", "posts", "messages"]
        denied: dict[str, str] = {}
        try:
            self.client.request(
                f"{self.page_id}/conversations",
                {"platform": "messenger", "limit": 1, "fields": "id"},
                stream="messages",
            )
        except PermissionDenied as exc:
            allowed.remove("messages")
            denied["messages"] = str(exc)
        return CheckResult(
            identity=f"{page.get('name')} ({page.get('id')})",
            allowed_streams=tuple(allowed),
            denied=denied,
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of one stream's walk; a resume point whose cursor died restarts it."""
        try:
            yield from self._fetch(stream, cursor, resume)
        except CursorExpired:
            if resume is None:
                raise
            yield from self._fetch(stream, cursor, None)

    def _fetch(self, stream: str, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        try:
            self._resolve_page_id()
            if stream == "profile":
                yield from self._fetch_profile()
            elif stream == "posts":
                yield from self._fetch_posts(cursor, resume)
            elif stream == "messages":
                yield from self._fetch_messages(cursor, resume)
            else:
                raise FatalError(f"the facebook connector has no stream {stream!r}")
        except TooMuchData:
            self._shrink()
            raise

    def refetch(self, refs: Sequence[ItemRef]) -> Iterator[Batch]:
        """Re-read posts (with all their comments) by Graph batch; confirm missing comments."""
        try:
            yield from self._refetch(refs)
        except TooMuchData:
            self._shrink()
            raise

    def download(self, media: MediaRef) -> tuple[bytes, str | None]:
        """Download an attachment through the configured endpoint."""
        return self.client.download(media.source_url)

    # --- streams -----------------------------------------------------------------------------

    def _resolve_page_id(self) -> None:
        """Turn a configured handle (`morakommun`) into the page's numeric id, once.

        Authors are compared with the numeric id to tell own items from incoming ones.
        """
        if self.page_id.isdigit():
            return
        try:
            raw = self.client.request(self.page_id, {"fields": "id"}, stream="profile")
        except ObjectMissing:
            raise self._no_such_page() from None
        self.page_id = str(raw["id"])

    def _no_such_page(self) -> FatalError:
        return FatalError(
            f"page {self.account.platform_id} does not exist or this token cannot see it "
            f"(check the account's id, and that the token belongs to that page)"
        )

    def _fetch_profile(self) -> Iterator[Batch]:
        try:
            raw = self.client.request(self.page_id, {"fields": PROFILE_FIELDS}, stream="profile")
        except ObjectMissing:
            raise self._no_such_page() from None
        yield Batch([normalize_profile(raw, account=self.account.key)], final=True)

    def _fetch_posts(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """Posts newest first, each with all comments and replies; cursor = newest created_time."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        params: dict[str, Any] = {
            "fields": post_fields(self.comment_limit),
            "limit": self.page_size,
        }
        since = parse_utc(cursor)
        if since is not None:
            params["since"] = int(since.timestamp())
        if state.get("after"):
            params["after"] = state["after"]
        high: str | None = _later(state.get("hw"), cursor)
        seen: set[str] = set()
        for page in self.client.pages(f"{self.page_id}/published_posts", params, stream="posts"):
            records: list[Record | Tombstone] = []
            for raw in page.data:
                if raw.get("id") is None or str(raw["id"]) in seen:
                    continue
                seen.add(str(raw["id"]))
                post = normalize_post(raw, page_id=self.page_id, account=self.account.key)
                records.append(post)
                records.extend(self._comments_of(raw, post.id))
                high = _later(high, utc_iso(post.created_at))
            yield _page_batch(records, page, high, last=page.next_params is None)

    def _comments_of(self, raw_post: dict[str, Any], post_id: str) -> list[Record]:
        """All comments and replies of a post: the expanded first page, then the rest."""
        nested = raw_post.get("comments")
        if not isinstance(nested, dict):
            return []
        records: list[Record] = []
        seen: set[str] = set()

        def take(items: list[dict[str, Any]]) -> None:
            for item in items:
                if item.get("id") is not None and str(item["id"]) not in seen:
                    seen.add(str(item["id"]))
                    records.append(
                        normalize_comment(
                            item, post_id=post_id, page_id=self.page_id, account=self.account.key
                        )
                    )

        first = nested.get("data") or []
        take([c for c in first if isinstance(c, dict)])
        paging = nested.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if paging.get("next") and after:
            params = {
                "filter": "stream",
                "order": "chronological",
                "fields": COMMENT_FIELDS,
                "limit": self.page_size,
            }
            path = f"{post_id}/comments"
            try:
                for page in self.client.pages(path, {**params, "after": after}, stream="posts"):
                    take(page.data)
            except CursorExpired:  # a comment was deleted under us: list them all again
                for page in self.client.pages(path, params, stream="posts"):
                    take(page.data)
        return records

    def _fetch_messages(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """Conversations by newest activity, stopping at the cursor (newest updated_time seen)."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        params: dict[str, Any] = {
            "platform": "messenger",
            "limit": min(25, self.page_size),
            "fields": conversation_fields(MESSENGER_DETAIL_LIMIT),
        }
        if state.get("after"):
            params["after"] = state["after"]
        high: str | None = _later(state.get("hw"), cursor)
        for page in self.client.pages(f"{self.page_id}/conversations", params, stream="messages"):
            records: list[Record | Tombstone] = []
            reached_cursor = False
            for conversation in page.data:
                updated = utc_iso(parse_utc(conversation.get("updated_time")))
                if cursor and updated and updated < cursor:
                    reached_cursor = True
                    break
                for raw in (conversation.get("messages") or {}).get("data") or []:
                    if isinstance(raw, dict) and raw.get("id"):
                        records.append(
                            normalize_message(
                                raw,
                                conversation=conversation,
                                page_id=self.page_id,
                                account=self.account.key,
                            )
                        )
                high = _later(high, updated)
            last = reached_cursor or page.next_params is None
            yield _page_batch(records, page, high, last=last)
            if last:
                return

    # --- re-read -----------------------------------------------------------------------------

    def _refetch(self, refs: Sequence[ItemRef]) -> Iterator[Batch]:
        self._resolve_page_id()
        posts = [r for r in refs if r.kind == "post"]
        post_ids = {p.id for p in posts}
        comments: dict[str, dict[str, ItemRef]] = defaultdict(dict)
        for ref in refs:
            if ref.kind in ("comment", "reply"):
                comments[ref.thread_id or ""][ref.id] = ref
        records: list[Record | Tombstone] = []
        to_confirm: list[ItemRef] = []
        fields = post_fields(self.comment_limit)
        version = self.client.version
        for start in range(0, len(posts), BATCH_LIMIT):
            chunk = posts[start : start + BATCH_LIMIT]
            answers = self.client.batch([f"{version}/{p.id}?fields={fields}" for p in chunk])
            if len(chunk) > 1 and all(status != 200 for status, _ in answers):
                self._page_still_readable()  # "gone" for every post may mean the page is hidden
            for ref, (status, body) in zip(chunk, answers, strict=True):
                if status == 200 and isinstance(body, dict) and body.get("id"):
                    post = normalize_post(body, page_id=self.page_id, account=self.account.key)
                    current = self._comments_of(body, post.id)
                    records.append(post)
                    records.extend(current)
                    present = {c.id for c in current}
                    to_confirm.extend(
                        c for cid, c in comments[ref.id].items() if cid not in present
                    )
                    continue
                error = classify(failure_from_envelope(body, status), stream="posts")
                if not isinstance(error, ObjectMissing):
                    raise error
                records.append(self._tombstone(ref))
                records.extend(self._tombstone(c) for c in comments[ref.id].values())
        for thread, refs_of_thread in comments.items():
            if thread not in post_ids:
                to_confirm.extend(refs_of_thread.values())
        records.extend(self._confirm(to_confirm))
        yield Batch(records, final=True)

    def _page_still_readable(self) -> None:
        """Raise unless the page itself can be read: Graph answers "does not exist" for every
        object of a page that was unpublished or restricted, which is no deletion."""
        try:
            self.client.request(self.page_id, {"fields": "id"}, stream="posts")
        except ObjectMissing:
            raise TransientError(
                f"page {self.page_id} cannot be read right now (unpublished or restricted?); "
                "its posts are not marked deleted"
            ) from None

    def _confirm(self, refs: list[ItemRef]) -> list[Record | Tombstone]:
        """Read comments one by one (in batches): still there, or really gone?"""
        results: list[Record | Tombstone] = []
        version = self.client.version
        for start in range(0, len(refs), BATCH_LIMIT):
            chunk = refs[start : start + BATCH_LIMIT]
            answers = self.client.batch(
                [f"{version}/{r.id}?fields={COMMENT_FIELDS}" for r in chunk]
            )
            for ref, (status, body) in zip(chunk, answers, strict=True):
                if status == 200 and isinstance(body, dict) and body.get("id"):
                    results.append(
                        normalize_comment(
                            body,
                            post_id=ref.thread_id or "",
                            page_id=self.page_id,
                            account=self.account.key,
                        )
                    )
                    continue
                error = classify(failure_from_envelope(body, status), stream="posts")
                if not isinstance(error, ObjectMissing):
                    raise error
                results.append(self._tombstone(ref))
        return results

    def _tombstone(self, ref: ItemRef) -> Tombstone:
        return Tombstone(platform=self.platform, account=self.account.key, kind=ref.kind, id=ref.id)
