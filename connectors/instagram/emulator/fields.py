"""Graph's `fields` parameter as the Instagram emulator reads it, and the objects it renders.

`comments.limit(25){id,text,replies.limit(5){id}}` becomes a tree of `Field`s; `render_*`
turn the emulator's objects into Graph JSON with only the fields asked for, leaving optional
fields out the way Graph does (no `like_count` when the owner hides it, no `media_url` for a
reel with licensed audio, no `from` when the commenter is gone).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.instagram.emulator.data import Account, Comment, Media, Message, stamp

_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\([^)]*\)|[.{},])")


@dataclass(frozen=True)
class Field:
    """One requested field, with its `.limit(n)` and its sub-fields (None: defaults)."""

    name: str
    limit: int | None = None
    sub: tuple[Field, ...] | None = None


class FieldsError(ValueError):
    """A `fields` value Graph would refuse (code 100)."""


def parse(text: str) -> tuple[Field, ...]:
    """Parse a `fields` value into `Field`s; raise FieldsError when it is not well formed."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise FieldsError(f"Syntax error in fields {text!r}")
    pos, fields = _list(tokens, 0)
    if pos != len(tokens):
        raise FieldsError(f"Syntax error in fields {text!r}")
    return fields


def _list(tokens: list[str], pos: int) -> tuple[int, tuple[Field, ...]]:
    out: list[Field] = []
    while pos < len(tokens) and tokens[pos] != "}":
        if tokens[pos] == ",":
            pos += 1
            continue
        name, pos, limit, sub = tokens[pos], pos + 1, None, None
        while pos + 2 < len(tokens) and tokens[pos] == "." and tokens[pos + 2][:1] == "(":
            if tokens[pos + 1] == "limit":
                try:
                    limit = int(tokens[pos + 2][1:-1])
                except ValueError as exc:
                    raise FieldsError(f"limit{tokens[pos + 2]} is not a number") from exc
            pos += 3
        if pos < len(tokens) and tokens[pos] == "{":
            pos, sub = _list(tokens, pos + 1)
            if pos >= len(tokens) or tokens[pos] != "}":
                raise FieldsError("Expected } in fields")
            pos += 1
        out.append(Field(name, limit, sub))
    return pos, tuple(out)


DEFAULTS = {
    "media": (Field("id"),),
    "comment": (Field("id"), Field("text"), Field("timestamp")),
    "user": (Field("id"),),
    "conversation": (Field("id"),),
    "message": (Field("id"), Field("created_time")),
}

Edge = Callable[[list[Any], Field, str], dict[str, Any]]  # items, field, owner id -> edge body


def _pick(values: dict[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    return {f.name: values[f.name] for f in fields if values.get(f.name) is not None}


def _count(media: Media) -> int:
    """Graph's `comments_count`: live comments and their live replies."""
    live = [c for c in media.comments if not c.deleted]
    return len(live) + sum(1 for c in live for r in c.replies if not r.deleted)


def render_media(media: Media, fields: tuple[Field, ...] | None, cdn: str, edge: Edge) -> dict:
    """A media object with the requested fields (children and comments as nested edges)."""
    fields = fields or DEFAULTS["media"]
    name = "mp4" if media.media_type == "VIDEO" else "jpg"
    values: dict[str, Any] = {
        "id": media.id,
        "caption": media.caption,
        "media_type": media.media_type,
        "media_product_type": media.product_type if media.shortcode else None,
        "media_url": cdn.format(name=f"{media.id}_n.{name}")
        if media.has_file and media.media_type != "CAROUSEL_ALBUM"
        else None,  # fmt: skip
        "thumbnail_url": cdn.format(name=f"{media.id}_thumb.jpg")
        if media.media_type == "VIDEO"
        else None,  # fmt: skip
        "permalink": f"https://www.instagram.com/p/{media.shortcode}/" if media.shortcode else None,
        "shortcode": media.shortcode or None,
        "timestamp": stamp(media.timestamp),
        "like_count": media.like_count,
        "comments_count": _count(media) if media.shortcode else None,
        "is_comment_enabled": media.comments_enabled if media.shortcode else None,
    }
    out = _pick(values, fields)
    for f in fields:
        if f.name == "children" and media.children:
            kids = (render_media(c, f.sub, cdn, edge) for c in media.children)
            out["children"] = {"data": list(kids)}
        if f.name == "comments":
            out["comments"] = edge([c for c in media.comments if not c.deleted], f, media.id)
    return out


def render_comment(comment: Comment, fields: tuple[Field, ...] | None, edge: Edge) -> dict:
    """A comment or reply with the requested fields (replies as a nested edge)."""
    fields = fields or DEFAULTS["comment"]
    user = {"id": comment.user_id, "username": comment.username} if comment.user_id else None
    values = {
        "id": comment.id,
        "text": comment.text,
        "timestamp": stamp(comment.timestamp),
        "username": comment.username,
        "from": user,
        "hidden": comment.hidden,
        "like_count": comment.like_count,
        "parent_id": comment.parent_id,
    }
    out = _pick(values, fields)
    for f in fields:
        if f.name == "replies" and comment.parent_id is None:
            out["replies"] = edge([r for r in comment.replies if not r.deleted], f, comment.id)
    return out


def render_user(account: Account, fields: tuple[Field, ...] | None, cdn: str) -> dict:
    """The Instagram user with the requested fields."""
    values = {
        "id": account.user_id,
        "ig_id": int(account.user_id[-9:]),
        "username": account.username,
        "name": account.name,
        "biography": account.biography,
        "website": account.website,
        "followers_count": account.followers,
        "follows_count": account.follows,
        "media_count": len(account.live_media()),
        "profile_picture_url": cdn.format(name=f"profile_{account.user_id}.jpg"),
    }
    return _pick(values, fields or DEFAULTS["user"])


def render_message(message: Message, fields: tuple[Field, ...] | None, cdn: str,
                   account: Account) -> dict:  # fmt: skip
    """A direct message with the requested fields."""
    me = {"id": account.user_id, "username": account.username}
    sender = {"id": message.sender_id, "username": message.sender_username}
    own = message.sender_id == account.user_id
    values = {
        "id": message.id,
        "message": message.text,
        "created_time": stamp(message.created),
        "from": sender,
        "to": {"data": [sender if own else me]},
        "attachments": {"data": [{"image_data": {"url": cdn.format(name=message.attachment)}}]}
        if message.attachment
        else None,  # fmt: skip
    }
    return _pick(values, fields or DEFAULTS["message"])
