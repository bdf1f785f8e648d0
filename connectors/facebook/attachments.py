"""Pure: every Graph attachment shape of posts, comments and messages, as media and facts.

Each attachment gives the media to download (photos, album photos, video files and their
thumbnails, link previews, stickers, message images, videos, audio and files) and the facts
to keep in the record's `extra` (type, title, description, link target). Only what stays the
same between two reads is kept as a fact: signed CDN URLs travel in `MediaRef.source_url`,
never in `extra`, so a re-signed URL never makes a new version.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectors.model import MediaRef

ATTACHMENT_FIELDS = (
    "attachments{media_type,type,url,unshimmed_url,title,description,target,media,subattachments}"
)
COMMENT_ATTACHMENT_FIELD = "attachment"
MESSAGE_ATTACHMENT_FIELDS = (
    "attachments{id,mime_type,name,size,file_url,image_data,video_data},sticker,"
    "shares{link,name,description}"
)
_SHIM_HOSTS = frozenset({"l.facebook.com", "lm.facebook.com", "l.messenger.com"})
_FACTS = ("type", "media_type", "title", "description")


def stable_key(url: str) -> str:
    """A key for a CDN URL that survives re-signing: host-free path without the query."""
    return "fb:path:" + urlsplit(url).path


def unshim(url: str) -> str:
    """The destination of Facebook's outbound link shim (`l.facebook.com/l.php?u=...`)."""
    parts = urlsplit(url)
    if parts.hostname in _SHIM_HOSTS:
        target = dict(parse_qsl(parts.query)).get("u")
        if target:
            return target
    return url


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(edge: Any) -> list[dict[str, Any]]:
    return [item for item in _dict(edge).get("data") or [] if isinstance(item, dict)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def attachment_parts(att: dict[str, Any]) -> tuple[list[MediaRef], dict[str, Any]]:
    """One post or comment attachment: the media to download and the facts to keep.

    An album yields every subattachment's photo (its cover repeats the first); a video its
    file (`media.source`) and thumbnail; a link share its target URL, title, description and
    preview image; a sticker or GIF its image.
    """
    facts: dict[str, Any] = {k: att[k] for k in _FACTS if _text(att.get(k))}
    target = _dict(att.get("target"))
    if target.get("id") is not None:
        facts["target_id"] = str(target["id"])
    link = _text(att.get("unshimmed_url")) or _text(att.get("url")) or _text(target.get("url"))
    if link:
        facts["url"] = unshim(link)
    subs = _items(att.get("subattachments"))
    if subs:
        media: list[MediaRef] = []
        facts["subattachments"] = []
        for sub in subs:
            sub_media, sub_facts = attachment_parts(sub)
            media.extend(sub_media)
            facts["subattachments"].append(sub_facts)
        return media, facts
    kind = str(att.get("media_type") or att.get("type") or "")
    key = f"fb:{target['id']}" if target.get("id") is not None else None
    media_node = _dict(att.get("media"))
    refs: list[MediaRef] = []
    image = _text(_dict(media_node.get("image")).get("src"))
    if image:
        image_kind = "image"
        if kind.startswith("video"):
            image_kind = "video_thumbnail"
        elif kind in ("sticker", "animated_image_share", "animated_image_video"):
            image_kind = "sticker"
        elif kind in ("link", "share", "event"):
            image_kind = "thumbnail"
        refs.append(MediaRef(key=key or stable_key(image), source_url=image, kind=image_kind))
    source = _text(media_node.get("source"))
    if source and kind.startswith("video"):
        video_key = f"{key}:video" if key else stable_key(source)
        refs.append(MediaRef(key=video_key, source_url=source, kind="video"))
        facts["video"] = True
    return refs, facts


def post_attachments(raw: dict[str, Any]) -> tuple[tuple[MediaRef, ...], list[dict[str, Any]]]:
    """Every attachment of a post: unique media refs, and the facts of each attachment."""
    refs: list[MediaRef] = []
    facts: list[dict[str, Any]] = []
    for att in _items(raw.get("attachments")):
        media, kept = attachment_parts(att)
        refs.extend(media)
        facts.append(kept)
    unique = {r.key: r for r in refs}
    return tuple(unique.values()), facts


def message_attachments(raw: dict[str, Any]) -> tuple[tuple[MediaRef, ...], dict[str, Any]]:
    """A Messenger message's files (image, video, audio, other), sticker and shared links."""
    refs: list[MediaRef] = []
    files: list[dict[str, Any]] = []
    for att in _items(raw.get("attachments")):
        ident = str(att["id"]) if att.get("id") is not None else None
        mime = _text(att.get("mime_type"))
        fact = {k: att[k] for k in ("id", "name", "mime_type", "size") if att.get(k) is not None}
        image = _dict(att.get("image_data"))
        video = _dict(att.get("video_data"))
        url = _text(video.get("url")) or _text(image.get("url")) or _text(att.get("file_url"))
        if url:
            if video.get("url"):
                kind = "video"
            elif image.get("url"):
                kind = "image"
            elif (mime or "").startswith("audio/"):
                kind = "audio"
            else:
                kind = "file"
            key = f"fb:{ident}" if ident else stable_key(url)
            refs.append(MediaRef(key=key, source_url=url, kind=kind, mime_type=mime))
            fact["kind"] = kind
        preview = _text(video.get("preview_url"))
        if preview:
            key = f"fb:{ident}:preview" if ident else stable_key(preview)
            refs.append(MediaRef(key=key, source_url=preview, kind="video_thumbnail"))
        files.append(fact)
    facts: dict[str, Any] = {}
    if files:
        facts["attachments"] = files
    sticker = _text(raw.get("sticker"))
    if sticker:
        refs.append(MediaRef(key=stable_key(sticker), source_url=sticker, kind="sticker"))
        facts["sticker"] = True
    shares = [
        {k: share[k] for k in ("link", "name", "description") if _text(share.get(k))}
        for share in _items(raw.get("shares"))
    ]
    if shares:
        facts["shares"] = [{**s, "link": unshim(s["link"])} if "link" in s else s for s in shares]
    unique = {r.key: r for r in refs}
    return tuple(unique.values()), facts
