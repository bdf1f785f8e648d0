"""PDF/A-2b identification, shared by the snapshots' PDFs and the bundles' renditions.

`identify_pdfa` gives an open pikepdf document what PDF/A-2b asks of the file as a whole: an
sRGB output intent (GTS_PDFA1) with an embedded ICC profile, the document information and the
same in XMP with `pdfaid:part` 2 and `pdfaid:conformance` B, and the Print flag on every
annotation. `save_pdfa` writes it with a deterministic document ID; `identification_problems`
checks all of that again (and no encryption, PDF 1.7 at most) on a finished file.
"""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf.models.metadata import decode_pdf_date, encode_pdf_date
from PIL import ImageCms

SRGB = "sRGB IEC61966-2.1"
PRINT_FLAG = 4  # annotation flag bit 3: PDF/A wants every annotation printed


def srgb_profile() -> bytes:
    """An sRGB ICC profile (built by LittleCMS through Pillow), the same bytes on every call.

    The header's creation time is fixed, so one input and one set of metadata always give the
    same PDF (and the content-addressed store keeps it once); the version is labelled 4.2.0,
    the ICC.1:2004-10 that ISO 32000-1 (PDF 1.7, the base of PDF/A-2) names.
    """
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    if not any(data[84:100]):  # no profile ID (an MD5 over the header) to invalidate
        data[24:36] = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)
        if data[8] == 4:
            data[9:12] = b"\x20\x00\x00"
    return bytes(data)


def identify_pdfa(
    pdf: pikepdf.Pdf,
    *,
    title: str,
    author: str,
    subject: str | None,
    created: datetime,
    producer: str,
    flag_annotations: bool = True,
) -> None:
    """Add the sRGB output intent, document information, XMP and annotation flags of PDF/A-2b.

    `flag_annotations=False`: the annotations already have the Print flag (the maker set it).
    """
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    profile = pdf.make_stream(srgb_profile())
    profile.N = 3
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=SRGB,
        Info=SRGB,
        RegistryName="http://www.color.org",
        DestOutputProfile=profile,
    )
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])
    for page in pdf.pages if flag_annotations else ():
        for annotation in page.obj.get("/Annots", []):
            annotation.F = int(annotation.get("/F", 0)) | PRINT_FLAG
    for key in list(pdf.docinfo.keys()):  # only what the XMP below repeats
        del pdf.docinfo[key]
    info = pdf.docinfo
    date = encode_pdf_date(created)
    info.Title, info.Author = pikepdf.String(title), pikepdf.String(author)
    if subject:
        info.Subject = pikepdf.String(subject)
    info.Creator = info.Producer = pikepdf.String(producer)
    info.CreationDate = info.ModDate = pikepdf.String(date)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(info, raise_failure=True)
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["xmp:MetadataDate"] = created.isoformat()


def save_pdfa(pdf: pikepdf.Pdf, out: Path | Any, **options: Any) -> None:
    """Save `pdf` (to a path or a binary stream) with a deterministic ID, keeping the XMP plain."""
    pdf.save(out, deterministic_id=True, preserve_pdfa=True, **options)


def identification_problems(pdf: pikepdf.Pdf) -> list[str]:
    """What keeps the open `pdf` from carrying the PDF/A-2b identification we write."""
    return (
        _structure_problems(pdf)
        + _metadata_problems(pdf)
        + _intent_problems(pdf)
        + _annotation_problems(pdf)
    )


def _structure_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        problems.append("encrypted (PDF/A forbids encryption)")
    ids = pdf.trailer.get("/ID")
    if not isinstance(ids, pikepdf.Array) or len(ids) != 2:
        problems.append("no document ID in the trailer")
    if pdf.pdf_version > "1.7":
        problems.append(f"PDF version {pdf.pdf_version} is newer than PDF/A-2 allows (1.7)")
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return ["no XMP metadata stream, so no PDF/A identification"]
    problems = []
    if "/Filter" in stream:
        problems.append("XMP metadata stream is compressed (PDF/A forbids a filter on it)")
    meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") != "B":
        problems.append(
            f"identification is part {meta.get('pdfaid:part')!r} conformance "
            f"{meta.get('pdfaid:conformance')!r}, not 2 B"
        )
    info = pdf.docinfo
    for key, prop in (("/Title", "dc:title"), ("/Producer", "pdf:Producer")):
        if str(info.get(key, "")) != str(meta.get(prop, "")) or not str(info.get(key, "")):
            problems.append(f"info {key} and XMP {prop} differ or are missing")
    author, creators = str(info.get("/Author", "")), meta.get("dc:creator") or []
    if not author or [author] != list(creators):
        problems.append("info /Author and XMP dc:creator differ or are missing")
    for key, prop in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        problems += _date_problem(info.get(key), meta.get(prop), key, prop)
    return problems


def _date_problem(pdf_date: object, xmp_date: object, key: str, prop: str) -> list[str]:
    if pdf_date is None or not xmp_date:
        return [f"info {key} or XMP {prop} is missing"]
    try:
        left = decode_pdf_date(str(pdf_date))
        right = datetime.fromisoformat(str(xmp_date))
    except ValueError:
        return [f"info {key} or XMP {prop} is not a date"]
    if left.tzinfo is None or right.tzinfo is None or left != right:
        return [f"info {key} ({pdf_date}) and XMP {prop} ({xmp_date}) differ"]
    return []


def _intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = [
        i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == pikepdf.Name.GTS_PDFA1
    ]
    if len(intents) != 1:
        return [f"{len(intents)} GTS_PDFA1 output intents, not one"]
    profile = intents[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return ["the output intent embeds no ICC profile"]
    data = profile.read_bytes()
    rgb = len(data) >= 128 and data[36:40] == b"acsp" and data[16:20] == b"RGB "
    if not rgb or profile.get("/N") != 3:
        return ["the output intent's ICC profile is not an RGB profile"]
    if data[8] > 4:
        return [f"the output intent's ICC profile is version {data[8]}, newer than PDF 1.7 allows"]
    return []


def _annotation_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", []):
            if not int(annotation.get("/F", 0)) & PRINT_FLAG:
                problems.append(f"page {number}: an annotation without the Print flag")
    return problems


def font_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Fonts used on the pages whose program is not embedded (PDF/A embeds every font)."""
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for name, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
            descendants = font.get("/DescendantFonts") or [font]
            for each in descendants:
                descriptor = each.get("/FontDescriptor")
                if descriptor is None or not any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    base = each.get("/BaseFont")
                    problems.append(f"page {number}: font {name} ({base}) is not embedded")
    return problems
