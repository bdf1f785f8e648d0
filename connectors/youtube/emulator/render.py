"""The emulated resources as the Data API v3 sends them (`kind`, `etag`, `snippet`, ...)."""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime
from typing import Any

from connectors.youtube.emulator.data import Channel, Comment, Video

THUMB_HOST = "https://i.ytimg.com"
AVATAR_HOST = "https://yt3.ggpht.com"


def stamp(moment: datetime, fraction: bool = False) -> str:
    """A timestamp as YouTube writes it: `2026-11-30T08:15:00Z` or with milliseconds."""
    u = moment.astimezone(UTC)
    text = u.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{u.microsecond // 1000:03d}Z" if fraction else f"{text}Z"


def etag(value: Any) -> str:
    """A resource's etag: a digest of its content, as opaque as YouTube's."""
    digest = hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:27]


def _with_etag(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": f"youtube#{kind}", "etag": etag(body), **body}


def thumbnails(path: str) -> dict[str, Any]:
    """The thumbnail sizes of an image path (all on i.ytimg.com)."""
    sizes = {"default": (120, 90), "medium": (320, 180), "high": (480, 360),
             "standard": (640, 480), "maxres": (1280, 720)}  # fmt: skip
    return {
        name: {"url": f"{THUMB_HOST}/vi/{path}/{name}.jpg", "width": w, "height": h}
        for name, (w, h) in sizes.items()
    }


def channel(c: Channel, parts: set[str]) -> dict[str, Any]:
    """A `youtube#channel` with the requested parts."""
    body: dict[str, Any] = {"id": c.id}
    if "snippet" in parts:
        body["snippet"] = {
            "title": c.title,
            "description": c.description,
            "customUrl": c.handle,
            "publishedAt": stamp(c.published),
            "thumbnails": {"default": {"url": f"{AVATAR_HOST}/ytc/{c.id}=s88"},
                           "high": {"url": f"{AVATAR_HOST}/ytc/{c.id}=s800"}}
            if c.pictures else {},
            "localized": {"title": c.title, "description": c.description},
            "country": c.country,
        }  # fmt: skip
    if "contentDetails" in parts:
        body["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": c.uploads}}
    if "statistics" in parts:
        body["statistics"] = {
            "viewCount": str(1000 * len(c.videos)),
            "subscriberCount": "1200",
            "hiddenSubscriberCount": False,
            "videoCount": str(len(c.videos)),
        }
    if "brandingSettings" in parts:
        body["brandingSettings"] = {
            "channel": {"title": c.title, "description": c.description,
                        "keywords": "kommun \"Dalarna\" service", "country": c.country},
            "image": {"bannerExternalUrl": f"{AVATAR_HOST}/banner/{c.id}"} if c.pictures else {},
        }  # fmt: skip
    return _with_etag("channel", body)


def playlist_item(c: Channel, v: Video, position: int) -> dict[str, Any]:
    """A `youtube#playlistItem` of the uploads playlist (contentDetails and snippet)."""
    private = v.privacy == "private"
    details: dict[str, Any] = {"videoId": v.id}
    if not private:  # a private video's item has no publication time, and no real title
        details["videoPublishedAt"] = stamp(v.published, v.fraction)
    return _with_etag("playlistItem", {
        "id": hashlib.sha1(f"{c.uploads}{v.id}".encode()).hexdigest()[:32],
        "snippet": {"publishedAt": stamp(v.published), "channelId": c.id,
                    "title": "Private video" if private else v.title,
                    "description": "This video is private." if private else (v.description or ""),
                    "playlistId": c.uploads, "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": v.id}},
        "contentDetails": details,
    })  # fmt: skip


def video(c: Channel, v: Video, parts: set[str]) -> dict[str, Any]:
    """A `youtube#video` with the requested parts; optional fields left out where unset."""
    body: dict[str, Any] = {"id": v.id}
    if "snippet" in parts:
        snippet: dict[str, Any] = {
            "publishedAt": stamp(v.published, v.fraction),
            "channelId": c.id,
            "title": v.title,
            "description": v.description or "",
            "thumbnails": thumbnails(v.id)
            if v.thumbnail_url is None
            else {"high": {"url": v.thumbnail_url, "width": 480, "height": 360}},
            "channelTitle": c.title,
            "categoryId": "25",
            "liveBroadcastContent": "none",
            "localized": {"title": v.title, "description": v.description or ""},
        }
        if v.tags is not None:
            snippet["tags"] = v.tags
            snippet["defaultLanguage"] = "sv"
        body["snippet"] = snippet
    if "contentDetails" in parts:
        details: dict[str, Any] = {
            "dimension": "2d",
            "definition": "hd",
            "caption": "true" if v.captions else "false",
            "licensedContent": False,
            "projection": "rectangular",
        }
        if v.duration:
            details["duration"] = v.duration
        body["contentDetails"] = details
    if "status" in parts:
        body["status"] = {"uploadStatus": v.upload_status, "privacyStatus": v.privacy,
                          "license": "youtube", "embeddable": True, "publicStatsViewable": True,
                          "madeForKids": False}  # fmt: skip
    if "statistics" in parts:
        stats = {"viewCount": "431", "likeCount": "12", "favoriteCount": "0"}
        if not v.comments_disabled:  # YouTube leaves the count out when comments are off
            stats["commentCount"] = str(len(v.threads) + sum(map(len, v.replies.values())))
        body["statistics"] = stats
    return _with_etag("video", body)


def display_html(text: str) -> str:
    """`textDisplay`: the text as HTML (entities, links, line breaks), as YouTube renders it."""
    escaped = html.escape(text, quote=False).replace("\n", "<br>")
    words = []
    for word in escaped.split(" "):
        if word.startswith("https://"):
            word = f'<a href="{word}">{word}</a>'
        words.append(word)
    return " ".join(words)


def comment(c: Channel, m: Comment) -> dict[str, Any]:
    """A `youtube#comment` (a top-level comment or a reply)."""
    snippet: dict[str, Any] = {
        "channelId": c.id,
        "videoId": m.video_id,
        "textDisplay": display_html(m.text),
        "textOriginal": m.text,
        "authorDisplayName": m.author_name,
        "authorProfileImageUrl": f"{AVATAR_HOST}/ytc/{m.author_id or 'anon'}=s48",
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": stamp(m.published, m.fraction),
        "updatedAt": stamp(m.updated, m.fraction),
    }
    if m.author_id is not None:
        snippet["authorChannelUrl"] = f"http://www.youtube.com/channel/{m.author_id}"
        snippet["authorChannelId"] = {"value": m.author_id}
    if m.parent_id is not None:
        snippet["parentId"] = m.parent_id
    return _with_etag("comment", {"id": m.id, "snippet": snippet})


def thread(c: Channel, v: Video, top: Comment, inline: int = 5) -> dict[str, Any]:
    """A `youtube#commentThread` with its first replies inline (at most five)."""
    replies = v.replies.get(top.id, [])
    body: dict[str, Any] = {
        "id": top.id,
        "snippet": {
            "channelId": c.id, "videoId": v.id, "topLevelComment": comment(c, top),
            "canReply": True, "isPublic": True,
            "totalReplyCount": 0 if v.zero_reply_count else len(replies),
        },
    }  # fmt: skip
    if replies:
        body["replies"] = {"comments": [comment(c, r) for r in replies[:inline]]}
    return _with_etag("commentThread", body)


def caption(v: Video, track: dict[str, str]) -> dict[str, Any]:
    """A `youtube#caption` track's metadata."""
    return _with_etag("caption", {"id": track["id"], "snippet": {
        "videoId": v.id, "lastUpdated": stamp(v.published), "trackKind": track["trackKind"],
        "language": track["language"], "name": track["name"], "audioTrackType": "unknown",
        "isCC": False, "isLarge": False, "isEasyReader": False, "isDraft": False,
        "isAutoSynced": False, "status": "serving"}})  # fmt: skip


def list_response(kind: str, items: list[dict[str, Any]], *, total: int, per_page: int,
                  next_token: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A list answer: `kind`, `etag`, `nextPageToken` (when more), `pageInfo`, `items`."""
    body: dict[str, Any] = {}
    if next_token:
        body["nextPageToken"] = next_token
    body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
    body["items"] = items
    return _with_etag(f"{kind}ListResponse", body)


def error(code: int, reason: str, message: str, domain: str = "api") -> dict[str, Any]:
    """The Google error envelope; `domain` is YouTube's (`api` -> `youtube.api`) unless it is
    Google's own (`global`, `usageLimits`)."""
    where = domain if domain in ("global", "usageLimits") else f"youtube.{domain}"
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": where, "reason": reason}],
        }
    }
