"""The Facebook emulator's node fields: each Graph field's value, CDN image URLs and the images."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from connectors.facebook.emulator_data import PostData, TokenInfo
from connectors.facebook.emulator_store import Entry, GraphStore

CDN_URL = "https://scontent.xx.fbcdn.net"


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


@lru_cache(maxsize=4096)
def png_image(name: str) -> bytes:
    """Return a small valid PNG whose pixels and text chunk are derived from `name`."""
    digest = hashlib.sha256(name.encode()).digest()
    width, height = 16, 12
    colours = [digest[i : i + 3] for i in range(0, 12, 3)]
    rows = b"".join(
        b"\x00" + b"".join(colours[((x // 4) + (y // 4)) % 4] for x in range(width))
        for y in range(height)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + digest.hex().encode())
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def cdn(name: str, ctx: Ctx) -> str:
    """Return a signed-looking CDN URL: the path is stable, the query changes per response."""
    digest = hashlib.sha256(f"{name}:{ctx.serial}".encode()).hexdigest()[:40]
    expires = int(ctx.now.timestamp()) + 3 * 86400
    return f"{CDN_URL}/media/{name}.png?oh=00_{digest}&oe={expires:08X}"


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


def _attachments(post: PostData, ctx: Ctx) -> dict[str, Any]:
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
    if not entry.obj.images:
        return None
    photo = _photo(f"comment_{entry.id}", ctx)
    del photo["media_type"]
    return photo


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

    def story(entry: Entry) -> str | None:
        """Return Facebook's generated line for photo posts ("X added 2 new photos.")."""
        images = entry.obj.images
        if not images:
            return None
        name = own(entry)[1]
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
        "message_tags": lambda e, c: None,  # the emulator's texts tag nobody
        "created_time": lambda e, c: fmt(e.obj.created_time),
        "updated_time": lambda e, c: fmt(e.obj.updated_time or e.obj.created_time),
        "permalink_url": lambda e, c: (
            f"https://www.facebook.com/{e.page_id}/posts/{e.id.split('_', 1)[-1]}"
        ),
        "from": lambda e, c: dict(zip(("id", "name"), own(e), strict=True)),
        "status_type": lambda e, c: "added_photos" if e.obj.images else "mobile_status_update",
        "full_picture": lambda e, c: cdn(f"photo_{e.id}_1", c) if e.obj.images else None,
        "is_hidden": lambda e, c: e.obj.is_hidden,
        "is_published": lambda e, c: True,
        "shares": lambda e, c: {"count": e.obj.shares} if e.obj.shares else None,
        "attachments": lambda e, c: _attachments(e.obj, c) if e.obj.images else None,
    }
    comment: dict[str, Getter] = {
        "id": lambda e, c: e.obj.id,
        "message": lambda e, c: e.obj.message,
        "created_time": lambda e, c: fmt(e.obj.created_time),
        "from": lambda e, c: {"name": e.obj.author[1], "id": e.obj.author[0]},
        "parent": lambda e, c: None,  # rendered as a node by Renderer.render
        "permalink_url": _comment_link,
        "attachment": _comment_attachment,
        "like_count": lambda e, c: e.obj.like_count,
        "comment_count": lambda e, c: len(e.obj.replies),
        "is_hidden": lambda e, c: e.obj.is_hidden,
        "message_tags": lambda e, c: None,  # the emulator's texts tag nobody
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
        "attachments": lambda e, c: None,  # the emulator's messages carry none
    }
    return {
        "page": page,
        "post": post,
        "comment": comment,
        "conversation": conversation,
        "message": message,
    }
