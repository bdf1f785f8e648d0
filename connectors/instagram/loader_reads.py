"""What instaloader asks Instagram for in mode `instaloader`, and the raw items kept of it."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from instaloader import Post

from connectors.instagram.loader_normalize import media_id

# What the web app sends for a profile's posts tab (instaloader 4.16, `Profile.get_posts`): the
# timeline of a logged-in visitor, and the logged-out one that continues the profile page.
TIMELINE_DOC = "29104886249145907"
TIMELINE_KEY = "xdt_api__v1__feed__user_timeline_graphql_connection"
LOGGED_OUT_DOC = "28904005159232689"
VIEWER_QUERY = "d6f4427fbe92d846298cf93df0b937d3"  # who the session is (`test_login`)
PAGE_LENGTH = 12


def timeline_variables(username: str) -> dict[str, Any]:
    """The variables of the timeline query, as the web app sends them."""
    return {
        "data": {
            "count": PAGE_LENGTH,
            "include_reel_media_seen_timestamp": True,
            "include_relationship_info": True,
            "latest_besties_reel_media": True,
            "latest_reel_media": True,
        },
        "first": PAGE_LENGTH,
        "include_multi_captions": True,
        "username": username,
        "__relay_internal__pv__PolarisMultiCaptionCarouselEnabledrelayprovider": True,
        "__relay_internal__pv__PolarisShortDramaEnabledrelayprovider": True,
        "__relay_internal__pv__PolarisSEOIsCrawlerrelayprovider": False,
        "__relay_internal__pv__PolarisThreadsStyleCommentsEnabledrelayprovider": False,
        "__relay_internal__pv__PolarisReelsRecoDebugOverlayEnabledrelayprovider": False,
    }


def paging(after: str) -> dict[str, Any]:
    """The paging variables of a next timeline page."""
    return {"after": after, "before": None, "first": PAGE_LENGTH, "last": None}


def listed_id(raw: Any) -> str | None:
    """A timeline item's id, when it has a usable one (for the paging guards)."""
    try:
        return media_id(raw)
    except (TypeError, ValueError, AttributeError):
        return None


def comment_shell(raw: Any, post_id: str) -> dict[str, Any] | None:
    """What instaloader's `Post.get_comments` reads a post's comments by (id, shortcode, comment
    count), taken from its media object; None when it has no comments (or no usable count)."""
    count = raw.get("comment_count") if isinstance(raw, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return None
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        code = Post.mediaid_to_shortcode(int(post_id))
    return {
        "id": post_id,
        "shortcode": code,
        "__typename": "GraphImage",
        "edge_media_to_comment": {"count": count},
        "edge_media_to_parent_comment": {"count": count, "edges": []},  # read page by page
    }


def comment_raw(comment: Any) -> dict[str, Any]:
    """A `PostComment` or `PostCommentAnswer` as the raw item kept (see loader_normalize)."""
    owner = comment.owner
    return {
        "id": str(comment.id),
        "text": comment.text,
        "created_at": int(comment.created_at_utc.replace(tzinfo=UTC).timestamp()),
        "owner": {"id": str(owner.userid), "username": owner.username},
        "likes_count": comment.likes_count,
    }


# what instaloader adds to a post page's media object (`Post._normalize_post_data`)
_ADDED = frozenset({
    "shortcode", "__typename", "is_video", "taken_at_timestamp", "owner", "display_url",
    "video_url", "video_duration", "video_view_count", "video_play_count", "viewer_has_liked",
})  # fmt: skip


def media_of(post: Post) -> dict[str, Any]:
    """The media object Instagram sent for a post, without what instaloader added to it."""
    node = post._node
    if isinstance(node.get("iphone_struct"), dict):
        return node["iphone_struct"]
    return {k: v for k, v in node.items() if k not in _ADDED and not k.startswith("edge_")}
