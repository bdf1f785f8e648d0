"""Pure functions: Graph API JSON in, somed records out. No I/O, tested on fixtures."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.facebook.attachments import (
    ATTACHMENT_FIELDS,
    MESSAGE_ATTACHMENT_FIELDS,
    attachment_parts,
    message_attachments,
    post_attachments,
    stable_key,
)
from connectors.model import Author, MediaRef, Record, canonical_json, parse_utc
from connectors.shapes import edge_items as _edge
from connectors.shapes import ident as _ident
from connectors.shapes import object_field as _node
from connectors.shapes import text_field as _text

PLATFORM = "facebook"

PROFILE_FIELDS = (
    "id,name,username,about,description,link,website,category,fan_count,followers_count,"
    "emails,phone,single_line_address,picture{url},cover{source}"
)
COMMENT_FIELDS = (
    "id,message,created_time,from,parent{id},permalink_url,attachment,is_hidden,message_tags"
)
POST_BASE_FIELDS = (
    f"id,message,story,created_time,updated_time,permalink_url,from,status_type,is_hidden,"
    f"message_tags,{ATTACHMENT_FIELDS}"
)
MESSAGE_FIELDS = f"id,message,created_time,from,to,{MESSAGE_ATTACHMENT_FIELDS}"
TAG_FACTS = ("id", "name", "type", "offset", "length")


def post_fields(comment_limit: int) -> str:
    """Fields for posts with their comments and replies expanded in the same response."""
    return (
        f"{POST_BASE_FIELDS},comments.filter(stream).order(chronological)"
        f".limit({comment_limit}).summary(true){{{COMMENT_FIELDS}}}"
    )


MARKER_COMMENTS = 25  # how many of a post's first comments its change marker covers
MARKER_COMMENT_FIELDS = "id,message,is_hidden"


def listing_fields() -> str:
    """Fields of the cheap listing that re-reads compare: enough to compute `change_marker`."""
    return (
        f"id,created_time,updated_time,comments.filter(stream).order(chronological)"
        f".limit({MARKER_COMMENTS}).summary(true){{{MARKER_COMMENT_FIELDS}}}"
    )


def change_marker(raw_post: dict[str, Any], comments: Iterable[dict[str, Any]]) -> str:
    """A post's change signal: its `updated_time` (moves on edits and new comments), its
    comment count (moves on deletions) and the text of its first comments (edits there).

    `comments` are the post's raw comments in chronological stream order (only the first
    MARKER_COMMENTS count), so a full read and the cheap listing give the same marker.
    """
    nested = raw_post.get("comments") if isinstance(raw_post.get("comments"), dict) else {}
    summary = nested.get("summary") if isinstance(nested.get("summary"), dict) else {}
    firsts = []
    for comment in comments:
        if len(firsts) >= MARKER_COMMENTS:
            break
        firsts.append([str(comment.get("id")), comment.get("message"), comment.get("is_hidden")])
    signal = [raw_post.get("updated_time"), summary.get("total_count"), firsts]
    text = canonical_json(signal).encode("utf-8", "surrogatepass")  # lone surrogates happen
    return "fb1:" + hashlib.sha256(text).hexdigest()[:32]


def conversation_fields(message_limit: int = 20) -> str:
    """Fields for Messenger conversations with their newest messages expanded."""
    return (
        f"id,updated_time,link,message_count,participants,"
        f"messages.limit({message_limit}){{{MESSAGE_FIELDS}}}"
    )


def _author(raw: Any) -> Author:
    if raw is None:
        return Author(None, None)
    if not isinstance(raw, dict):
        raise TypeError(f"from is {type(raw).__name__}, not an object")
    ident = raw.get("id")
    return Author(_ident(ident, "from.id") if ident is not None else None, _text(raw, "name"))


def _direction(author: Author, page_id: str) -> str:
    return "own" if author.id == page_id else "incoming"


def _tags(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """`message_tags` (people and pages named in the text) with their stable facts."""
    tags = raw.get("message_tags")
    if isinstance(tags, dict):  # some versions key the tags by their offset
        tags = [t for group in tags.values() if isinstance(group, list) for t in group]
    if not isinstance(tags, list):
        return []
    return [
        {k: t[k] for k in TAG_FACTS if t.get(k) is not None} for t in tags if isinstance(t, dict)
    ]


def _comment_extra(raw: dict[str, Any]) -> tuple[tuple[MediaRef, ...], dict[str, Any]]:
    """A comment's attachment, tags, hidden state, and whether Graph hid its author."""
    extra: dict[str, Any] = {}
    media: tuple[MediaRef, ...] = ()
    if isinstance(raw.get("attachment"), dict):
        refs, facts = attachment_parts(raw["attachment"])
        media, extra["attachment"] = tuple(refs), facts
    if raw.get("is_hidden") is not None:
        extra["is_hidden"] = raw["is_hidden"]
    if tags := _tags(raw):
        extra["message_tags"] = tags
    if "from" not in raw:  # Graph leaves authors out for tokens without pages_read_user_content
        extra["author_hidden"] = True
    return media, extra


def without_comments(raw: dict[str, Any]) -> dict[str, Any]:
    """A post as it is normalised (and quarantined): its comments are items of their own."""
    return {k: v for k, v in raw.items() if k != "comments"}


def normalize_post(raw: dict[str, Any], *, page_id: str, account: str) -> Record:
    """A page post (without its comments) as a record."""
    author = _author(raw.get("from")) if raw.get("from") else Author(page_id, None)
    post_id = _ident(raw.get("id"))
    body = without_comments(raw)
    extra: dict[str, Any] = {}
    for key in ("story", "status_type", "is_hidden"):
        if raw.get(key) is not None:
            extra[key] = raw[key]
    _edge(raw, "attachments")  # a wrong shape is an error, not "no attachments"
    media, facts = post_attachments(raw)
    if facts:
        extra["attachments"] = facts
    if tags := _tags(raw):
        extra["message_tags"] = tags
    return Record(
        platform=PLATFORM,
        account=account,
        kind="post",
        id=post_id,
        parent_id=None,
        thread_id=post_id,
        direction=_direction(author, page_id),
        author=author,
        text=_text(raw, "message"),
        created_at=parse_utc(raw.get("created_time")),
        url=_text(raw, "permalink_url"),
        media=media,
        extra=extra,
        raw=body,
    )


def normalize_comment(raw: dict[str, Any], *, post_id: str, page_id: str, account: str) -> Record:
    """A comment or reply under a post as a record (`reply` when it has a parent comment)."""
    author = _author(raw.get("from"))
    parent = _node(raw, "parent")
    parent_id = _ident(parent["id"], "parent.id") if parent and parent.get("id") else None
    _node(raw, "attachment")  # a wrong shape is an error, not "no attachment"
    media, extra = _comment_extra(raw)
    return Record(
        platform=PLATFORM,
        account=account,
        kind="reply" if parent_id else "comment",
        id=_ident(raw.get("id")),
        parent_id=parent_id or post_id,
        thread_id=post_id,
        direction=_direction(author, page_id),
        author=author,
        text=_text(raw, "message"),
        created_at=parse_utc(raw.get("created_time")),
        url=_text(raw, "permalink_url"),
        media=media,
        extra=extra,
        raw=raw,
    )


def normalize_message(
    raw: dict[str, Any], *, conversation: dict[str, Any], page_id: str, account: str
) -> Record:
    """A Messenger message in a conversation with the page as a record."""
    author = _author(raw.get("from"))
    _edge(raw, "attachments")  # a wrong shape is an error, not "no attachments"
    media, extra = message_attachments(raw)
    conversation_id = _ident(conversation.get("id"), "conversation id")
    return Record(
        platform=PLATFORM,
        account=account,
        kind="message",
        id=_ident(raw.get("id")),
        parent_id=conversation_id,
        thread_id=conversation_id,
        direction=_direction(author, page_id),
        author=author,
        text=_text(raw, "message"),
        created_at=parse_utc(raw.get("created_time")),
        url=f"https://www.facebook.com{conversation['link']}"
        if str(conversation.get("link", "")).startswith("/")
        else conversation.get("link"),
        media=media,
        extra=extra,
        raw=raw,
    )


def normalize_profile(raw: dict[str, Any], *, account: str) -> Record:
    """The page's public profile (name, description, links, pictures) as a record."""
    extra = {
        key: raw.get(key)
        for key in (
            "name",
            "username",
            "about",
            "description",
            "link",
            "website",
            "category",
            "emails",
            "phone",
            "single_line_address",
        )
        if raw.get(key) is not None
    }
    media: list[MediaRef] = []
    picture = ((raw.get("picture") or {}).get("data") or {}).get("url")
    if picture:
        media.append(MediaRef(key=stable_key(picture), source_url=picture, kind="profile_picture"))
    cover = (raw.get("cover") or {}).get("source")
    if cover:
        media.append(MediaRef(key=stable_key(cover), source_url=cover, kind="cover_photo"))
    page_id = _ident(raw.get("id"))
    texts = [_text(raw, "about"), _text(raw, "description")]
    return Record(
        platform=PLATFORM,
        account=account,
        kind="profile",
        id=page_id,
        parent_id=None,
        thread_id=None,
        direction="own",
        author=Author(page_id, raw.get("name")),
        text="\n\n".join(t for t in texts if t) or None,
        created_at=None,
        url=raw.get("link"),
        media=tuple(media),
        extra=extra,
        raw=raw,
    )


# --- the normaliser registry (`Connector.normalisers`): (raw, context, account) -> Record -----


def _post(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_post(raw, page_id=context["page_id"], account=account)


def _comment(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_comment(
        raw, post_id=context["post_id"], page_id=context["page_id"], account=account
    )


def _message(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_message(
        raw, conversation=context["conversation"], page_id=context["page_id"], account=account
    )


def _profile(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_profile(raw, account=account)


NORMALISERS = {"post": _post, "comment": _comment, "message": _message, "profile": _profile}
