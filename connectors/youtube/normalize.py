"""Pure functions: YouTube Data API v3 JSON in, somed records out. No I/O, tested on fixtures.

Kinds, streams and `extra` keys:

- `profile` (stream `profile`): a `youtube#channel`; text is the channel description; media the
  avatar (`profile_picture`) and the banner (`cover_photo`); extra `title`, `handle`,
  `country`, `uploads_playlist`, `keywords`.
- `video` (stream `posts`): a `youtube#video`; text is the title, a blank line and the
  description; media the best thumbnail (`thumbnail`) and, with `download_video`, the file
  (`video`); extra `title` (the rest of the text is the description), `duration`,
  `privacy`, `upload_status`, `tags`, `category_id`, `live`, `license`, `made_for_kids`,
  `language`, `has_captions`, and `captions` (the caption tracks' metadata, when the
  account reads them).
- `comment` / `reply` (stream `posts`): a `youtube#comment`, the top-level comment of a thread
  or one of its replies; parent is the video (comment) or the top-level comment (reply), the
  thread is the video; text is `textOriginal` (plain), else `textDisplay` (HTML) as plain
  text; `edited_at` is `updatedAt` when it differs from `publishedAt`; extra
  `moderation_status` where YouTube gives it.

Counts (views, likes, subscribers) change all the time and are no edit: they stay in the raw
payload, out of the content, so they make no new versions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from connectors.model import Author, MediaRef, Record, parse_utc

PLATFORM = "youtube"
WATCH_URL = "https://www.youtube.com/watch?v={id}"
CHANNEL_URL = "https://www.youtube.com/channel/{id}"
THUMBNAIL_SIZES = ("maxres", "standard", "high", "medium", "default")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def plain_text(display: str) -> str:
    """YouTube's `textDisplay` (HTML: links, `<br />`, entities) as plain text."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", display)))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _words(raw: Mapping[str, Any], key: str) -> str | None:
    """A text field that must be a string when present (a title, a description)."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value or None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def best_thumbnail(thumbnails: Any) -> str | None:
    """The URL of the largest thumbnail YouTube lists (maxres first), or None."""
    if thumbnails is not None and not isinstance(thumbnails, dict):
        raise TypeError(f"thumbnails is {type(thumbnails).__name__}, not an object")
    sizes = _dict(thumbnails)
    for size in THUMBNAIL_SIZES:
        url = _text(_dict(sizes.get(size)).get("url"))
        if url:
            return url
    return None


def _id(raw: Mapping[str, Any]) -> str:
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError(f"id is {type(ident).__name__} {ident!r:.40}, not a non-empty string")
    return ident


def _profile(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    channel_id = _id(raw)
    snippet = _dict(raw.get("snippet"))
    branding = _dict(raw.get("brandingSettings"))
    playlists = _dict(_dict(raw.get("contentDetails")).get("relatedPlaylists"))
    media: list[MediaRef] = []
    avatar = best_thumbnail(snippet.get("thumbnails"))
    if avatar:
        media.append(MediaRef(f"youtube:{channel_id}:avatar", avatar, "profile_picture"))
    banner = _text(_dict(branding.get("image")).get("bannerExternalUrl"))
    if banner:
        media.append(MediaRef(f"youtube:{channel_id}:banner", banner, "cover_photo"))
    extra = {
        "title": _text(snippet.get("title")),
        "handle": _text(snippet.get("customUrl")),
        "country": _text(snippet.get("country")),
        "uploads_playlist": _text(playlists.get("uploads")),
        "keywords": _text(_dict(branding.get("channel")).get("keywords")),
    }
    return Record(
        platform=PLATFORM,
        account=account,
        kind="profile",
        id=channel_id,
        parent_id=None,
        thread_id=None,
        direction="own",
        author=Author(channel_id, _text(snippet.get("title"))),
        text=_text(snippet.get("description")),
        created_at=parse_utc(snippet.get("publishedAt")),
        url=CHANNEL_URL.format(id=channel_id),
        media=tuple(media),
        extra={k: v for k, v in extra.items() if v is not None},
        raw=raw,
    )


def _video(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    video_id = _id(raw)
    snippet = _dict(raw.get("snippet"))
    details = _dict(raw.get("contentDetails"))
    status = _dict(raw.get("status"))
    title = _words(snippet, "title")
    description = _words(snippet, "description")
    text = "\n\n".join(part for part in (title, description) if part) or None
    channel = _text(snippet.get("channelId"))
    own = context.get("channel_id")
    media: list[MediaRef] = []
    thumbnail = best_thumbnail(snippet.get("thumbnails"))
    if thumbnail:
        media.append(MediaRef(f"youtube:{video_id}:thumbnail", thumbnail, "thumbnail"))
    template = context.get("video_url")
    if isinstance(template, str) and template:
        media.append(MediaRef(f"youtube:{video_id}:video", template.format(id=video_id), "video"))
    tags = snippet.get("tags")
    extra: dict[str, Any] = {
        "title": title,
        "duration": _text(details.get("duration")),
        "privacy": _text(status.get("privacyStatus")),
        "upload_status": _text(status.get("uploadStatus")),
        "tags": [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else None,
        "category_id": _text(snippet.get("categoryId")),
        "live": _text(snippet.get("liveBroadcastContent")),
        "license": _text(status.get("license")),
        "made_for_kids": status.get("madeForKids") if isinstance(
            status.get("madeForKids"), bool) else None,
        "language": _text(snippet.get("defaultLanguage")),
        "has_captions": {"true": True, "false": False}.get(str(details.get("caption"))),
    }  # fmt: skip
    captions = context.get("captions")
    if isinstance(captions, list):
        extra["captions"] = captions
    return Record(
        platform=PLATFORM,
        account=account,
        kind="video",
        id=video_id,
        parent_id=None,
        thread_id=video_id,
        direction="own" if own is None or channel in (None, own) else "incoming",
        author=Author(channel, _text(snippet.get("channelTitle"))),
        text=text,
        created_at=parse_utc(snippet.get("publishedAt")),
        url=WATCH_URL.format(id=video_id),
        media=tuple(media),
        extra={k: v for k, v in extra.items() if v is not None},
        raw=raw,
    )


def caption_facts(raw: dict[str, Any]) -> dict[str, Any]:
    """The metadata of one `youtube#caption` track that the video record keeps."""
    snippet = _dict(raw.get("snippet"))
    facts = {
        "id": _text(raw.get("id")),
        "language": _text(snippet.get("language")),
        "name": _text(snippet.get("name")),
        "kind": _text(snippet.get("trackKind")),
        "updated_at": _text(snippet.get("lastUpdated")),
    }
    return {k: v for k, v in facts.items() if v is not None}


def _comment(raw: dict[str, Any], context: Mapping[str, Any], account: str) -> Record:
    comment_id = _id(raw)
    snippet = _dict(raw.get("snippet"))
    video_id = _text(snippet.get("videoId")) or _text(context.get("video_id"))
    if video_id is None:
        raise ValueError("comment without a video id")
    parent = _text(snippet.get("parentId"))
    author_id = _text(_dict(snippet.get("authorChannelId")).get("value"))
    original = snippet.get("textOriginal")
    display = snippet.get("textDisplay")
    if isinstance(original, str):
        text: str | None = original
    elif isinstance(display, str):
        text = plain_text(display)
    elif original is None and display is None:
        text = None
    else:
        raise TypeError(f"comment text is {type(original or display).__name__}, not a string")
    created = parse_utc(snippet.get("publishedAt"))
    updated = parse_utc(snippet.get("updatedAt"))
    own = context.get("channel_id")
    extra = {"moderation_status": _text(snippet.get("moderationStatus"))}
    return Record(
        platform=PLATFORM,
        account=account,
        kind="reply" if parent else "comment",
        id=comment_id,
        parent_id=parent or video_id,
        thread_id=video_id,
        direction="own" if own is not None and author_id == own else "incoming",
        author=Author(author_id, _text(snippet.get("authorDisplayName"))),
        text=text,
        created_at=created,
        edited_at=updated if updated is not None and updated != created else None,
        url=f"{WATCH_URL.format(id=video_id)}&lc={comment_id}",
        extra={k: v for k, v in extra.items() if v is not None},
        raw=raw,
    )


NORMALISERS = {"profile": _profile, "video": _video, "comment": _comment}
