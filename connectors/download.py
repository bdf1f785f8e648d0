"""Streamed, size-capped media downloads whose bytes must be what the platform says they are.

A download never holds the file in memory: it streams into a sink (the media store's temporary
file), refuses a file over its kind's cap (from `Content-Length` before reading anything, or the
moment the stream passes the cap), and checks the first bytes by magic number (`filetype`): an
HTML error page served as `image/jpeg` with status 200 is a failed download, never the photo.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import filetype
import requests

from connectors.base import FatalError, TransientError
from connectors.http import Deadline, iter_body, scrub_error

MB = 1024 * 1024
HEAD_BYTES = 8192  # filetype needs 262; a little more makes HTML sniffing sure
FAMILIES = ("image", "video", "audio")
IMAGE_KINDS = frozenset(
    {"image", "photo", "video_thumbnail", "thumbnail", "profile_picture", "cover_photo", "sticker"}
)
VIDEO_KINDS = frozenset({"video", "reel"})
AUDIO_KINDS = frozenset({"audio"})
_HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<script", b"<title")


class Sink(Protocol):
    """Where downloaded bytes go (the media store's temporary file)."""

    def write(self, data: bytes, /) -> int | None:
        """Write a chunk."""


class MediaRefused(FatalError):
    """A media file the rules refuse (too large): a failed download, noted with its reason."""

    default_reason = "net.media_refused"


class MediaGone(FatalError):
    """The media URL answers 403/404/410: the signed URL expired or the file was removed."""

    default_reason = "net.media_gone"


@dataclass(frozen=True)
class MediaLimits:
    """Size caps per kind of media, and the total deadline of one download."""

    max_image_bytes: int = 50 * MB
    max_video_bytes: int = 2048 * MB
    max_other_bytes: int = 200 * MB
    deadline_seconds: float = 1800.0
    read_timeout_seconds: float = 30.0

    def cap_for(self, family: str | None) -> int:
        """The size cap of a media family (image, video, or anything else)."""
        if family == "image":
            return self.max_image_bytes
        if family == "video":
            return self.max_video_bytes
        return self.max_other_bytes


def family_of(kind: str, mime_type: str | None) -> str | None:
    """The family (image, video, audio) a media ref must be, from its kind or declared type."""
    if kind in IMAGE_KINDS:
        return "image"
    if kind in VIDEO_KINDS:
        return "video"
    if kind in AUDIO_KINDS:
        return "audio"
    main = (mime_type or "").split("/", 1)[0].strip().lower()
    return main if main in FAMILIES else None


def detected_type(head: bytes) -> str | None:
    """The MIME type the first bytes show (magic numbers), or None when unknown."""
    kind = filetype.guess(head) if head else None
    return kind.mime if kind is not None else None


def looks_like_html(head: bytes) -> bool:
    """True when the bytes start like an HTML or XML page."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_STARTS)


def check_type(head: bytes, family: str | None, declared: str | None) -> str | None:
    """Return the real MIME type of `head`, or raise when it is not the declared kind of file."""
    found = detected_type(head)
    if family is not None:
        if found is None or found.split("/", 1)[0] != family:
            what = "an HTML page" if looks_like_html(head) else (found or "unrecognised bytes")
            raise TransientError(
                f"media download failed: expected {family} but got {what}",
                reason="net.media_type_mismatch",
                params={"expected": family, "found": found or ("text/html" if "HTML" in what
                                                               else None)},
            )  # fmt: skip
        return found
    if looks_like_html(head) and "html" not in (declared or ""):
        raise TransientError(
            "media download failed: got an HTML page instead of the file",
            reason="net.media_type_mismatch",
            params={"expected": declared, "found": "text/html"},
        )
    return found or declared


def download(
    session: requests.Session,
    url: str,
    sink: Sink,
    *,
    kind: str,
    declared: str | None,
    limits: MediaLimits,
) -> str | None:
    """Stream `url` into `sink` within the caps and the deadline; return the file's MIME type.

    A network failure is a `TransientError` (`media.failed`, the text scrubbed of secrets)."""
    try:
        return _download(session, url, sink, kind, declared, limits)
    except requests.RequestException as exc:
        raise TransientError(
            f"media download failed: {scrub_error(session, str(exc))}",
            reason="media.failed",
            params={"error": type(exc).__name__},
        ) from None


def _download(session: requests.Session, url: str, sink: Sink, kind: str, declared: str | None,
              limits: MediaLimits) -> str | None:  # fmt: skip
    host = urlsplit(url).hostname or ""
    deadline = Deadline(limits.deadline_seconds, host)
    stream = getattr(session, "stream", None)
    response = stream(url, deadline) if callable(stream) else session.get(url, stream=True)
    with contextlib.closing(response):
        if response.status_code in (403, 404, 410):
            raise MediaGone(
                f"media gone (HTTP {response.status_code})",
                params={"status": response.status_code, "host": host},
            )
        if response.status_code >= 400:
            raise TransientError(
                f"media download failed: HTTP {response.status_code}",
                reason="net.http_status",
                params={"status": response.status_code, "host": host},
            )
        served = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        family = family_of(kind, declared or served or None)
        cap = limits.cap_for(family or family_of("", served))
        length = _as_int(response.headers.get("Content-Length"))
        if length is not None and length > cap:
            raise _too_large(cap, host, length)
        head = b""
        size = 0
        checked: str | None = None
        for chunk in iter_body(response, deadline, limits.read_timeout_seconds):
            size += len(chunk)
            if size > cap:
                raise _too_large(cap, host, None)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
                if len(head) >= HEAD_BYTES:
                    checked = check_type(head, family, declared or served or None)
            sink.write(chunk)
        if len(head) < HEAD_BYTES:
            checked = check_type(head, family, declared or served or None)
    return checked or served or declared


def _too_large(cap: int, host: str, length: int | None) -> MediaRefused:
    said = f" (the server says {length} bytes)" if length is not None else ""
    return MediaRefused(
        f"media file larger than the cap of {cap // MB} MB{said}: not downloaded",
        reason="net.media_too_large",
        params={"cap_mb": cap // MB, "host": host, "size": length},
    )


def _as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
