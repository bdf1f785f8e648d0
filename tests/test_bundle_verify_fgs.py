"""`somed verify` on FGS / E-ARK packages, folder and ZIP: METS fileSec, mdRefs, sha256sums.txt.

The package here is a minimal CSIP-shaped one written for these tests (the FGS writer lands
separately): a root METS.xml with a dmdSec and amdSec mdRef, a fileSec of documentation and
schema files plus the representation's METS, and a structMap mptr to it; the representation
METS lists its data files with hrefs relative to itself; documentation/sha256sums.txt covers
every file but itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lxml import etree

from somed.bundle.staging import Staging
from somed.bundle.verify import verify_package
from tests.test_bundle_verify import (
    added,
    altered,
    both_shapes,
    fresh_copy,
    removed,
    run_verify,
    tamper,
)

NOW = "2026-07-01T08:00:00Z"
PACKAGE_ID = "somed-mora-fb-2c5ea4c0-4067-11e9-8bad-9b1deb4d3b7d"
M = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
NSMAP = {"mets": M, "xlink": XLINK, "csip": CSIP}
REP = "representations/rep1"
DATA = {
    "data/records.jsonl": b'{"id": "1", "text": "Hej Mora"}\n',
    f"data/media/{'cd' * 32}.png": bytes(range(256)) * 20,
    "data/rendition/mora-fb/2026-01.html": "<!doctype html><title>Januari – Mora</title>\n".encode(),
}
ROOT_FILES = {
    "metadata/descriptive/dc.xml": b'<dc xmlns="http://purl.org/dc/elements/1.1/"><title>Mora</title></dc>\n',
    "metadata/preservation/premis.xml": b'<premis xmlns="http://www.loc.gov/premis/v3" version="3.0"/>\n',
    "schemas/mets1_12.xsd": b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
    "documentation/README.sv.md": "# Leveranspaket – Mora\n".encode(),
    "documentation/README.en.md": b"# Delivery package - Mora\n",
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _locate(parent: etree._Element, tag: str, href: str, **attrs: str) -> etree._Element:
    """A mets:FLocat / mdRef / mptr with a relative URL href."""
    elem = etree.SubElement(parent, _q(M, tag), LOCTYPE="URL", **attrs)
    elem.set(_q(XLINK, "type"), "simple")
    elem.set(_q(XLINK, "href"), href)
    return elem


def _file(group: etree._Element, ident: str, href: str, packed) -> None:  # noqa: ANN001
    node = etree.SubElement(
        group, _q(M, "file"), ID=ident, MIMETYPE=packed.mime_type, SIZE=str(packed.size),
        CREATED=packed.created, CHECKSUM=packed.sha256, CHECKSUMTYPE="SHA-256",
    )  # fmt: skip
    _locate(node, "FLocat", href)


def _mets(label: str, obj: str) -> etree._Element:
    root = etree.Element(_q(M, "mets"), nsmap=NSMAP, OBJID=obj, LABEL=label, TYPE="Mixed",
                         PROFILE="https://earksip.dilcis.eu/profile/E-ARK-SIP.xml")  # fmt: skip
    root.set(_q(CSIP, "CONTENTINFORMATIONTYPE"), "MIXED")
    header = etree.SubElement(root, _q(M, "metsHdr"), CREATEDATE=NOW, RECORDSTATUS="NEW")
    agent = etree.SubElement(
        header, _q(M, "agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE"
    )
    etree.SubElement(agent, _q(M, "name")).text = "somed"
    return root


def _write_xml(staging: Staging, rel: str, root: etree._Element):  # noqa: ANN202
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return staging.write_bytes(rel, data, "application/xml", "mets")


def make_fgs(out_dir: Path, *, as_zip: bool = False) -> Path:
    """Write a small CSIP-shaped package (see the module docstring) and move it into place."""
    staging = Staging(out_dir, PACKAGE_ID, now=NOW)
    data = {rel: staging.write_bytes(f"{REP}/{rel}", b, "application/octet-stream", "records")
            for rel, b in DATA.items()}  # fmt: skip
    files = {
        rel: staging.write_bytes(rel, b, "text/plain", "metadata") for rel, b in ROOT_FILES.items()
    }

    rep = _mets(f"{PACKAGE_ID} rep1", f"{PACKAGE_ID}-rep1")
    group = etree.SubElement(
        etree.SubElement(rep, _q(M, "fileSec")), _q(M, "fileGrp"), USE="Data", ID="rep1-data"
    )
    for number, (rel, packed) in enumerate(data.items()):
        _file(group, f"rep1-file-{number}", rel, packed)
    div = etree.SubElement(
        etree.SubElement(rep, _q(M, "structMap"), TYPE="PHYSICAL", LABEL="CSIP"), _q(M, "div")
    )
    etree.SubElement(
        etree.SubElement(div, _q(M, "div"), LABEL="Data"), _q(M, "fptr"), FILEID="rep1-data"
    )
    rep_mets = _write_xml(staging, f"{REP}/METS.xml", rep)

    root = _mets("Mora kommun – mora-fb", PACKAGE_ID)
    dmd = etree.SubElement(root, _q(M, "dmdSec"), ID="dmd-1", CREATED=NOW)
    dc = files["metadata/descriptive/dc.xml"]
    _locate(dmd, "mdRef", "metadata/descriptive/dc.xml", MDTYPE="DC", MIMETYPE="text/xml",
            SIZE=str(dc.size), CREATED=NOW, CHECKSUM=dc.sha256, CHECKSUMTYPE="SHA-256")  # fmt: skip
    digiprov = etree.SubElement(
        etree.SubElement(root, _q(M, "amdSec")), _q(M, "digiprovMD"), ID="premis-1"
    )
    premis = files["metadata/preservation/premis.xml"]
    _locate(digiprov, "mdRef", "metadata/preservation/premis.xml", MDTYPE="PREMIS",
            SIZE=str(premis.size), CHECKSUM=premis.sha256, CHECKSUMTYPE="SHA-256")  # fmt: skip
    file_sec = etree.SubElement(root, _q(M, "fileSec"))
    docs = etree.SubElement(file_sec, _q(M, "fileGrp"), USE="Documentation", ID="docs")
    schemas = etree.SubElement(file_sec, _q(M, "fileGrp"), USE="Schemas", ID="schemas")
    for number, (rel, packed) in enumerate(files.items()):
        if rel.startswith(("documentation/", "schemas/")):
            _file(docs if rel.startswith("doc") else schemas, f"file-{number}", rel, packed)
    reps = etree.SubElement(file_sec, _q(M, "fileGrp"), USE="Representations/rep1", ID="rep1")
    _file(reps, "rep1-mets", f"{REP}/METS.xml", rep_mets)
    div = etree.SubElement(
        etree.SubElement(root, _q(M, "structMap"), TYPE="PHYSICAL", LABEL="CSIP"), _q(M, "div")
    )
    _locate(etree.SubElement(div, _q(M, "div"), LABEL="Representations/rep1"), "mptr", f"{REP}/METS.xml",
            title="rep1")  # fmt: skip
    _write_xml(staging, "METS.xml", root)

    sums = "".join(f"{f.sha256}  {f.path}\n" for f in sorted(staging.files, key=lambda f: f.path))
    staging.write_bytes(
        "documentation/sha256sums.txt", sums.encode(), "text/plain", "documentation"
    )
    return staging.finish(as_zip=as_zip)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return both_shapes(make_fgs, tmp_path_factory)


@pytest.fixture(params=["folder", "zip"])
def package(request: pytest.FixtureRequest, packages: dict[str, Path], tmp_path: Path) -> Path:
    return fresh_copy(packages[request.param], tmp_path)


CHECKED = len(DATA) + len(ROOT_FILES) + 2  # + both METS (sha256sums.txt checks, is not checked)


def test_an_untouched_package_passes_with_one_line_naming_every_file(package: Path):
    code, lines = run_verify(package, "en")
    assert (code, len(lines)) == (0, 1), lines
    assert lines[0].startswith(f"OK: FGS package {PACKAGE_ID}, {CHECKED} files (")
    report = verify_package(package)
    assert (report.format, report.checked, report.problems) == ("fgs", CHECKED, [])


def test_sha256sum_checks_the_checksum_list_in_the_package_root(packages: dict[str, Path]):
    import subprocess

    done = subprocess.run(["sha256sum", "-c", "--strict", "documentation/sha256sums.txt"],
                          cwd=packages["folder"], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


DATA_FILE = f"{REP}/data/records.jsonl"
CASES = {
    "payload byte": (altered(DATA_FILE), "altered", DATA_FILE),
    "media byte": (altered(f"{REP}/data/media/{'cd' * 32}.png"), "altered", f"{REP}/data/media/"),
    "representation METS byte": (altered(f"{REP}/METS.xml"), "altered", f"{REP}/METS.xml"),
    "root METS byte": (altered("METS.xml"), "altered", "METS.xml"),
    "mdRef file byte": (
        altered("metadata/descriptive/dc.xml"),
        "altered",
        "metadata/descriptive/dc.xml",
    ),
    "README byte": (altered("documentation/README.sv.md"), "altered", "documentation/README.sv.md"),
    "checksum list byte": (
        altered("documentation/sha256sums.txt"),
        "",
        "documentation/sha256sums.txt",
    ),
    "added file": (added(f"{REP}/data/smuggled.txt"), "extra", f"{REP}/data/smuggled.txt"),
    "added root file": (added("notes.txt"), "extra", "notes.txt"),
    "removed payload": (removed(DATA_FILE), "missing", DATA_FILE),
    "removed premis": (
        removed("metadata/preservation/premis.xml"),
        "missing",
        "metadata/preservation/premis.xml",
    ),
    "removed checksum list": (
        removed("documentation/sha256sums.txt"),
        "missing",
        "documentation/sha256sums.txt",
    ),
    "removed representation METS": (removed(f"{REP}/METS.xml"), "missing", f"{REP}/METS.xml"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_one_change_fails_and_names_the_file(package: Path, case: str):
    change, kind, rel = CASES[case]
    tamper(package, change)
    code, lines = run_verify(package, "en")
    assert code == 1, lines
    prefix = f"{kind}: {rel}" if kind else ""
    assert any(line.startswith(prefix) and rel in line for line in lines[:-1]), lines
    assert lines[-1].startswith(f"FAILED: FGS package {PACKAGE_ID}: ")


def test_a_data_file_is_checked_against_its_representation_mets_even_without_the_list(
    package: Path,
):
    """The representation METS alone notices an altered data file (size and checksum)."""

    def alter_and_drop_from_list(files: dict[str, bytes]) -> None:
        files[DATA_FILE] = files[DATA_FILE] + b"appended\n"
        lines = files["documentation/sha256sums.txt"].splitlines(keepends=True)
        files["documentation/sha256sums.txt"] = b"".join(
            x for x in lines if b"records.jsonl" not in x
        )

    tamper(package, alter_and_drop_from_list)
    report = verify_package(package)
    found = {(p.kind, p.path, p.reason, p.detail.split(" (")[-1]) for p in report.problems}
    assert ("altered", DATA_FILE, "digest", f"{REP}/METS.xml") in found
    assert any(k == "altered" and r == "size" and d == f"{REP}/METS.xml)" for k, _p, r, d in found)
    assert {p.path for p in report.problems} == {DATA_FILE}


def test_an_href_leaving_the_package_is_a_problem_and_never_followed(package: Path):
    outside = package.parent / "outside.txt"
    outside.write_bytes(b"outside\n")
    digest = hashlib.sha256(b"outside\n").hexdigest()

    def point_out(files: dict[str, bytes]) -> None:
        rep = files[f"{REP}/METS.xml"].replace(b'xlink:href="data/records.jsonl"',
                                               b'xlink:href="../../../outside.txt"')  # fmt: skip
        files[f"{REP}/METS.xml"] = rep
        files["documentation/sha256sums.txt"] += f"{digest}  /etc/hostname\n".encode()

    tamper(package, point_out)
    code, lines = run_verify(package, "en")
    assert code == 1
    assert f"unreadable: {REP}/METS.xml (the path leads out of the package and is not followed: " \
           f"{REP}/METS.xml: '../../../outside.txt')" in lines  # fmt: skip
    assert any(
        x.startswith("unreadable: documentation/sha256sums.txt (the path leads out") for x in lines
    )
    assert not any("outside.txt" in x and not x.startswith("unreadable") for x in lines)


def test_a_mets_that_is_not_xml_is_named_and_the_rest_still_checked(package: Path):
    tamper(package, lambda files: files.__setitem__(f"{REP}/METS.xml", b"<mets:mets broken"))
    report = verify_package(package)
    kinds = {(p.kind, p.path) for p in report.problems}
    assert ("unreadable", f"{REP}/METS.xml") in kinds and ("altered", f"{REP}/METS.xml") in kinds
    assert report.checked == CHECKED


def test_many_files_in_a_mets_are_all_checked(tmp_path: Path):
    """A representation METS of 3,000 files, read element by element, checks every one."""
    staging = Staging(tmp_path, PACKAGE_ID, now=NOW)
    rep = _mets("big", "big")
    group = etree.SubElement(etree.SubElement(rep, _q(M, "fileSec")), _q(M, "fileGrp"), USE="Data")
    for number in range(3000):
        packed = staging.write_bytes(
            f"{REP}/data/{number}.txt", b"%d\n" % number, "text/plain", "records"
        )
        _file(group, f"f{number}", f"data/{number}.txt", packed)
    _write_xml(staging, f"{REP}/METS.xml", rep)
    root = _mets("big", PACKAGE_ID)
    div = etree.SubElement(etree.SubElement(root, _q(M, "structMap")), _q(M, "div"))
    _locate(div, "mptr", f"{REP}/METS.xml")
    _write_xml(staging, "METS.xml", root)
    sums = "".join(f"{f.sha256}  {f.path}\n" for f in staging.files if f.path.endswith("METS.xml"))
    staging.write_bytes(
        "documentation/sha256sums.txt", sums.encode(), "text/plain", "documentation"
    )
    package = staging.finish()
    (package / f"{REP}/data/2999.txt").write_bytes(b"changed\n")
    report = verify_package(package)
    assert report.checked == 3002
    assert [(p.kind, p.path) for p in report.problems] == [("altered", f"{REP}/data/2999.txt")] * 2
