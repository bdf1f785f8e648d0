"""A video's comments: every thread, and every reply of each thread.

`commentThreads.list(part="snippet,replies")` carries at most five replies per thread (and
`totalReplyCount` can be 0 while replies exist); a thread that may hold more has the rest
paged with `comments.list(parentId=...)`. Consecutive pages can repeat items: each id is
taken once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.model import Quarantined, Record, item_id
from connectors.youtube.client import CommentsDisabled, ObjectMissing, YouTubeClient

INLINE_REPLIES = 5  # the most replies a thread carries inline
PAGE = 100  # the most items a comment listing gives per page

Normalise = Callable[[dict[str, Any], dict[str, Any]], Record | Quarantined]


def raw_comments(client: YouTubeClient, video_id: str, stream: str) -> list[dict[str, Any]] | None:
    """Every raw comment and reply of a video, threads in YouTube's order; None when the
    video's comments are turned off (or the video is gone)."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def take(item: Any) -> None:
        ident = item_id(item.get("id")) if isinstance(item, dict) else None
        if ident is None or ident not in seen:
            if ident is not None:
                seen.add(ident)
            found.append(item)

    try:
        for _, body in client.pages(
            "commentThreads", stream, part="snippet,replies", videoId=video_id, maxResults=PAGE
        ):
            for thread in body.get("items", []):
                if not isinstance(thread, dict):
                    continue
                snippet = thread.get("snippet") if isinstance(thread.get("snippet"), dict) else {}
                top = snippet.get("topLevelComment")
                if isinstance(top, dict):
                    take(top)
                else:  # a thread without its comment is kept (quarantined) as it came
                    take(thread)
                    continue
                replies = (thread.get("replies") or {}).get("comments") or []
                replies = [r for r in replies if isinstance(r, dict)]
                for reply in replies:
                    take(reply)
                total = snippet.get("totalReplyCount")
                more = isinstance(total, int) and total > len(replies)
                thread_id = item_id(thread.get("id"))
                if thread_id is not None and (more or len(replies) >= INLINE_REPLIES):
                    for reply in all_replies(client, thread_id, stream):
                        take(reply)
    except (CommentsDisabled, ObjectMissing):
        return None
    return found


def all_replies(client: YouTubeClient, parent_id: str, stream: str) -> list[dict[str, Any]]:
    """Every reply to a top-level comment, through `comments.list(parentId=...)`."""
    replies: list[dict[str, Any]] = []
    for _, body in client.pages(
        "comments", stream, part="snippet", parentId=parent_id, maxResults=PAGE
    ):
        replies.extend(r for r in body.get("items", []) if isinstance(r, dict))
    return replies


def comments_by_id(client: YouTubeClient, ids: list[str], stream: str) -> dict[str, dict[str, Any]]:
    """The comments of `ids` that still exist, by id (`comments.list(id=...)`, 50 a call)."""
    present: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 50):
        chunk = ids[start : start + 50]
        body = client.call("comments", "list", stream, part="snippet", id=",".join(chunk))
        for item in body.get("items", []):
            ident = item_id(item.get("id")) if isinstance(item, dict) else None
            if ident is not None:
                present[ident] = item
    return present
