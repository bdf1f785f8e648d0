"""A real `somed capture` (Chromium against the emulator's public page) in a real `somed
bundle`: the capture's screenshot, PDF/A, WACZ and manifest are in the package, are the files
the capture made, and are listed with their checksums in the METS, the checksum list and the
BagIt manifest."""

from __future__ import annotations

import hashlib
import os
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from lxml import etree

from storage.captures import captures_of
from storage.db import connect
from tests.test_bundle_cli import ORGANISATION
from tests.test_bundle_logs import ACCOUNT, somed
from tests.test_capture_cli import ACCOUNT as CAPTURED

pytestmark = pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="no Chromium")
METS = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"
FILES = {"screenshot.png": "png_sha256", "snapshot.pdf": "pdf_sha256",
         "snapshot.wacz": "wacz_sha256", "manifest.json": "manifest_sha256"}  # fmt: skip


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot_folder(data: Path) -> Path:
    """The one capture's folder under the payload's `snapshots/<account>/`."""
    (folder,) = (data / "snapshots" / ACCOUNT).iterdir()
    return folder


def test_a_capture_is_in_the_bundle_with_its_pdf_and_wacz_listed(fb_setup, tmp_path):
    setup = fb_setup(accounts=CAPTURED, extra=ORGANISATION)
    somed(setup, "archive")
    assert "test-fb: valid snapshot" in somed(setup, "capture", "--account", ACCOUNT)
    with closing(connect(setup.config.db_path)) as db:
        (capture,) = captures_of(db, ACCOUNT)

    fgs = Path(somed(setup, "bundle", "--account", ACCOUNT, "--out", str(tmp_path / "fgs"))
               .splitlines()[0])  # fmt: skip
    folder = snapshot_folder(fgs / "representations/rep1/data")
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name, column in FILES.items():
        assert sha256(folder / name) == capture[column], name
    assert (folder / "snapshot.pdf").read_bytes().startswith(b"%PDF-")
    assert zipfile.is_zipfile(folder / "snapshot.wacz")
    mets = fgs / "representations/rep1/METS.xml"
    listed = {}
    for element in etree.parse(str(mets)).iter(f"{METS}file"):
        href = element.find(f"{METS}FLocat").get(f"{XLINK}href")
        listed[(mets.parent / href).resolve()] = element.get("CHECKSUM")
    sums = (fgs / "documentation/sha256sums.txt").read_text(encoding="utf-8")
    for name in ("snapshot.pdf", "snapshot.wacz"):
        path = folder / name
        assert listed[path.resolve()] == sha256(path), name
        assert f"{sha256(path)}  {path.relative_to(fgs).as_posix()}\n" in sums, name

    bag = Path(somed(setup, "bundle", "--account", ACCOUNT, "--format", "bagit", "--out",
                     str(tmp_path / "bagit")).splitlines()[0])  # fmt: skip
    folder = snapshot_folder(bag / "data")
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    for name in ("snapshot.pdf", "snapshot.wacz"):
        path = folder / name
        assert f"{sha256(path)}  {path.relative_to(bag).as_posix()}\n" in manifest, name
