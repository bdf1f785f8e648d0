"""The registrar bundle's rendition: threads, versions, marks, escaping, CSP and PDF/A."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pikepdf
import pytest
from conftest import PAGE_ID, TOKEN, TOKEN_ENV, small_page, write_config

from connectors.facebook.emulator import FacebookEmulator, TokenInfo
from somed.bundle.rendition import write_renditions
from somed.bundle.staging import Staging
from somed.pdfa import font_problems, identification_problems
from storage import disposals, flags, queries, registrations
from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script><b>x</b>"
ACCOUNT = {"key": "test-fb", "platform": "facebook", "name": "Testkommun", "owner": "KLK"}


def somed(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "somed", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-500:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """An emulator archive with an edit, a deletion, a disposal and a <script> comment, rendered."""
    directory = tmp_path_factory.mktemp("rendition")
    emulator = FacebookEmulator(
        [small_page(posts=6)], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}
    )
    endpoint = emulator.start()
    env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: TOKEN, "SOMED_LANG": "en",
           "SOMED_CONFIG": str(write_config(directory, endpoint))}  # fmt: skip
    try:
        post = emulator.newest_post_id(PAGE_ID)
        assert post
        script = emulator.add_comment(post, SCRIPT, author=("u9", "Mallory"))
        somed("archive", env=env)
        emulator.edit_post(post, "Ändrad text")
        somed("archive", env=env)
    finally:
        emulator.stop()
    db = connect(directory / "archive" / "somed.db")
    items = {i["id"]: i for i in queries.export_items(db)}
    comments = [i for i in items.values() if i["kind"] == "comment" and i["id"] != script]
    deleted, disposed = comments[0], comments[1]
    db.execute("UPDATE items SET deleted_at = '2026-11-30T10:00:00Z' WHERE id = ?", [deleted["id"]])
    db.conn.commit()
    disposals.dispose(db, [disposals.Disposal("facebook", disposed["id"], "comment", "test-fb",
                                              "kommentarer", "KS 2023/1285 §5", disposed["sha256"])],
                      plan_id="p1", by="tester", now="2026-12-01T08:00:00Z", details={})  # fmt: skip
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    registrations.register(db, ("facebook", post), "KS 2026/77", by="tester", now=now)
    flags.open_flag(
        db, "test-fb", "hate", reason="moderation.hate", item=("facebook", script), now=now
    )
    media = {r[0]: f"media/{r[0]}.png" for r in db.execute("SELECT sha256 FROM media")}
    staging = Staging(directory / "out", "pkg")
    for sha, rel in media.items():
        staging.add_copy(f"data/{rel}", directory / "archive" / next(
            r[0] for r in db.execute("SELECT path FROM media WHERE sha256 = ?", [sha])),
            "image/png", "media")  # fmt: skip
    write_renditions(staging, db, [ACCOUNT], None, None, payload="data", media_paths=media,
                     lang="en")  # fmt: skip
    folder = staging.path("data/rendition/test-fb")
    html = {p.name: p.read_text("utf-8") for p in folder.glob("*.html")}
    swedish = Staging(directory / "out-sv", "pkg")
    for rel in media.values():  # damaged copies: the PDF names them instead of drawing them
        swedish.write_bytes(f"data/{rel}", b"not an image", "image/png", "media")
    write_renditions(swedish, db, [ACCOUNT], None, None, payload="data", media_paths=media,
                     lang="sv", pdf_workers=0)  # fmt: skip
    return {"folder": folder, "html": html, "post": post, "script": script, "deleted": deleted,
            "disposed": disposed, "files": staging.files,
            "folder_sv": swedish.path("data/rendition/test-fb")}  # fmt: skip


def part_of(built: dict, item_id: str) -> tuple[str, lxml.html.HtmlElement]:
    for name, text in built["html"].items():
        if f'id="r-{item_id}"' in text:
            return name, lxml.html.fromstring(text)
    raise AssertionError(f"{item_id} in no part")


def test_threads_are_nested_in_date_order(built):
    name, page = part_of(built, built["post"])
    post = page.get_element_by_id(f"r-{built['post']}")
    thread = post.getparent()
    assert thread.get("class") == "thread"
    times = [t.get("datetime") for t in post.xpath("./article/h4/time")]
    assert times and times == sorted(times)
    assert thread.xpath(".//article[@class='rec']/article[@class='rec']"), (
        "replies nest in comments"
    )
    assert page.get("lang") == "en"


def test_versions_deletion_and_disposal_are_marked(built):
    _, page = part_of(built, built["post"])
    post = page.get_element_by_id(f"r-{built['post']}")
    text = post.text_content()
    assert "Versions, oldest first" in text and "Ändrad text" in text and "KS 2026/77" in text
    _, page = part_of(built, built["deleted"]["id"])
    assert (
        "Deleted from the platform"
        in page.get_element_by_id(f"r-{built['deleted']['id']}").text_content()
    )
    _, page = part_of(built, built["disposed"]["id"])
    mark = page.get_element_by_id(f"r-{built['disposed']['id']}").text_content()
    assert "Disposed of" in mark and "KS 2023/1285 §5" in mark
    assert built["disposed"]["text"] not in mark


def test_script_comment_is_text_and_csp_forbids_scripts(built):
    name, page = part_of(built, built["script"])
    assert not page.xpath("//script") and not page.xpath("//b")
    assert SCRIPT in page.get_element_by_id(f"r-{built['script']}").text_content()
    assert "Flag: hate" in page.get_element_by_id(f"r-{built['script']}").text_content()
    csp = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp and "script-src" not in csp and "img-src 'self'" in csp
    for text in built["html"].values():
        doc = lxml.html.fromstring(text)
        assert not [s for s in doc.xpath("//@src") if re.match(r"(?i)\s*(https?:)?//", s)]
        for a in doc.xpath("//a[starts-with(@href, 'http')]"):
            assert a.text == a.get("href")  # permalinks, shown as they are
        assert not doc.xpath("//link") and "@import" not in text


def test_images_load_from_the_bundle(built):
    folder: Path = built["folder"]
    srcs = [s for t in built["html"].values() for s in lxml.html.fromstring(t).xpath("//img/@src")]
    assert srcs
    for src in srcs:
        assert (folder / src).resolve().is_file()
    alts = [a for t in built["html"].values() for a in lxml.html.fromstring(t).xpath("//img/@alt")]
    assert all(alts)


def pdf_text(pdf: Path) -> str:
    """The text of every page, as a reader extracts it (lines joined with spaces)."""
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
    return " ".join(" ".join(p.extract_text().split("\n")) for p in pages)


def test_pdf_is_pdfa_with_the_script_as_text_and_images(built):
    name, _ = part_of(built, built["script"])
    pdf = built["folder"] / name.replace(".html", ".pdf")
    with pikepdf.open(pdf) as doc:
        meta = doc.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        assert meta.pdfa_status == "2B"
        images = [k for page in doc.pages for k in page.get_images()]
    assert images
    assert SCRIPT in pdf_text(pdf).replace(" ", "")
    assert any(f.path.endswith(".pdf") and f.sha256 for f in built["files"])


def test_every_pdf_carries_the_pdfa_identification_and_embeds_its_fonts(built):
    pdfs = sorted(built["folder"].glob("*.pdf"))
    assert len(pdfs) == len([n for n in built["html"] if n != "index.html"])
    for pdf in pdfs:
        with pikepdf.open(pdf) as doc:
            assert identification_problems(doc) == [], pdf.name
            assert font_problems(doc) == [], pdf.name
            fonts = {str(f.BaseFont).split("+")[-1] for page in doc.pages
                     for f in page.Resources.Font.values()}  # fmt: skip
            assert fonts <= {"DejaVuSans", "DejaVuSans-Bold"}
            (intent,) = doc.Root.OutputIntents
            assert intent.OutputConditionIdentifier == "sRGB IEC61966-2.1"
            annotations = [a for page in doc.pages for a in page.get("/Annots", [])]
            assert annotations and all(int(a.F) & 4 for a in annotations)  # printed
            assert all(str(a.A.URI).startswith("https://") for a in annotations)
            with doc.open_outline() as outline:
                titles = [item.title for item in outline.root]
            assert titles and all(titles)


def test_pdf_shows_the_same_records_as_the_html_with_marks(built):
    for name, text in built["html"].items():
        if name == "index.html":
            continue
        ids = {e.get("id")[2:] for e in lxml.html.fromstring(text).xpath("//article[@class='rec']")}
        shown = pdf_text(built["folder"] / name.replace(".html", ".pdf"))
        assert all(f"id {i}" in shown for i in ids), name
    deleted = pdf_record(built, built["folder"], built["deleted"]["id"])
    assert built["deleted"]["text"] in deleted and "Deleted from the platform" in deleted
    disposed = pdf_record(built, built["folder"], built["disposed"]["id"])
    assert "Disposed of" in disposed and built["disposed"]["text"] not in disposed


def pdf_record(built: dict, folder: Path, item_id: str) -> str:
    """The PDF text of one record: from its id up to the next record's (or the end)."""
    name, _ = part_of(built, item_id)
    shown = pdf_text(folder / name.replace(".html", ".pdf"))
    return shown.split(f"id {item_id} ", 1)[1].split(" record · id ", 1)[0]


def test_swedish_pdf_uses_the_swedish_catalogue(built):
    deleted = pdf_record(built, built["folder_sv"], built["deleted"]["id"])
    assert "Borttagen från plattformen" in deleted and "Deleted" not in deleted
    name, _ = part_of(built, built["deleted"]["id"])
    pdf = built["folder_sv"] / name.replace(".html", ".pdf")
    name, _ = part_of(built, built["post"])
    shown = pdf_text(built["folder_sv"] / name.replace(".html", ".pdf"))
    assert "Versioner, äldst först" in shown and "Ändrad text" in shown
    assert "Bilden (image/png) kan inte visas här; filen finns i paketet: media/" in shown
    with pikepdf.open(pdf) as doc:
        assert identification_problems(doc) == []
        title = doc.open_metadata()["dc:title"]
        assert title == str(doc.docinfo.Title)
    assert title in ("Testkommun – november 2026", "Testkommun – december 2026")


VERAPDF = shutil.which("verapdf")


@pytest.mark.skipif(
    VERAPDF is None,
    reason="veraPDF is not installed (a Java program from verapdf.org, not on PyPI, Debian or "
    "npm): put `verapdf` on PATH to check the renditions' PDF/A-2b against it",
)
def test_verapdf_accepts_the_rendition(built):
    for folder in (built["folder"], built["folder_sv"]):
        for pdf in sorted(folder.glob("*.pdf")):
            result = subprocess.run([str(VERAPDF), "--flavour", "2b", "--format", "text", str(pdf)],
                                    capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
            assert result.returncode == 0 and "PASS" in result.stdout, result.stdout + result.stderr
