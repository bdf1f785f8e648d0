"""Capture a tall page in tiles (Chromium repeats content past 16,384 px) and stitch one PNG.

Stitching goes through libvips (pyvips), which streams: each tile is decoded a strip at a time
and the PNG written top to bottom, so the whole decoded picture is never in memory.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_TILE_PX = 16_384  # Chromium's longest side of one captured picture


@dataclass(frozen=True)
class Tiled:
    """The stitched PNG and how it was made."""

    path: Path
    width: int
    height: int
    tiles: int


def tile_spans(height: int, tile_px: int = MAX_TILE_PX) -> list[tuple[int, int]]:
    """(top, height) of each tile covering `height` pixels, top to bottom."""
    if height <= 0:
        return [(0, 1)]
    return [(top, min(tile_px, height - top)) for top in range(0, height, tile_px)]


def capture_tiles(
    page: Any, folder: Path, *, width: int, height: int, tile_px: int = MAX_TILE_PX
) -> list[Path]:
    """Screenshot the page's rows [0, height) in tiles of at most `tile_px`; return the files."""
    paths: list[Path] = []
    for index, (top, rows) in enumerate(tile_spans(height, tile_px)):
        path = folder / f"tile-{index:03d}.png"
        page.screenshot(
            path=str(path),
            full_page=True,
            clip=dict(x=0, y=top, width=width, height=rows),  # no "x" string: not the platform
            animations="disabled",
            caret="hide",
            scale="css",
            timeout=120_000,
        )
        paths.append(path)
    return paths


def stitch(tiles: list[Path], out: Path) -> Tiled:
    """Join tiles top to bottom into one PNG at `out` (streamed; one tile is just moved)."""
    import pyvips

    if len(tiles) == 1:
        shutil.move(tiles[0], out)
        image = pyvips.Image.new_from_file(str(out))
        return Tiled(out, image.width, image.height, 1)
    images = [pyvips.Image.new_from_file(str(t), access="sequential") for t in tiles]
    width = min(image.width for image in images)
    images = [
        image.crop(0, 0, width, image.height) if image.width > width else image for image in images
    ]
    joined = images[0]
    for image in images[1:]:  # arrayjoin would pad every tile to the tallest one
        joined = joined.join(image, "vertical")
    joined.write_to_file(str(out), compression=6)
    height = joined.height
    for tile in tiles:
        os.unlink(tile)
    return Tiled(out, width, height, len(tiles))
