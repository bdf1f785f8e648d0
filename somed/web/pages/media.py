"""Media downloads: a stored file by its SHA-256 only, if it belongs to something the user may see.

`GET /media/{sha256}` (64 lowercase hex characters, never a path) streams the file from the
content-addressed store when the hash is an attachment of an item the user may read (private
messages' only for registrars and admins) or one of a capture's files (PNG, PDF/A, WACZ,
manifest: readers and up). Raster images are shown inline, everything else is an attachment;
every download is written to the audit log (`download.media`).
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.responses import FileResponse, Response

from somed.bundle.content import SNAPSHOT_FILES, store_file
from somed.item_ref import format_item
from somed.web.context import Context
from somed.web.routing import Pages
from storage.media import MediaStore, extension_for

PAGES = Pages()
PRIVATE_KINDS = ("message",)
_SHA256 = re.compile(r"[0-9a-f]{64}")
INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}
MEDIA_CSP = "default-src 'none'; img-src 'self'; sandbox"  # a file opened alone runs nothing
CAPTURE_COLUMNS = tuple(column for column, _, _ in SNAPSHOT_FILES)


def item_use(ctx: Context, sha256: str) -> tuple[bool, list[str]]:
    """(may this user see some item holding the file, the item references it belongs to)."""
    rows = ctx.db.execute(
        "SELECT i.platform, i.id, i.kind FROM item_media AS l JOIN items AS i"
        " ON i.platform = l.platform AND i.id = l.item_id WHERE l.sha256 = ? LIMIT 50",
        [sha256],
    ).fetchall()
    sees_private = ctx.user is not None and ctx.user.sees_private
    visible = [format_item(p, i) for p, i, kind in rows
               if sees_private or kind not in PRIVATE_KINDS]  # fmt: skip
    return bool(visible), visible


def capture_use(ctx: Context, sha256: str) -> tuple[int, str] | None:
    """(capture id, MIME type) when the file is one of a capture's files, else None."""
    test = " OR ".join(f"{column} = :sha" for column in CAPTURE_COLUMNS)
    row = ctx.db.execute(
        f"SELECT id, {', '.join(CAPTURE_COLUMNS)} FROM captures WHERE {test} LIMIT 1",
        {"sha": sha256},
    ).fetchone()
    if row is None:
        return None
    for (_, _, mime), value in zip(SNAPSHOT_FILES, row[1:], strict=True):
        if value == sha256:
            return int(row[0]), mime
    return None


def stored_file(ctx: Context, sha256: str) -> tuple[Path, str | None] | None:
    """The file of `sha256` in the media store and its stored MIME type, or None."""
    storage = ctx.config.storage_dir
    row = ctx.db.execute("SELECT path, mime_type FROM media WHERE sha256 = ?",
                         [sha256]).fetchone()  # fmt: skip
    if row is not None:
        try:
            path = MediaStore(storage).path_of(row[0])
        except ValueError:
            return None
        return (path, row[1]) if path.is_file() else None
    found = store_file(storage, sha256)
    return (found, None) if found is not None else None


@PAGES.get("/media/{sha256}", role="reader")
def media_file(ctx: Context) -> Response:
    """One stored file, streamed, if the user may see what it belongs to (404 otherwise)."""
    sha256 = ctx.param("sha256")
    if not _SHA256.fullmatch(sha256):
        return ctx.problem(404, "web.error.not_found")
    allowed, items = item_use(ctx, sha256)
    capture = None if allowed else capture_use(ctx, sha256)
    if not allowed and capture is None:
        return ctx.problem(404, "web.error.not_found")
    found = stored_file(ctx, sha256)
    if found is None:
        return ctx.problem(404, "web.records.media_missing")
    path, mime = found
    mime = (mime or (capture[1] if capture else None) or "application/octet-stream").lower()
    disposition = "inline" if mime in INLINE else "attachment"
    name = f"{sha256}{extension_for(mime)}"
    details = {"items": items[:10]} if items else {"capture": capture[0] if capture else None}
    ctx.audit("download.media", sha256, details={**details, "mime_type": mime})
    return FileResponse(path, media_type=mime, headers={
        "content-disposition": f'{disposition}; filename="{name}"',
        "x-content-type-options": "nosniff",
        "content-security-policy": MEDIA_CSP,
    })  # fmt: skip
