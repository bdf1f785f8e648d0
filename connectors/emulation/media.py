"""Small, valid media files for emulators (JPEG, PNG, GIF, MP4, MP3, PDF), deterministic by seed.

Each file is well-formed for its format (a decoder reads a real picture; a magic-number check
sees the right type) and changes with the seed, so two seeds give two content hashes.
`size` pads a file (inside a comment segment or box, so it stays valid) to at least that many
bytes, for size-cap tests.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

MEDIA_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "mp3": "audio/mpeg",
    "pdf": "application/pdf",
}


def _digest(seed: str | int) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


@lru_cache(maxsize=4096)
def png_image(seed: str | int, width: int = 16, height: int = 12, size: int = 0) -> bytes:
    """Return an RGB PNG of four colour blocks derived from `seed` (padded to `size` bytes)."""
    digest = _digest(seed)
    colours = [digest[i : i + 3] for i in range(0, 12, 3)]
    rows = b"".join(
        b"\x00" + b"".join(colours[((x // 4) + (y // 4)) % 4] for x in range(width))
        for y in range(height)
    )
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    text = b"Comment\x00" + digest.hex().encode()
    body = _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    short = size - len(head) - len(body) - len(text) - 12
    return head + _png_chunk(b"tEXt", text + b" " * max(0, short)) + body


# The standard luminance DC table (ITU T.81, K.3): code lengths 2..9 for categories 0..11.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_CODES = ("00", "010", "011", "100", "101", "110", "1110", "11110", "111110", "1111110",
             "11111110", "111111110")  # fmt: skip


def _segment(marker: int, data: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data


@lru_cache(maxsize=4096)
def jpeg_image(seed: str | int, blocks_wide: int = 2, blocks_high: int = 2, size: int = 0) -> bytes:
    """Return a baseline greyscale JPEG of flat 8x8 blocks whose shades derive from `seed`."""
    digest = _digest(seed)
    bits, previous = [], 0
    for n in range(blocks_wide * blocks_high):
        dc = (digest[n % len(digest)] - 128) * 8  # a flat block: DC only, AC all zero
        diff, previous = dc - previous, dc
        category = abs(diff).bit_length()
        bits.append(_DC_CODES[category])
        if category:
            value = diff if diff > 0 else diff + (1 << category) - 1
            bits.append(format(value, f"0{category}b"))
        bits.append("0")  # end of block, in the one-code AC table below
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    scan = bytes(int(stream[i : i + 8], 2) for i in range(0, len(stream), 8))
    scan = scan.replace(b"\xff", b"\xff\x00")
    comment = digest.hex().encode()
    header = b"\xff\xd8" + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    tables = (
        _segment(0xDB, b"\x00" + b"\x01" * 64)
        + _segment(0xC0, struct.pack(">BHHB", 8, blocks_high * 8, blocks_wide * 8, 1)
                   + b"\x01\x11\x00")
        + _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(range(12)))
        + _segment(0xC4, b"\x10" + bytes((1,) + (0,) * 15) + b"\x00")
        + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + scan
        + b"\xff\xd9"
    )  # fmt: skip
    padding = b""
    short = size - len(header) - len(tables) - len(comment) - 4
    while short > 0:
        piece = min(short, 65000)
        padding += _segment(0xFE, b" " * piece)
        short -= piece + 4
    return header + _segment(0xFE, comment) + padding + tables


@lru_cache(maxsize=4096)
def gif_image(seed: str | int, size: int = 0) -> bytes:
    """Return a 1x1 GIF89a whose colour derives from `seed`."""
    digest = _digest(seed)
    comment = digest.hex().encode()
    blocks = bytes([len(comment)]) + comment
    head = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + digest[:3] + b"\x00\x00\x00" + b"!\xfe"
    tail = b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    short = size - len(head) - len(blocks) - len(tail)
    while short > 1:
        piece = min(short - 1, 255)
        blocks += bytes([piece]) + b" " * piece
        short -= piece + 1
    return head + blocks + tail


@lru_cache(maxsize=4096)
def mp4_video(seed: str | int, size: int = 0) -> bytes:
    """Return the smallest MP4 a magic-number check accepts: an `ftyp` box and an `mdat` box."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    payload = _digest(seed) + b"\x00" * max(0, size - 24 - 8 - 32)
    return ftyp + struct.pack(">I", 8 + len(payload)) + b"mdat" + payload


def mp3_audio(seed: str | int) -> bytes:
    """Return an ID3-tagged MPEG audio frame header followed by seed bytes."""
    return b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00" + str(seed).encode()


def pdf_document(seed: str | int) -> bytes:
    """Return the smallest file a magic-number check takes for a PDF."""
    return b"%PDF-1.4\n%" + str(seed).encode() + b"\n%%EOF\n"


def media_bytes(ext: str, seed: str | int, size: int = 0) -> tuple[bytes, str]:
    """Return the bytes and MIME type of a generated file with extension `ext` (default PNG)."""
    ext = ext.lower().lstrip(".")
    if ext in ("jpg", "jpeg"):
        return jpeg_image(seed, size=size), MEDIA_TYPES[ext]
    if ext == "gif":
        return gif_image(seed, size=size), MEDIA_TYPES[ext]
    if ext == "mp4":
        return mp4_video(seed, size=size), MEDIA_TYPES[ext]
    if ext == "mp3":
        return mp3_audio(seed), MEDIA_TYPES[ext]
    if ext == "pdf":
        return pdf_document(seed), MEDIA_TYPES[ext]
    return png_image(seed, size=size), MEDIA_TYPES["png"]
