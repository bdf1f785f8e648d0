"""A4 pages drawn top to bottom with ReportLab's canvas: wrapped text, rules, images, bookmarks.

The low-level canvas is used, not a flowing layout engine: each line is measured with the
font's own widths (words as `simpleSplit` breaks them, then words wider than the line are
broken), drawn, and the page turned when the next line would not fit. The lines that fit on a
page go out as one text object whose strings `_Encoder` codes in the font's subsets (the codes
ReportLab assigns; it does per line what ReportLab's text object does per character). Text is
DejaVu Sans (TrueType, embedded as a subset by ReportLab). A character the font has no glyph
for is never drawn as the empty `.notdef` glyph (PDF/A forbids it): invisible format
characters are left out and any other is written as its Unicode name in brackets, e.g.
`[GRINNING FACE]`. Text is neither shaped nor reordered (no bidi): the HTML beside the PDF
shows right-to-left and complex scripts as written.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFObject
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 42.5, 42.5, 51.0, 51.0  # 1.5 cm sides, 1.8 cm top and bottom
INDENT = 12.0  # points per level of nesting, a rule at each level
WORDS_KEPT = 20_000  # words whose widths `wrap` remembers (per font and process)
MAX_IMAGE_H = 300.0  # tallest image on a page, in points
MAX_IMAGE_PX = 1600  # images larger than this (long side) are scaled down for the PDF
PASS_JPEG_BYTES = 600_000  # an RGB or grey JPEG up to this size is embedded as it is
BLACK, GREY, RULE, MARK, LINK = (0, 0, 0), (0.2, 0.2, 0.2), (0.55, 0.55, 0.55), (0.5, 0, 0), (
    0.02, 0.27, 0.68)  # fmt: skip


class FontMissing(RuntimeError):
    """DejaVu Sans is not installed (Debian package fonts-dejavu-core)."""


@dataclass(frozen=True)
class Style:
    """A font, its size and the line height, and the colour of the text."""

    font: str
    size: float
    leading: float
    colour: tuple[float, float, float] = BLACK


H1 = Style(BOLD, 16, 21)
H2 = Style(BOLD, 13, 17)
HEAD = Style(BOLD, 10.5, 14)
BODY = Style(REGULAR, 10, 14)
META = Style(REGULAR, 8.5, 11.5, GREY)
MARKED = Style(BOLD, 10, 14, MARK)
FOOT = Style(REGULAR, 8, 11, GREY)  # the running foot and the page numbers


@cache
def _style_ops(style: Style, link: bool) -> tuple[str, str]:
    """The fill colour operator of a style's text (or a link's), and its font size and leading."""
    colour = f"{fp_str(*(LINK if link else style.colour))} rg"
    return colour, f" {fp_str(style.size)} Tf {fp_str(style.leading)} TL"


@cache
def register_fonts() -> re.Pattern[str]:
    """Register DejaVu Sans (regular and bold) with ReportLab; a pattern of what it cannot draw."""
    covered = sorted(ord(c) for c in _drawn_as_is() if c != "\n")
    ranges, start = [], covered[0]
    for previous, current in zip(covered, [*covered[1:], -1], strict=True):
        if current != previous + 1:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(previous))
                                                   if previous > start else ""))  # fmt: skip
            start = current
    return re.compile("[^\\n" + "".join(ranges) + "]")


@cache
def _drawn_as_is() -> frozenset[str]:
    """Register the fonts; the characters both draw as they are (and the line break)."""
    paths = {REGULAR: FONT_DIR / "DejaVuSans.ttf", BOLD: FONT_DIR / "DejaVuSans-Bold.ttf"}
    for path in paths.values():
        if not path.is_file():
            raise FontMissing(f"{path} is missing: install the Debian package fonts-dejavu-core")
    fonts = {name: TTFont(name, str(path)) for name, path in paths.items()}
    for font in fonts.values():
        pdfmetrics.registerFont(font)
    both = set(fonts[REGULAR].face.charToGlyph) & set(fonts[BOLD].face.charToGlyph)
    return frozenset([chr(c) for c in both if chr(c).isprintable()] + ["\n"])


def drawable(text: str) -> str:
    """`text` with what the font cannot draw left out (invisible) or named in brackets."""
    if (text.isascii() and text.isprintable()) or _drawn_as_is().issuperset(text):
        return text
    return register_fonts().sub(lambda m: _stand_in(m.group()), text)


def _stand_in(char: str) -> str:
    if char == "\t":
        return "    "
    category = unicodedata.category(char)
    if category in ("Cf", "Cc", "Zl", "Zp") or unicodedata.name(char, "").startswith("VARIATION"):
        return "\n" if category in ("Zl", "Zp") else ""
    if category.startswith("Z"):
        return " "
    name = unicodedata.name(char, "")
    return f"[{name}]" if name else f"[U+{ord(char):04X}]"


def wrap(text: str, style: Style, width: float) -> list[str]:
    """The lines of `text` (already drawable) that fit `width`; blank lines kept.

    Words are put on a line as ReportLab's `simpleSplit` puts them; a word wider than the line
    alone is broken between characters.
    """
    measure = _measure(style.font)
    limit = width * 1000 / style.size  # in the font's units
    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        widths = [measure(word) for word in words]
        if " ".join(words) == paragraph:
            whole = sum(widths) + space * (len(words) - 1)
        else:
            whole = _units(style.font, paragraph)
        if whole <= limit:
            lines.append(paragraph)
            continue
        line: list[str] = []
        used = -space
        for word, wide in zip(words, widths, strict=True):
            if line and used + space + wide > limit:
                lines.append(" ".join(line))
                line, used = [], -space
            if not line and wide > limit:
                broken = _break_word(word, style, width)
                lines.extend(broken[:-1])
                word, wide = broken[-1], measure(broken[-1])
            line.append(word)
            used += space + wide
        if line:
            lines.append(" ".join(line))
    return lines


def text_width(text: str, style: Style) -> float:
    """The width of `text` in points (the same as ReportLab's `stringWidth`)."""
    return _units(style.font, text) * style.size / 1000


@cache
def _char_units(font: str) -> dict[str, float]:
    """The advance of each character of `font`, in 1/1000 of the font size."""
    register_fonts()
    face = pdfmetrics.getFont(font).face

    class Widths(dict[str, float]):
        def __missing__(self, char: str) -> float:
            return face.defaultWidth

    return Widths({chr(code): width for code, width in face.charWidths.items()})


def _units(font: str, text: str) -> float:
    """The width of `text` in `font`, in 1/1000 of the font size (ReportLab's sum, per char)."""
    return sum(map(_char_units(font).__getitem__, text))


@cache
def _measure(font: str) -> Callable[[str], float]:
    """A word's width in `font` (1/1000 of the size), remembered for the words seen often."""
    known: dict[str, float] = {}
    units = _char_units(font).__getitem__

    def measure(word: str) -> float:
        wide = known.get(word)
        if wide is None:
            if len(known) >= WORDS_KEPT:
                known.clear()
            wide = known[word] = sum(map(units, word))
        return wide

    return measure


def _break_word(line: str, style: Style, width: float) -> list[str]:
    """A line with a word wider than `width` (a long link, say), broken between characters."""
    out, start, used = [], 0, 0.0
    units = _char_units(style.font)
    for i, char in enumerate(line):
        w = units[char] * style.size / 1000
        if used + w > width and i > start:
            out.append(line[start:i])
            start, used = i, 0.0
        used += w
    out.append(line[start:])
    return out


class Pages:
    """The pages of one PDF being drawn, with a cursor `y` that moves down the page."""

    def __init__(self, out: io.BufferedIOBase, *, title: str, label: str) -> None:
        register_fonts()
        self.canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, pdfVersion=(1, 7),
                             initialFontName=REGULAR, initialFontSize=BODY.size)
        self.canvas.setTitle(title)
        self.label = drawable(label)  # the running foot: the part's title
        self.page = 1
        self.y = PAGE_H - TOP
        self.depth = 0  # the nesting the rules in the margin show
        self.links = 0  # link annotations made
        self._encoders: dict[str, _Encoder] = {}  # font name -> its coder for this document
        self._begin_page()

    def _begin_page(self) -> None:
        self._rules_top = self.y

    def _end_page(self) -> None:
        self._rules(self.y)
        c = self.canvas
        self._string(LEFT, BOTTOM / 2, self.label, FOOT)
        number = f"{self.page} /"
        self._string(PAGE_W - RIGHT - 12 - text_width(number, FOOT), BOTTOM / 2, number, FOOT)
        c.doForm("pages")  # the page count, known only at the end
        c.showPage()

    def _rules(self, bottom: float) -> None:
        """The vertical rules of the current nesting, from where they began down to `bottom`."""
        if self.depth and self._rules_top > bottom:
            c = self.canvas
            c.setStrokeColorRGB(*RULE)
            c.setLineWidth(1.5)
            for level in range(1, self.depth + 1):
                x = LEFT + (level - 1) * INDENT + 3
                c.line(x, self._rules_top, x, bottom)
        self._rules_top = bottom

    def nest(self, depth: int) -> None:
        """Set the nesting (0: none) of what is drawn next."""
        if depth != self.depth:
            self._rules(self.y)
            self.depth = depth

    def turn(self) -> None:
        """Begin a new page."""
        self._end_page()
        self.page += 1
        self.y = PAGE_H - TOP
        self._begin_page()

    def room(self, height: float) -> None:
        """Turn the page unless `height` points fit above the bottom margin."""
        if self.y - height < BOTTOM:
            self.turn()

    @property
    def left(self) -> float:
        """Where text begins at the current nesting."""
        return LEFT + self.depth * INDENT

    @property
    def width(self) -> float:
        """The width of a line at the current nesting."""
        return PAGE_W - RIGHT - self.left

    def space(self, points: float) -> None:
        """Leave `points` of space (not past the bottom of the page)."""
        self.y = max(BOTTOM, self.y - points)

    def text(self, text: str, style: Style, *, link: str | None = None, box: bool = False) -> None:
        """Draw `text` wrapped to the line width; `link`: each line links to that web address."""
        pad = 4.0 if box else 0.0
        lines = wrap(drawable(text), style, self.width - 2 * pad)
        x = self.left + pad
        while lines:
            if self.y - style.leading < BOTTOM:
                self.turn()
            fit = min(len(lines), int((self.y - BOTTOM) // style.leading))
            top, chunk, lines = self.y, lines[:fit], lines[fit:]
            self._lines(chunk, style, x, link)
            if box:
                self._box(top)

    def _lines(self, lines: list[str], style: Style, x: float, link: str | None) -> None:
        """Draw lines that fit on this page as one text object, moving the cursor below them."""
        encoder = self._encoder(style.font)
        colour, tail = _style_ops(style, bool(link))
        code = [f"BT 1 0 0 1 {fp_str(x, self.y - style.leading * 0.5 - style.size * 0.3)} Tm",
                colour]  # fmt: skip
        subset = -1
        for line in lines:
            for part, data in encoder.encode(line):
                if part != subset:
                    code.append(encoder.name(part) + tail)
                    subset = part
                code.append(f"({escapePDF(data)}) Tj")
            code.append("T*")
            if link and line:
                right = x + text_width(line, style)
                self._link((x, self.y - style.leading, right, self.y), link)
            self.y -= style.leading
        code.append("ET")
        self.canvas._code.append(" ".join(code))  # what `Canvas.drawText` adds for a text object

    def _string(self, x: float, y: float, text: str, style: Style) -> None:
        """One line of `text` (drawable) beginning at `x`, `y` (what `Canvas.drawString` draws)."""
        encoder = self._encoder(style.font)
        code = [f"BT 1 0 0 1 {fp_str(x, y)} Tm", _style_ops(style, False)[0]]
        for part, data in encoder.encode(text):
            code.append(f"{encoder.name(part)} {fp_str(style.size)} Tf ({escapePDF(data)}) Tj")
        code.append("ET")
        self.canvas._code.append(" ".join(code))

    def _link(self, box: tuple[float, float, float, float], url: str) -> None:
        """A link annotation over `box` of this page (no border; printed, as PDF/A wants)."""
        target = f"({escapePDF(url.encode('ascii'))})" if url.isascii() else (
            "<FEFF" + url.encode("utf-16-be").hex().upper() + ">")  # fmt: skip
        data = (f"<< /Type /Annot /Subtype /Link /Rect [ {fp_str(*box)} ] /Border [ 0 0 0 ]"
                f" /F 4 /A << /S /URI /URI {target} >> >>")  # fmt: skip
        self.canvas._addAnnotation(_Raw(data.encode("latin-1")))
        self.links += 1

    def _encoder(self, font: str) -> _Encoder:
        encoder = self._encoders.get(font)
        if encoder is None:
            encoder = self._encoders[font] = _Encoder(font, self.canvas._doc)
        return encoder

    def _box(self, top: float) -> None:
        """A frame around what was drawn from `top` down to the cursor."""
        self.canvas.setStrokeColorRGB(*MARK)
        self.canvas.setLineWidth(0.8)
        self.canvas.rect(self.left, self.y - 1, self.width, top - self.y + 1)

    def rule(self) -> None:
        """A line across the page, above a new thread."""
        self.room(4)
        self.canvas.setStrokeColorRGB(*GREY)
        self.canvas.setLineWidth(1.5)
        self.canvas.line(self.left, self.y, PAGE_W - RIGHT, self.y)
        self.y -= 4

    def image(self, path: Path) -> bool:
        """Draw the image file at `path` to fit the line; False when it cannot be read."""
        source = _image_source(path)
        if source is None:
            return False
        picture, (px_w, px_h) = source
        width = min(self.width, px_w * 0.75)
        height = px_h * width / px_w
        if height > MAX_IMAGE_H:
            width, height = width * MAX_IMAGE_H / height, MAX_IMAGE_H
        self.room(height + 4)
        self.y -= height + 4
        self.canvas.drawImage(picture, self.left, self.y + 2, width, height)
        return True

    def bookmark(self, key: str, title: str, level: int = 0) -> None:
        """An outline entry for what is drawn next."""
        self.canvas.bookmarkHorizontal(key, 0, self.y)
        self.canvas.addOutlineEntry(drawable(title), key, level=level, closed=True)

    def save(self) -> None:
        """Finish the last page, write the page count and the file."""
        self._end_page()
        c = self.canvas
        c.beginForm("pages")
        c.setFont(REGULAR, 8)
        c.setFillColorRGB(*GREY)
        c.drawString(PAGE_W - RIGHT - 10, BOTTOM / 2, str(self.page))
        c.endForm()
        c.showOutline()
        c.save()


class _Raw(PDFObject):
    """A PDF object given as its bytes (ReportLab's own objects cost far more to format)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: object) -> bytes:
        """The object's bytes."""
        return self.data


class _Encoder:
    """Text in one TrueType font as the bytes of its subsets, for one document.

    The codes are ReportLab's own (`TTFont.splitString` assigns them, and embeds the subsets
    with their ToUnicode maps): a line whose characters all have a code in the first subset is
    translated at once, any other goes through `splitString` and its new codes are learnt.
    """

    def __init__(self, font: str, doc: object) -> None:
        self.font = pdfmetrics.getFont(font)
        self.doc = doc
        self._names: dict[int, str] = {}
        self._table: dict[int, int] = {}  # character -> its code in subset 0
        self._known: frozenset[str] = frozenset()
        self._ascii_same = False  # every ASCII character known is its own code (ReportLab's
        self._learnt = -1  # "ASCII readable" subsets)

    def name(self, subset: int) -> str:
        """The PDF name of a subset (naming it registers the font with the document)."""
        name = self._names.get(subset)
        if name is None:
            name = self._names[subset] = self.font.getSubsetInternalName(subset, self.doc)
        return name

    def encode(self, line: str) -> list[tuple[int, bytes]]:
        """(subset, bytes) runs of `line`."""
        if self._known.issuperset(line):
            if not line:
                return []
            if self._ascii_same and line.isascii():
                return [(0, line.encode("ascii"))]
            return [(0, line.translate(self._table).encode("latin-1"))]
        runs = self.font.splitString(line, self.doc)
        assignments = self.font.state[self.doc].assignments
        if len(assignments) != self._learnt:
            self._learnt = len(assignments)
            self._table = {c: n for c, n in assignments.items() if n < 256}
            self._known = frozenset(map(chr, self._table))
            self._ascii_same = all(n == c for c, n in self._table.items() if c < 128)
        return runs


def _image_source(path: Path) -> tuple[str | ImageReader, tuple[int, int]] | None:
    """What ReportLab draws for the image at `path`, and its size in pixels (None: unreadable).

    A plain JPEG of moderate size is embedded as it is; anything else is decoded, flattened onto
    white, scaled down to `MAX_IMAGE_PX` and drawn as RGB (lossless, Flate).
    """
    try:
        with Image.open(path) as image:
            size = image.size
            small = max(size) <= MAX_IMAGE_PX and path.stat().st_size <= PASS_JPEG_BYTES
            if image.format == "JPEG" and image.mode in ("RGB", "L") and small and \
                    path.suffix.lower() in (".jpg", ".jpeg"):  # fmt: skip
                return str(path), size
            if image.format == "JPEG":
                image.draft("RGB", (MAX_IMAGE_PX, MAX_IMAGE_PX))  # decode at a smaller scale
            image.thumbnail((MAX_IMAGE_PX, MAX_IMAGE_PX))
            return ImageReader(_flat_rgb(image)), image.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _flat_rgb(image: Image.Image) -> Image.Image:
    """The image as RGB, any transparency flattened onto white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")

