"""PDF/A-2b of a capture's PNG: identification, output intent, pages of a tall page, alpha."""

from __future__ import annotations

import shutil
import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import img2pdf
import pikepdf
import pytest
import pyvips

from somed.capture.pdfa import MAX_PAGE_PT, SLICE_PX, page_images, pdfa_problems, write_pdfa

CREATED = datetime(2026, 12, 1, 15, 30, 5, tzinfo=UTC)


def _screenshot(path: Path, width: int, height: int, *, alpha: bool = False) -> Path:
    """A screenshot-like PNG: bands of colour 100 px high, a gradient, a marker in the last row."""
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    band = (y / 100).floor()
    image = ((band * 37) % 256).bandjoin([(band * 91 + x / 8) % 256, (x * 255 / width)])
    image = (y == height - 1).ifthenelse([255, 0, 0], image)  # the bottom row is red
    image = image.cast("uchar").copy(interpretation="srgb")
    if alpha:  # transparent left half, opaque right half
        image = image.bandjoin((x < width // 2).ifthenelse(0, 255).cast("uchar"))
    image.pngsave(str(path), compression=1)
    return path


def _pages(pdf: Path) -> list[tuple[float, float, int, int]]:
    """(width pt, height pt, image width px, image height px) of every page."""
    with pikepdf.open(pdf) as document:
        out = []
        for page in document.pages:
            box = [float(v) for v in page.mediabox]
            (image,) = page_images(page)
            out.append((box[2] - box[0], box[3] - box[1], int(image.Width), int(image.Height)))
        return out


def test_a_page_becomes_pdfa_2b_with_an_srgb_output_intent(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "page.png", 1280, 3000)
    info = write_pdfa(
        png,
        tmp_path / "page.pdf",
        title="Mora kommun på Facebook",
        author="somed",
        created=CREATED,
        subject="Ögonblicksbild",
    )
    assert pdfa_problems(info.path) == []
    assert (info.pages, info.width_px, info.height_px, info.reencoded) == (1, 1280, 3000, False)
    with pikepdf.open(info.path) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert meta.pdfa_status == "2B"
        assert meta["dc:title"] == "Mora kommun på Facebook" == str(pdf.docinfo.Title)
        assert datetime.fromisoformat(meta["xmp:CreateDate"]) == CREATED
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3
        assert intent.DestOutputProfile.read_bytes()[16:20] == b"RGB "
        assert not pdf.is_encrypted and len(pdf.trailer.ID) == 2
        (image,) = page_images(pdf.pages[0])
        assert image.Filter == "/FlateDecode" and image.DecodeParms.Predictor == 15  # PNG rows
    assert _pages(info.path) == [(960.0, 2250.0, 1280, 3000)]  # 96 dpi: 1 px = 0.75 pt
    again = write_pdfa(
        png,
        tmp_path / "again.pdf",
        title="Mora kommun på Facebook",
        author="somed",
        created=CREATED,
        subject="Ögonblicksbild",
    )
    assert again.sha256 == info.sha256  # the same capture gives the same file


def test_a_40000_px_page_is_split_over_pages_that_all_open(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "tall.png", 1280, 40_000)
    info = write_pdfa(
        png, tmp_path / "tall.pdf", title="Lång sida", author="somed", created=CREATED
    )
    assert pdfa_problems(info.path) == []
    pages = _pages(info.path)
    assert info.pages == len(pages) == 3 and info.reencoded
    assert sum(p[3] for p in pages) == 40_000
    assert all(p[1] <= MAX_PAGE_PT and p[3] <= SLICE_PX and p[2] == 1280 for p in pages)
    original = pyvips.Image.new_from_file(str(png))
    with pikepdf.open(info.path) as pdf:
        top = 0
        for page in pdf.pages:  # every page opens and shows its rows of the original, losslessly
            (image,) = page_images(page)
            picture = pikepdf.PdfImage(image).as_pil_image()
            rows = original.crop(0, top, 1280, picture.height)
            assert picture.tobytes() == rows.write_to_memory()
            top += picture.height
        assert picture.getpixel((5, picture.height - 1)) == (255, 0, 0)  # the real bottom


def test_an_alpha_channel_is_flattened_onto_white(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "alpha.png", 400, 300, alpha=True)
    info = write_pdfa(
        png, tmp_path / "alpha.pdf", title="Genomskinlig", author="somed", created=CREATED
    )
    assert info.flattened_alpha and pdfa_problems(info.path) == []
    with pikepdf.open(info.path) as pdf:
        (image,) = page_images(pdf.pages[0])
        assert "/SMask" not in image and image.ColorSpace == "/DeviceRGB"
        picture = pikepdf.PdfImage(image).as_pil_image()
    assert picture.getpixel((10, 10)) == (255, 255, 255)  # transparent: white
    assert picture.getpixel((390, 10)) != (255, 255, 255)  # opaque: its colour


def test_local_time_is_kept_consistent_between_info_and_xmp(tmp_path: Path) -> None:
    stockholm = timezone(timedelta(hours=1))
    png = _screenshot(tmp_path / "p.png", 200, 100)
    info = write_pdfa(
        png,
        tmp_path / "p.pdf",
        title="T",
        author="A",
        created=datetime(2026, 12, 1, 16, 0, tzinfo=stockholm),
    )
    assert pdfa_problems(info.path) == []
    with pytest.raises(ValueError, match="timezone"):
        write_pdfa(png, tmp_path / "q.pdf", title="T", author="A", created=datetime(2026, 12, 1))  # noqa: DTZ001


def test_problems_name_what_a_plain_pdf_lacks(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "p.png", 200, 100)
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(img2pdf.convert(str(png)))
    problems = pdfa_problems(plain)
    assert any("identification" in p for p in problems)
    assert any("output intent" in p for p in problems)
    info = write_pdfa(png, tmp_path / "a.pdf", title="T", author="A", created=CREATED)
    with pikepdf.open(info.path) as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    assert any("encrypted" in p for p in pdfa_problems(tmp_path / "locked.pdf"))
    (tmp_path / "junk.pdf").write_bytes(b"not a pdf")
    assert pdfa_problems(tmp_path / "junk.pdf")[0].startswith("does not open")



def _rewrite_image(pdf_path: Path, out: Path, change: Callable[[bytes], bytes]) -> Path:
    """A copy of a one-page PDF whose image's compressed data went through `change`."""
    with pikepdf.open(pdf_path) as pdf:
        (image,) = page_images(pdf.pages[0])
        parms = image.DecodeParms
        image.write(change(image.read_raw_bytes()), filter=pikepdf.Name.FlateDecode,
                    decode_parms=parms)  # fmt: skip
        pdf.save(out)
    return out


def test_image_data_cut_short_or_missing_rows_is_found(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "p.png", 300, 200)
    good = write_pdfa(png, tmp_path / "good.pdf", title="T", author="A", created=CREATED).path
    assert pdfa_problems(good) == []
    cut = _rewrite_image(good, tmp_path / "cut.pdf", lambda raw: raw[: len(raw) // 2])
    fewer = _rewrite_image(  # complete compressed data, ten rows (and their filter bytes) short
        good, tmp_path / "fewer.pdf", lambda raw: zlib.compress(zlib.decompress(raw)[: 190 * 901])
    )
    for broken in (cut, fewer):
        assert any("truncated" in p for p in pdfa_problems(broken)), broken.name

VERAPDF = shutil.which("verapdf")


@pytest.mark.skipif(
    VERAPDF is None,
    reason="veraPDF is not installed (a Java program from verapdf.org, not on PyPI, Debian or "
    "npm): put `verapdf` on PATH to check the PDF/A-2b files against it",
)
def test_verapdf_accepts_the_pdf(tmp_path: Path) -> None:
    png = _screenshot(tmp_path / "p.png", 1280, 20_000, alpha=True)
    info = write_pdfa(png, tmp_path / "p.pdf", title="T", author="A", created=CREATED)
    result = subprocess.run(
        [str(VERAPDF), "--flavour", "2b", "--format", "text", str(info.path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0 and "PASS" in result.stdout, result.stdout + result.stderr
