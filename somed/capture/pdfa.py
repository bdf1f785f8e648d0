"""A capture's PNG as a PDF/A-2b: img2pdf embeds the image, pikepdf adds what PDF/A requires.

Layout: 96 dpi, so one image pixel is one CSS pixel (0.75 pt) and the PDF shows the page at its
on-screen size at 100 % zoom. A PDF page may be at most 14,400 pt (200 in) high (ISO 32000-1
annex C, binding for PDF/A), which at 96 dpi is 19,200 px; a taller screenshot is cut into
equal slices of at most 16,384 px (12,288 pt, 4.3 m) per page. 16,384 px is Chromium's own
limit for one bitmap and the size common viewers still render in one piece; equal slices avoid
a sliver of a last page. A page that fits and is already plain 8-bit RGB is embedded as it is
(img2pdf copies the PNG's compressed rows, nothing is decoded or re-encoded); otherwise libvips
decodes the PNG sequentially, a band of rows at a time (memory stays bounded whatever the
height), flattens an alpha channel onto white (PDF/A-2b files we write carry no transparency)
and writes each slice as a lossless PNG that img2pdf embeds the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import struct
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import img2pdf
import pikepdf
import pyvips

from somed import __version__
from somed.pdfa import identification_problems, identify_pdfa, save_pdfa

DPI = 96.0  # one image pixel = one CSS pixel
MAX_PAGE_PT = 14_400  # PDF/A-2 (ISO 32000-1 annex C): largest page side, in points
SLICE_PX = 16_384  # tallest slice of the screenshot on one page
PRODUCER = f"somed {__version__} (img2pdf {img2pdf.__version__}, pikepdf {pikepdf.__version__})"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _parse_png(rawdata: bytes) -> tuple[bytes, bytes]:
    """img2pdf's `parse_png` (the IDAT and PLTE data of a PNG), joined in linear time.

    img2pdf 0.6's own appends chunk by chunk with `+=`, quadratic in the chunk count: 40 s for
    a 10 MB screenshot written in 8 KiB chunks. Same result, same signature.
    """
    idat: list[bytes] = []
    palette: list[bytes] = []
    view = memoryview(rawdata)
    i = 16
    while i < len(rawdata):
        (n,) = struct.unpack(">I", rawdata[i - 8 : i - 4])
        if i + n > len(rawdata):
            raise ValueError(f"invalid png: {i} {n} {len(rawdata)}")
        tag = rawdata[i - 4 : i]
        if tag == b"IDAT":
            idat.append(view[i : i + n])
        elif tag == b"PLTE":
            palette.append(view[i : i + n])
        i += n + 12
    return b"".join(idat), b"".join(palette)


img2pdf.parse_png = _parse_png


@dataclass(frozen=True)
class PdfInfo:
    """What `write_pdfa` made: the file, its pages and how the image was laid out."""

    path: Path
    sha256: str
    size: int
    pages: int
    width_px: int
    height_px: int
    slice_px: int  # image rows per page (the last page may hold fewer)
    dpi: float
    flattened_alpha: bool  # an alpha channel was flattened onto white
    reencoded: bool  # False: the PNG's own compressed rows were embedded untouched


def write_pdfa(
    png: Path,
    out: Path,
    *,
    title: str,
    author: str,
    created: datetime,
    subject: str | None = None,
) -> PdfInfo:
    """Write `png` as a PDF/A-2b at `out` (split over pages when too tall) and describe it."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    png, out = Path(png), Path(out)
    image = pyvips.Image.new_from_file(str(png), access="sequential")
    width, height = image.width, image.height
    dpi = max(DPI, math.ceil(width * 72 / MAX_PAGE_PT))  # an extremely wide page: denser
    limit = min(SLICE_PX, math.floor(MAX_PAGE_PT * dpi / 72))
    pages = math.ceil(height / limit)
    slice_px = math.ceil(height / pages)
    alpha = bool(image.hasalpha())
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pdfa-", dir=out.parent) as tmp:
        plain = pages == 1 and _plain_rgb_png(png)
        sources = [png] if plain else _slices(png, slice_px, Path(tmp))
        layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        parts = []
        for source in sources:  # one image at a time: memory holds one slice's bytes
            part = Path(tmp) / f"{source.name}.pdf"
            with part.open("wb") as fh:
                # no rotation asked: img2pdf would otherwise look for an EXIF orientation,
                # and Pillow decodes a whole PNG to find one (60 MB for a 16,384 px slice)
                img2pdf.convert(str(source), layout_fun=layout, outputstream=fh,
                                rotation=img2pdf.Rotation.none)  # fmt: skip
            parts.append(part)
        _make_pdfa(parts, out, title=title, author=author, subject=subject, created=created)
    data = hashlib.sha256()
    with out.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            data.update(chunk)
    return PdfInfo(
        path=out,
        sha256=data.hexdigest(),
        size=out.stat().st_size,
        pages=pages,
        width_px=width,
        height_px=height,
        slice_px=slice_px,
        dpi=dpi,
        flattened_alpha=alpha,
        reencoded=not plain,
    )


def _plain_rgb_png(png: Path) -> bool:
    """Whether img2pdf can embed the PNG's own rows: 8-bit RGB, no alpha, not interlaced."""
    with png.open("rb") as fh:
        head = fh.read(29)
    if len(head) < 29 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return False
    bit_depth, colour_type, interlace = head[24], head[25], head[28]
    return bit_depth == 8 and colour_type == 2 and interlace == 0


def _slices(png: Path, slice_px: int, folder: Path) -> list[Path]:
    """Cut the PNG into top-to-bottom slices as 8-bit sRGB PNGs, decoding a band at a time.

    Each slice reads the file afresh from the top (a sequential PNG decoder cannot seek back),
    so memory holds a few rows, never the whole picture.
    """
    paths = []
    height = pyvips.Image.new_from_file(str(png), access="sequential").height
    for index, top in enumerate(range(0, height, slice_px)):
        image = _srgb(pyvips.Image.new_from_file(str(png), access="sequential"))
        part = image.crop(0, top, image.width, min(slice_px, height - top))
        path = folder / f"slice-{index:04d}.png"
        part.pngsave(str(path), compression=6, interlace=False, keep=pyvips.enums.ForeignKeep.NONE)
        paths.append(path)
    return paths


def _srgb(image: pyvips.Image) -> pyvips.Image:
    """The image as three 8-bit sRGB bands, an alpha channel flattened onto white."""
    if image.hasalpha():
        image = image.flatten(background=[255.0] * (image.bands - 1))
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    return image


def _make_pdfa(
    parts: list[Path],
    out: Path,
    *,
    title: str,
    author: str,
    subject: str | None,
    created: datetime,
) -> None:
    """Join the one-page PDFs and add the PDF/A-2b identification, XMP and an sRGB intent."""
    with contextlib.ExitStack() as stack, pikepdf.new() as pdf:
        for part in parts:  # qpdf copies each image stream from its file while saving
            pdf.pages.extend(stack.enter_context(pikepdf.open(part)).pages)
        identify_pdfa(pdf, title=title, author=author, subject=subject, created=created,
                      producer=PRODUCER)  # fmt: skip
        save_pdfa(pdf, out, stream_decode_level=pikepdf.StreamDecodeLevel.none)  # rows untouched


def pdfa_problems(pdf: Path) -> list[str]:
    """What keeps `pdf` from being the PDF/A-2b we write ([] when nothing does)."""
    try:
        document = pikepdf.open(pdf)
    except (pikepdf.PdfError, OSError) as exc:
        return [f"does not open: {exc}"]
    with document:
        return identification_problems(document) + _page_problems(document)


def _page_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    if len(pdf.pages) == 0:
        return ["no pages"]
    for number, page in enumerate(pdf.pages, start=1):
        try:
            box = [float(v) for v in page.mediabox]
            sides = (box[2] - box[0], box[3] - box[1])
            if not all(3 <= side <= MAX_PAGE_PT for side in sides):
                problems.append(f"page {number}: size {sides} pt outside 3..{MAX_PAGE_PT}")
            images = page_images(page)
            if not images:
                problems.append(f"page {number}: no image")
            for image in images:
                problems += _image_problems(number, image)
        except (pikepdf.PdfError, ValueError, KeyError) as exc:
            problems.append(f"page {number}: does not open: {exc}")
    return problems


def page_images(page: pikepdf.Page) -> list[pikepdf.Stream]:
    """The image XObjects a page's resources name."""
    objects = page.obj.get("/Resources", {}).get("/XObject", {})
    return [o for o in objects.values() if o.get("/Subtype") == pikepdf.Name.Image]


def _image_problems(number: int, image: pikepdf.Stream) -> list[str]:
    if "/SMask" in image or "/Mask" in image:
        return [f"page {number}: the image has transparency"]
    if image.get("/Interpolate") is True:
        return [f"page {number}: the image asks for interpolation (PDF/A forbids it)"]
    picture = pikepdf.PdfImage(image)
    if picture.bits_per_component != 8:
        return []
    expected = picture.width * picture.height * max(1, len(picture.mode or "RGB"))
    if _decoded_length(image, row_bytes=expected // max(1, picture.height)) != expected:
        return [f"page {number}: the image data is truncated"]
    return []


def _decoded_length(image: pikepdf.Stream, *, row_bytes: int) -> int | None:
    """The length of an image's decoded samples, inflated a megabyte at a time.

    A Flate stream with PNG predictors (what img2pdf embeds) is inflated here in pieces and
    counted, one filter byte per row taken off, so a check never holds the decoded picture
    (qpdf's `read_bytes` would hold it twice: 120 MB for one 16,384 px slice). Any other
    filter is decoded by qpdf. None when the data does not inflate to its end.
    """
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    parms = image.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        parms = parms[0] if len(parms) == 1 else None
    predictor = int(parms.get("/Predictor", 1)) if isinstance(parms, pikepdf.Dictionary) else 1
    if filters != pikepdf.Name.FlateDecode or predictor not in (1, *range(10, 16)):
        return len(image.read_bytes())
    inflater = zlib.decompressobj()
    pending, total = image.read_raw_bytes(), 0
    try:
        while pending:
            total += len(inflater.decompress(pending, 1 << 20))
            pending = inflater.unconsumed_tail
        total += len(inflater.flush())
    except zlib.error:
        return None
    if not inflater.eof:
        return None
    if predictor >= 10:  # PNG predictors: each row starts with its filter type byte
        rows, extra = divmod(total, row_bytes + 1)
        return rows * row_bytes if extra == 0 else None
    return total
