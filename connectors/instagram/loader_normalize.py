"""Pure functions: what instaloader reads from Instagram's web API in, somed records out.

Records have the kinds, fields and `extra` keys of graph mode (see `normalize.py`'s docstring);
ids are Instagram's own (`pk`: the media id, the user id, the comment id), which the web API
gives where Graph gives its own ids.

The raw items kept beside each record:
- a post: the media object of Instagram's web/mobile API (`pk`, `code`, `taken_at`,
  `media_type` 1/2/8, `caption.text`, `user`, `image_versions2`, `video_versions`,
  `carousel_media`, `product_type`, ...), as instaloader received it for a profile's timeline
  or a post's page;
- a comment or reply: `{"id", "text", "created_at" (Unix seconds), "owner": {"id",
  "username"}, "likes_count"}`, what instaloader's `PostComment`/`PostCommentAnswer` give;
- the profile: the user object of the profile page (`pk`, `username`, `full_name`,
  `biography`, `external_url`, `profile_pic_url`, counts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from connectors.instagram.normalize import PLATFORM, WEB
from connectors.instagram.normalize import normalize_profile as graph_profile
from connectors.model import Author, MediaRef, Record, canonical_json
from connectors.shapes import ident as _ident
from connectors.shapes import object_field
from connectors.shapes import text_field as _text

MEDIA_TYPES = {1: "IMAGE", 2: "VIDEO", 8: "CAROUSEL_ALBUM"}
PRODUCT_TYPES = {"feed": "FEED", "carousel_container": "FEED", "clips": "REELS", "igtv": "IGTV"}


def _node(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An optional object field: a dict, or {} when absent or null."""
    return object_field(raw, key) or {}


def epoch(value: Any, what: str = "taken_at") -> datetime:
    """Unix seconds as an aware UTC datetime; else TypeError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} is {type(value).__name__} {value!r:.40}, not Unix seconds")
    return datetime.fromtimestamp(value, UTC)


def _first_url(items: Any, what: str) -> str | None:
    """The URL of the first (largest) version in a list of `{"url", ...}` versions."""
    if items is None:
        return None
    if not isinstance(items, list):
        raise TypeError(f"{what} is {type(items).__name__}, not a list")
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"]:
            return item["url"]
    return None


def _files(raw: Mapping[str, Any], ident: str) -> tuple[list[MediaRef], bool]:
    """The files of one media object or carousel child: image, or video and its cover."""
    image = _first_url(_node(raw, "image_versions2").get("candidates"), "image_versions2")
    video_kind = raw.get("media_type") == 2
    if not video_kind:
        return ([MediaRef(f"ig:media:{ident}", image, "image")] if image else []), False
    refs: list[MediaRef] = []
    video = _first_url(raw.get("video_versions"), "video_versions")
    if video:
        refs.append(MediaRef(f"ig:media:{ident}", video, "video"))
    if image:
        refs.append(MediaRef(f"ig:thumb:{ident}", image, "video_thumbnail"))
    return refs, not video


def media_id(raw: Mapping[str, Any]) -> str:
    """A media object's id: `pk`, or the first part of `id` ("{pk}_{user id}")."""
    if raw.get("pk") is not None:
        return _ident(raw["pk"], "pk")
    return _ident(raw.get("id"), "id").split("_", 1)[0]


def is_pinned(raw: Mapping[str, Any]) -> bool:
    """True when the profile shows this post pinned at the top of its timeline."""
    return bool(raw.get("timeline_pinned_user_ids")) or bool(raw.get("pinned_for_users"))


def marker_of(raw: dict[str, Any]) -> str:
    """A post's change signal in a timeline listing: its caption and comment count."""
    caption = raw.get("caption") if isinstance(raw.get("caption"), dict) else {}
    signal = [caption.get("text"), raw.get("comment_count")]
    text = canonical_json(signal).encode("utf-8", "surrogatepass")  # lone surrogates happen
    return "il1:" + hashlib.sha256(text).hexdigest()[:32]


def normalize_post(raw: dict[str, Any], *, account: str) -> Record:
    """A media object (image, video, reel, carousel with every child) as a post record."""
    ident = media_id(raw)
    kind = raw.get("media_type")
    if kind not in MEDIA_TYPES:
        raise ValueError(f"unknown media_type {kind!r}")
    code = _text(raw, "code") or _text(raw, "shortcode")
    extra: dict[str, Any] = {"media_type": MEDIA_TYPES[kind]}
    product = _text(raw, "product_type")
    if product:
        extra["media_product_type"] = PRODUCT_TYPES.get(product, product.upper())
    if code:
        extra["shortcode"] = code
    media, missing = _files(raw, ident) if kind != 8 else ([], False)
    children = []
    carousel = raw.get("carousel_media") or []
    if not isinstance(carousel, list):
        raise TypeError(f"carousel_media is {type(carousel).__name__}, not a list")
    for n, child in enumerate(c for c in carousel if isinstance(c, dict)):
        child_id = media_id(child) if child.get("pk") or child.get("id") else f"{ident}_{n}"
        refs, child_missing = _files(child, child_id)
        media += refs
        missing = missing or child_missing
        children.append({"id": child_id, "media_type": MEDIA_TYPES.get(child.get("media_type"))})
    if children:
        extra["children"] = children
    if missing:
        extra["media_url_missing"] = True
    if raw.get("comments_disabled") is True:
        extra["comments_disabled"] = True
    user = _node(raw, "user") or _node(raw, "owner")
    user_id = user.get("pk", user.get("id"))
    return Record(
        platform=PLATFORM,
        account=account,
        kind="post",
        id=ident,
        parent_id=None,
        thread_id=ident,
        direction="own",
        author=Author(
            _ident(user_id, "user.pk") if user_id is not None else None, _text(user, "username")
        ),  # fmt: skip
        text=_text(_node(raw, "caption"), "text"),
        created_at=epoch(raw.get("taken_at", raw.get("taken_at_timestamp"))),
        url=f"{WEB}/p/{code}/" if code else None,
        media=tuple(media),
        extra=extra,
        raw=raw,
    )


def normalize_comment(
    raw: dict[str, Any], *, media_id: str, user_id: str, account: str,
    parent_id: str | None = None,
) -> Record:  # fmt: skip
    """A comment on a post, or (with `parent_id`) a reply to a comment."""
    owner = _node(raw, "owner")
    author_id = owner.get("id")
    author = Author(
        _ident(author_id, "owner.id") if author_id is not None else None, _text(owner, "username")
    )
    return Record(
        platform=PLATFORM,
        account=account,
        kind="reply" if parent_id else "comment",
        id=_ident(raw.get("id")),
        parent_id=parent_id or media_id,
        thread_id=media_id,
        direction="own" if author.id == user_id else "incoming",
        author=author,
        text=_text(raw, "text"),
        created_at=epoch(raw.get("created_at"), "created_at"),
        extra={} if owner else {"author_hidden": True},
        raw=raw,
    )


def normalize_profile(raw: dict[str, Any], *, account: str) -> Record:
    """The profile (from its page) as a record, as graph mode makes it; counts stay in `raw`."""
    picture = _text(raw, "profile_pic_url_hd") or _text(raw, "profile_pic_url")
    as_graph = {
        "id": raw.get("pk", raw.get("id")),
        "username": _text(raw, "username") or None,
        "name": _text(raw, "full_name") or None,
        "website": _text(raw, "external_url") or None,
        "biography": _text(raw, "biography"),
        "profile_picture_url": picture or None,
    }
    return replace(graph_profile(as_graph, account=account), raw=raw)


# --- the normaliser registry (raw, context, account) -> Record, by graph mode's kind names; the
# connector picks it for items whose context says `"mode": "instaloader"` ----------------------


def _post(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_post(raw, account=account)


def _comment(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_comment(
        raw,
        media_id=context["media_id"],
        user_id=context["user_id"],
        account=account,
        parent_id=context.get("parent_id"),
    )


def _profile(raw: Any, context: Mapping[str, Any], account: str) -> Record:
    return normalize_profile(raw, account=account)


NORMALISERS = {"post": _post, "comment": _comment, "profile": _profile}
