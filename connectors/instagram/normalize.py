"""Pure functions: Instagram Graph API JSON in, somed records out. No I/O, tested on fixtures.

The shape of an Instagram archive, whichever mode read it (`graph` here, `instaloader` in
`loader_normalize.py`): an Instagram post is an Instagram post.

Streams
- `profile`: one record, kind `profile`, id = the Instagram user id (Graph `ig-user` id; in
  instaloader mode the profile's `userid`), direction `own`.
- `posts`: every media object (IMAGE, VIDEO, CAROUSEL_ALBUM, REELS: all kind `post`, never
  `video`, which is YouTube's) with its comments (kind `comment`, parent = the post) and
  replies (kind `reply`, parent = the comment); `thread_id` is the post's id for all three.
- `messages` (graph mode only, optional): Instagram direct messages through the linked page's
  conversations; kind `message`, parent and thread = the conversation id.

Fields
- `id`: the platform's media/comment/message id as a string; `author` = `{"id": user id or
  None, "name": username}` (Instagram shows usernames, not names; a comment's author id is
  missing when the API leaves `from` out).
- `text`: the caption (post), the comment text, the biography (profile), the message text.
- `created_at`: `timestamp`; `edited_at` is always None (Instagram edits captions without an
  edited time: an edit is found as a changed text, which makes a version).
- `url`: the permalink (`https://www.instagram.com/p/{shortcode}/`); profile
  `https://www.instagram.com/{username}/`.
- `direction`: `own` when the author is the account itself (id, or username for comments
  without an id), else `incoming`.
- `media`: keys stable across re-signed CDN URLs: `ig:media:{id}` (an image or video file of a
  post or carousel child), `ig:thumb:{id}` (a video's cover image), `ig:profile:{path}` (the
  profile picture), `ig:dm:{message id}:{n}` (a message attachment).

`extra` keys (only those present are set)
- post: `media_type` (IMAGE, VIDEO, CAROUSEL_ALBUM), `media_product_type` (FEED, REELS, ...),
  `shortcode`, `children` (`[{"id", "media_type"}]`, carousels), `media_url_missing` (True when
  a video has no file URL, e.g. reels with licensed audio), `comments_disabled` (True);
- comment/reply: `is_hidden` (hidden by the account), `author_hidden` (no `from`);
- profile: `username`, `name`, `website`;
- message: `attachments` (`[{"type", "id"}]`).
Counts (likes, comments, followers, media) move all the time: they stay in the raw JSON kept
beside each version, never in `extra`, which is content (a like would make a new version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.model import Author, MediaRef, Record, canonical_json, parse_utc
from connectors.shapes import edge_items
from connectors.shapes import ident as _ident
from connectors.shapes import object_field as _node
from connectors.shapes import text_field as _text

PLATFORM = "instagram"
WEB = "https://www.instagram.com"

PROFILE_FIELDS = (
    "id,ig_id,username,name,biography,website,followers_count,follows_count,media_count,"
    "profile_picture_url"
)
CHILD_FIELDS = "id,media_type,media_url,thumbnail_url,timestamp"
MEDIA_BASE_FIELDS = (
    "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,"
    f"timestamp,username,like_count,comments_count,is_comment_enabled,children{{{CHILD_FIELDS}}}"
)
COMMENT_BASE_FIELDS = "id,text,timestamp,username,from,hidden,like_count,parent_id"
MESSAGE_FIELDS = "id,message,created_time,from,to,attachments"
MARKER_COMMENTS = 25  # how many first comments a post's change marker covers


def comment_fields(limit: int) -> str:
    """Fields of a comment with its first replies expanded."""
    return f"{COMMENT_BASE_FIELDS},replies.limit({limit}){{{COMMENT_BASE_FIELDS}}}"


def media_fields(comment_limit: int) -> str:
    """Fields of a media object with its first comments (and their replies) expanded."""
    return f"{MEDIA_BASE_FIELDS},comments.limit({comment_limit}){{{comment_fields(comment_limit)}}}"


def listing_fields() -> str:
    """Fields of the cheap listing a re-read compares: enough for `change_marker`."""
    return (
        f"id,timestamp,caption,comments_count,comments.limit({MARKER_COMMENTS}){{id,text,hidden}}"
    )


def conversation_fields(message_limit: int = 20) -> str:
    """Fields of Instagram conversations with their newest messages expanded."""
    return f"id,updated_time,participants,messages.limit({message_limit}){{{MESSAGE_FIELDS}}}"


def change_marker(raw_media: Mapping[str, Any], comments: Iterable[Mapping[str, Any]]) -> str:
    """A post's change signal: caption, comment count and its first comments' texts.

    Instagram has no `updated_time`, so the caption itself is compared; `comments` are the
    post's top-level comments in the order Graph lists them (the first MARKER_COMMENTS count),
    so a full read and the cheap listing give the same marker.
    """
    firsts = []
    for comment in comments:
        if len(firsts) >= MARKER_COMMENTS:
            break
        firsts.append([str(comment.get("id")), comment.get("text"), comment.get("hidden")])
    signal = [raw_media.get("caption"), raw_media.get("comments_count"), firsts]
    text = canonical_json(signal).encode("utf-8", "surrogatepass")  # lone surrogates happen
    return "ig1:" + hashlib.sha256(text).hexdigest()[:32]


def edge_data(raw: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The items of an optional nested edge (`children`, `comments`, `replies`); an item that
    is not an object is a TypeError."""
    items = edge_items(raw, key)
    for item in items:
        if not isinstance(item, dict):
            raise TypeError(f"an item of {key} is {type(item).__name__}, not an object")
    return items


def without_edges(raw: Mapping[str, Any], *edges: str) -> dict[str, Any]:
    """An item as it is normalised (and quarantined): nested comments/replies are items too
    (an item without them is returned as it is, not copied)."""
    if isinstance(raw, dict):
        for edge in edges:
            if edge in raw:
                break
        else:  # no edge there: most items (a plain loop, as a generator cost more than the rest)
            return raw
    return {k: v for k, v in raw.items() if k not in edges}


def _user(raw: Mapping[str, Any], own_id: str, own_name: str | None) -> tuple[Author, str]:
    """The author (`from` or `username`) and the direction of a comment or message."""
    node = _node(raw, "from")
    ident = node.get("id") if node else None
    name = (node.get("username") if node else None) or _text(raw, "username")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"username is {type(name).__name__}, not text")
    author = Author(_ident(ident, "from.id") if ident is not None else None, name)
    own = author.id == own_id if author.id else bool(own_name) and name == own_name
    return author, "own" if own else "incoming"


def _file_refs(raw: Mapping[str, Any], ident: str) -> tuple[list[MediaRef], bool]:
    """The files of one media object (or child): its file and a video's cover image."""
    refs: list[MediaRef] = []
    kind = raw.get("media_type")
    url, thumb = _text(raw, "media_url"), _text(raw, "thumbnail_url")
    video = kind == "VIDEO"
    if url:
        refs.append(MediaRef(f"ig:media:{ident}", url, "video" if video else "image"))
    if video and thumb:
        refs.append(MediaRef(f"ig:thumb:{ident}", thumb, "video_thumbnail"))
    return refs, video and not url


def normalize_media(raw: dict[str, Any], *, user_id: str, account: str) -> Record:
    """A media object (image, video, reel, carousel with every child) as a post record."""
    ident = _ident(raw.get("id"))
    media, missing = _file_refs(raw, ident)
    extra: dict[str, Any] = {}
    for key in ("media_type", "media_product_type", "shortcode"):
        if _text(raw, key) is not None:
            extra[key] = raw[key]
    children = []
    for child in edge_data(raw, "children"):
        child_id = _ident(child.get("id"), "children.id")
        refs, child_missing = _file_refs(child, child_id)
        media += refs
        missing = missing or child_missing
        children.append({"id": child_id, "media_type": child.get("media_type")})
    if children:
        extra["children"] = children
    if missing:
        extra["media_url_missing"] = True
    if raw.get("is_comment_enabled") is False:
        extra["comments_disabled"] = True
    return Record(
        platform=PLATFORM,
        account=account,
        kind="post",
        id=ident,
        parent_id=None,
        thread_id=ident,
        direction="own",
        author=Author(user_id, _text(raw, "username")),
        text=_text(raw, "caption"),
        created_at=parse_utc(raw.get("timestamp")),
        url=_text(raw, "permalink"),
        media=tuple(media),
        extra=extra,
        raw=without_edges(raw, "comments"),
    )


def normalize_comment(
    raw: dict[str, Any], *, media_id: str, user_id: str, username: str | None, account: str,
    parent_id: str | None = None,
) -> Record:  # fmt: skip
    """A comment on a post, or (with `parent_id`, or Graph's own `parent_id`) a reply to one."""
    author, direction = _user(raw, user_id, username)
    parent = parent_id or (_ident(raw["parent_id"], "parent_id") if raw.get("parent_id") else None)
    extra: dict[str, Any] = {}
    if raw.get("hidden") is not None:
        extra["is_hidden"] = bool(raw["hidden"])
    if "from" not in raw:
        extra["author_hidden"] = True
    return Record(
        platform=PLATFORM,
        account=account,
        kind="reply" if parent else "comment",
        id=_ident(raw.get("id")),
        parent_id=parent or media_id,
        thread_id=media_id,
        direction=direction,
        author=author,
        text=_text(raw, "text"),
        created_at=parse_utc(raw.get("timestamp")),
        extra=extra,
        raw=without_edges(raw, "replies"),
    )


def normalize_message(
    raw: dict[str, Any], *, conversation_id: str, user_id: str, username: str | None,
    account: str,
) -> Record:  # fmt: skip
    """An Instagram direct message in one of the linked page's conversations."""
    author, direction = _user(raw, user_id, username)
    ident = _ident(raw.get("id"))
    media: list[MediaRef] = []
    facts: list[dict[str, Any]] = []
    for n, item in enumerate(edge_data(raw, "attachments")):
        url = None
        for key in ("image_data", "video_data", "file_url"):
            value = item.get(key)
            url = value.get("url") if isinstance(value, dict) else value
            if isinstance(url, str) and url:
                kind = "video" if key == "video_data" else "image"
                media.append(MediaRef(f"ig:dm:{ident}:{n}", url, kind))
                break
        facts.append({"type": item.get("type") or ("file" if url else None), "id": item.get("id")})
    return Record(
        platform=PLATFORM,
        account=account,
        kind="message",
        id=ident,
        parent_id=conversation_id,
        thread_id=conversation_id,
        direction=direction,
        author=author,
        text=_text(raw, "message"),
        created_at=parse_utc(raw.get("created_time")),
        media=tuple(media),
        extra={"attachments": facts} if facts else {},
        raw=raw,
    )


def normalize_profile(raw: dict[str, Any], *, account: str) -> Record:
    """The Instagram professional account's profile as a record (counts stay in `raw`)."""
    ident = _ident(raw.get("id"))
    username = _text(raw, "username")
    extra = {k: raw[k] for k in ("username", "name", "website") if _text(raw, k) is not None}
    media: tuple[MediaRef, ...] = ()
    picture = _text(raw, "profile_picture_url")
    if picture:
        key = "ig:profile:" + urlsplit(picture).path
        media = (MediaRef(key, picture, "profile_picture"),)
    return Record(
        platform=PLATFORM,
        account=account,
        kind="profile",
        id=ident,
        parent_id=None,
        thread_id=None,
        direction="own",
        author=Author(ident, username),
        text=_text(raw, "biography"),
        created_at=None,
        url=f"{WEB}/{username}/" if username else None,
        media=media,
        extra=extra,
        raw=raw,
    )


# --- the normaliser registry (`Connector.normalisers`): (raw, context, account) -> Record -----


def _media(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_media(raw, user_id=context["user_id"], account=account)


def _comment(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_comment(
        raw,
        media_id=context["media_id"],
        user_id=context["user_id"],
        username=context.get("username"),
        account=account,
        parent_id=context.get("parent_id"),
    )


def _message(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_message(
        raw,
        conversation_id=context["conversation_id"],
        user_id=context["user_id"],
        username=context.get("username"),
        account=account,
    )


def _profile(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_profile(raw, account=account)


NORMALISERS = {"post": _media, "comment": _comment, "message": _message, "profile": _profile}
