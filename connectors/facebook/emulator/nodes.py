"""The Facebook emulator's node fields: each Graph field's value, CDN image URLs and the images."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from connectors.emulation.media import media_bytes
from connectors.facebook.emulator.data import PostData, TokenInfo
from connectors.facebook.emulator.store import Entry, GraphStore

CDN_URL = "https://scontent.xx.fbcdn.net"
STATUS_TYPES = {"video": "added_video", "share": "shared_story", "event": "created_event"}


@dataclass
class Ctx:
    """Per-request context: version, token, response serial (for signed URLs), time."""

    serial: int
    now: datetime
    version: str = ""
    token: str | None = None
    info: TokenInfo | None = None
    page_id: str | None = None


Getter = Callable[[Entry, Ctx], Any]


@lru_cache(maxsize=1 << 17)
def fmt(moment: datetime) -> str:
    """Format a time the way Graph does (`2025-03-01T12:00:00+0000`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def numeric_id(name: str) -> str:
    """Return a stable numeric object id derived from `name`."""
    return str(int(hashlib.sha256(name.encode()).hexdigest()[:13], 16))


def media_file(file_name: str) -> tuple[bytes, str]:
    """The bytes and type the CDN serves for a media path's last segment (`name.ext`)."""
    name, _, ext = file_name.rpartition(".")
    known = ext in ("png", "mp4", "mp3", "pdf")
    return media_bytes(ext if known else "png", name if known else file_name)


def cdn(name: str, ctx: Ctx, ext: str = "png") -> str:
    """Return a signed-looking CDN URL: the path is stable, the query changes per response."""
    digest = hashlib.sha256(f"{name}:{ctx.serial}".encode()).hexdigest()[:40]
    expires = int(ctx.now.timestamp()) + 3 * 86400
    return f"{CDN_URL}/media/{name}.{ext}?oh=00_{digest}&oe={expires:08X}"


def _photo(name: str, ctx: Ctx) -> dict[str, Any]:
    photo_id = numeric_id(name)
    link = f"https://www.facebook.com/photo.php?fbid={photo_id}"
    return {
        "media": {"image": {"height": 540, "src": cdn(name, ctx), "width": 720}},
        "target": {"id": photo_id, "url": link},
        "type": "photo",
        "media_type": "photo",
        "url": link,
    }


def _shared_link(name: str, ctx: Ctx) -> dict[str, Any]:
    """A link share as Graph gives it: the shimmed `url`, the real `unshimmed_url`, a preview."""
    target = f"https://www.mora.se/nyheter/{name}"
    shim = f"https://l.facebook.com/l.php?u={quote(target, safe='')}&h=AT{ctx.serial:06d}"
    return {
        "media": {"image": {"height": 630, "src": cdn(f"preview_{name}", ctx), "width": 1200}},
        "target": {"url": shim},
        "title": f"Nyhet: {name}",
        "description": "Läs mer på kommunens webbplats.",
        "type": "share",
        "media_type": "link",
        "url": shim,
        "unshimmed_url": target,
    }


def _other_attachment(kind: str, name: str, page_id: str, ctx: Ctx) -> dict[str, Any]:
    """A video, link share, event, sticker or GIF attachment."""
    ident = numeric_id(f"{kind}_{name}")
    if kind == "video":
        link = f"https://www.facebook.com/{page_id}/videos/{ident}/"
        return {
            "media": {
                "image": {"height": 720, "src": cdn(f"thumb_{name}", ctx), "width": 1280},
                "source": cdn(f"video_{name}", ctx, "mp4"),
            },
            "target": {"id": ident, "url": link},
            "title": "Film från kommunen",
            "type": "video_inline",
            "media_type": "video",
            "url": link,
        }
    if kind == "share":
        return _shared_link(name, ctx)
    if kind == "event":
        link = f"https://www.facebook.com/events/{ident}/"
        return {
            "media": {"image": {"height": 400, "src": cdn(f"event_{name}", ctx), "width": 800}},
            "target": {"id": ident, "url": link},
            "title": "Öppet hus i kommunhuset",
            "description": "Välkommen på öppet hus!",
            "type": "event",
            "media_type": "event",
            "url": link,
        }
    sticker = kind == "sticker"
    link = f"https://www.facebook.com/{'stickers' if sticker else 'gif'}/{ident}"
    return {
        "media": {"image": {"height": 240, "src": cdn(f"{kind}_{name}", ctx), "width": 240}},
        "target": {"id": ident, "url": link},
        "type": "sticker" if sticker else "animated_image_share",
        "url": link,
    }


def _attachments(post: PostData, ctx: Ctx, page_id: str) -> dict[str, Any]:
    if post.attachment:
        return {"data": [_other_attachment(post.attachment, post.id, page_id, ctx)]}
    photos = [_photo(f"photo_{post.id}_{i + 1}", ctx) for i in range(post.images)]
    if len(photos) == 1:
        return {"data": photos}
    album_id = numeric_id(f"album_{post.id}")
    link = f"https://www.facebook.com/media/set/?set=a.{album_id}"
    return {
        "data": [
            {
                "media": photos[0]["media"],
                "target": {"id": album_id, "url": link},
                "title": "Foton",
                "type": "album",
                "media_type": "album",
                "url": link,
                "subattachments": {"data": photos},
            }
        ]
    }


def _comment_link(entry: Entry, ctx: Ctx) -> str:
    assert entry.post is not None
    page_id, post_n = entry.post.id.split("_", 1)
    link = f"https://www.facebook.com/{page_id}/posts/{post_n}?comment_id="
    own = entry.id.rsplit("_", 1)[-1]
    if entry.parent is None:
        return link + own
    return f"{link}{entry.parent.id.rsplit('_', 1)[-1]}&reply_comment_id={own}"


def _comment_attachment(entry: Entry, ctx: Ctx) -> dict[str, Any] | None:
    if entry.obj.attachment:
        kind = {"gif": "animated_image_share"}.get(entry.obj.attachment, entry.obj.attachment)
        attachment = _other_attachment(kind, entry.id, entry.page_id, ctx)
        attachment.pop("media_type", None)  # a comment's attachment has no media_type
        return attachment
    if not entry.obj.images:
        return None
    photo = _photo(f"comment_{entry.id}", ctx)
    del photo["media_type"]
    return photo


def _message_tags(text: str, tags: tuple[tuple[str, str], ...]) -> list[dict[str, Any]] | None:
    """`message_tags` of a text: who is named where (offsets in UTF-16 units, as Graph)."""
    found = []
    for ident, name in tags:
        at = text.find(name)
        offset = len(text[: max(at, 0)].encode("utf-16-le")) // 2
        found.append({"id": ident, "name": name, "type": "page", "offset": offset,
                      "length": len(name.encode("utf-16-le")) // 2})  # fmt: skip
    return found or None


def _message_files(entry: Entry, ctx: Ctx) -> dict[str, Any] | None:
    """A message's `attachments`: an image, video (with preview), audio clip or file."""
    kind = entry.obj.attachment
    if not kind:
        return None
    name, ident = f"msg_{entry.id}", numeric_id(f"att_{entry.id}")
    item: dict[str, Any] = {"id": ident}
    if kind == "image":
        item |= {"mime_type": "image/png", "name": f"{name}.png", "size": 2048,
                 "image_data": {"url": cdn(name, ctx), "preview_url": cdn(f"p_{name}", ctx),
                                "width": 16, "height": 12}}  # fmt: skip
    elif kind == "video":
        item |= {"mime_type": "video/mp4", "name": f"{name}.mp4", "size": 40960,
                 "video_data": {"url": cdn(name, ctx, "mp4"),
                                "preview_url": cdn(f"p_{name}", ctx), "width": 640,
                                "height": 360, "length": 12, "rotation": 0}}  # fmt: skip
    elif kind == "audio":
        item |= {"mime_type": "audio/mpeg", "name": f"{name}.mp3", "size": 8192,
                 "file_url": cdn(name, ctx, "mp3")}  # fmt: skip
    else:
        item |= {"mime_type": "application/pdf", "name": f"{name}.pdf", "size": 4096,
                 "file_url": cdn(name, ctx, "pdf")}  # fmt: skip
    return {"data": [item]}


def _present(value: Any) -> Any:
    return None if value == "" else value


def _party(party: tuple[str, str]) -> dict[str, str]:
    return {"name": party[1], "email": f"{party[0]}@facebook.com", "id": party[0]}


def build_getters(store: GraphStore) -> dict[str, dict[str, Getter]]:
    """Return, per node kind, a function per field (returning None leaves the field out)."""
    own = store.owner

    def parties(entry: Entry) -> tuple[tuple[str, str], tuple[str, str]]:
        """Return (sender, receiver) of a message."""
        assert entry.conversation is not None
        user, page = entry.conversation.user, own(entry)
        return (page, user) if entry.obj.from_page else (user, page)

    def can_see_people(ctx: Ctx) -> bool:
        """Graph leaves out who wrote what for tokens without pages_read_user_content."""
        return ctx.info is not None and "pages_read_user_content" in ctx.info.permissions

    def author(entry: Entry, ctx: Ctx) -> dict[str, str] | None:
        """`from` of a post or comment: the page, or a person (hidden from some tokens)."""
        who = entry.obj.author or own(entry)
        if who[0] != entry.page_id and not can_see_people(ctx):
            return None
        return {"name": who[1], "id": who[0]}

    def story(entry: Entry) -> str | None:
        """Return Facebook's generated line for photo posts ("X added 2 new photos.")."""
        images = entry.obj.images
        name = own(entry)[1]
        if entry.obj.attachment == "share":
            return f"{name} shared a link."
        if entry.obj.attachment == "video":
            return f"{name} added a new video."
        if not images or entry.obj.author:
            return None
        return f"{name} added a new photo." if images == 1 else f"{name} added {images} new photos."

    plain = (
        "id",
        "name",
        "username",
        "about",
        "description",
        "website",
        "category",
        "fan_count",
        "followers_count",
        "phone",
        "single_line_address",
    )
    page: dict[str, Getter] = {
        name: (lambda e, c, n=name: _present(getattr(e.obj, n))) for name in plain
    }
    page |= {
        "link": lambda e, c: f"https://www.facebook.com/{e.obj.username or e.obj.id}",
        "emails": lambda e, c: list(e.obj.emails) or None,
        "picture": lambda e, c: {
            "data": {
                "height": 50,
                "is_silhouette": False,
                "width": 50,
                "url": cdn(f"page_{e.id}_picture", c),
            }
        },
        "cover": lambda e, c: {
            "cover_id": numeric_id(f"page_{e.id}_cover"),
            "offset_x": 50,
            "offset_y": 50,
            "source": cdn(f"page_{e.id}_cover", c),
            "id": numeric_id(f"page_{e.id}_cover"),
        },
    }
    post: dict[str, Getter] = {
        "id": lambda e, c: e.obj.id,
        "message": lambda e, c: e.obj.message or None,
        "story": lambda e, c: story(e),
        "message_tags": lambda e, c: _message_tags(e.obj.message, e.obj.tags),
        "created_time": lambda e, c: fmt(e.obj.created_time),
        "updated_time": lambda e, c: fmt(e.obj.updated_time or e.obj.created_time),
        "permalink_url": lambda e, c: (
            f"https://www.facebook.com/{e.id.split('_', 1)[0]}/posts/{e.id.split('_', 1)[-1]}"
        ),
        "from": author,
        "to": lambda e, c: (
            {"data": [dict(zip(("id", "name"), own(e), strict=True))]}
            if e.obj.author and not e.obj.wall
            else None
        ),
        "status_type": lambda e, c: (
            "wall_post"
            if e.obj.author
            else STATUS_TYPES.get(e.obj.attachment or "")
            or ("added_photos" if e.obj.images else "mobile_status_update")
        ),
        "full_picture": lambda e, c: cdn(f"photo_{e.id}_1", c) if e.obj.images else None,
        "is_hidden": lambda e, c: e.obj.is_hidden,
        "is_published": lambda e, c: True,
        "shares": lambda e, c: {"count": e.obj.shares} if e.obj.shares else None,
        "attachments": lambda e, c: (
            _attachments(e.obj, c, e.page_id) if e.obj.images or e.obj.attachment else None
        ),
    }
    comment: dict[str, Getter] = {
        "id": lambda e, c: e.obj.id,
        "message": lambda e, c: e.obj.message,
        "created_time": lambda e, c: fmt(e.obj.created_time),
        "from": author,
        "parent": lambda e, c: None,  # rendered as a node by Renderer.render
        "permalink_url": _comment_link,
        "attachment": _comment_attachment,
        "like_count": lambda e, c: e.obj.like_count,
        "comment_count": lambda e, c: len(e.obj.replies),
        "is_hidden": lambda e, c: e.obj.is_hidden,
        "message_tags": lambda e, c: None,  # the emulator's comments tag nobody
        "can_comment": lambda e, c: e.parent is None,
    }
    conversation: dict[str, Getter] = {
        "id": lambda e, c: e.obj.id,
        "updated_time": lambda e, c: (
            fmt(e.obj.messages[-1].created_time) if e.obj.messages else None
        ),
        "link": lambda e, c: f"/{store.pages[e.page_id].page.username}/inbox/{e.id[2:]}/",
        "message_count": lambda e, c: len(e.obj.messages),
        "unread_count": lambda e, c: 0,
        "participants": lambda e, c: {"data": [_party(e.obj.user), _party(own(e))]},
        "snippet": lambda e, c: e.obj.messages[-1].message[:100] if e.obj.messages else None,
        "can_reply": lambda e, c: True,
    }
    message: dict[str, Getter] = {
        "id": lambda e, c: e.obj.id,
        "message": lambda e, c: e.obj.message,
        "created_time": lambda e, c: fmt(e.obj.created_time),
        "from": lambda e, c: _party(parties(e)[0]),
        "to": lambda e, c: {"data": [_party(parties(e)[1])]},
        "attachments": _message_files,
        "sticker": lambda e, c: cdn(f"sticker_{e.id}", c) if e.obj.sticker else None,
        "shares": lambda e, c: (
            {"data": [{"link": e.obj.share, "name": "Delad länk", "description": None}]}
            if e.obj.share
            else None
        ),
    }
    return {
        "page": page,
        "post": post,
        "comment": comment,
        "conversation": conversation,
        "message": message,
    }
