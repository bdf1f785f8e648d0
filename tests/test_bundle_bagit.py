"""The BagIt writer: a bag made with Staging passes bagit-python and coreutils, bag-info is right."""

from __future__ import annotations

import subprocess
from pathlib import Path

import bagit
import pytest

from somed import __version__
from somed.bundle.bagit_format import BagitFormat
from somed.bundle.model import BundleInfo, Organisation
from somed.bundle.staging import Staging

NOW = "2026-07-01T08:00:00Z"
PACKAGE_ID = "somed-mora-fb-1b4e28ba-2fa1-11d2-883f-0016d3cca427"
PAYLOAD = {
    "records.jsonl": b'{"id": "1", "text": "Hej Mora"}\n{"id": "2", "text": "Svar"}\n',
    "media/" + "ab" * 32 + ".jpg": bytes(range(256)) * 40,
    "snapshots/mora-fb/20260102T030405Z-7/manifest.json": b'{"capture": 7}\n',
    "register.json": b'{"key": "mora-fb", "owner": "Kommunikationsenheten, Mora"}\n',
    "rendition/mora-fb/index.html": "<!doctype html><title>Mora – inlägg</title>\n".encode(),
}
READMES = {"README.sv.md": "# Paket – innehåll\n".encode(), "README.en.md": b"# Package\n"}


def bundle_info(package_id: str = PACKAGE_ID) -> BundleInfo:
    """A BundleInfo as the builder fills it, for one Facebook account and half a year."""
    return BundleInfo(
        package_id=package_id,
        label="Mora kommun – mora-fb – 2026-01-01–2026-07-01",
        format="bagit",
        created_at=NOW,
        organisation=Organisation("Mora kommun", "212000-2163"),
        software="somed",
        software_version=__version__,
        accounts=[{"key": "mora-fb", "platform": "facebook", "url": "https://facebook.com/mora"}],
        since="2026-01-01T00:00:00Z",
        until="2026-07-01T00:00:00Z",
        items=2,
    )


def make_bag(
    out_dir: Path, payload: dict[str, bytes] | None = None, *, as_zip: bool = False
) -> Path:
    """Write a bag as the builder does: payload under data/, READMEs at the root, then finish."""
    staging = Staging(out_dir, PACKAGE_ID, now=NOW)
    for rel, data in (PAYLOAD if payload is None else payload).items():
        staging.write_bytes(f"data/{rel}", data, "application/octet-stream", "records")
    for rel, data in READMES.items():
        staging.write_bytes(rel, data, "text/markdown", "documentation")
    BagitFormat().finish(staging, bundle_info(), None)  # type: ignore[arg-type]
    return staging.finish(as_zip=as_zip)


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bag(tmp_path_factory.mktemp("bag"))


def test_the_bag_is_valid_for_bagit_python_with_every_checksum_recomputed(bag: Path):
    loaded = bagit.Bag(str(bag))
    loaded.validate(fast=False, completeness_only=False)
    assert loaded.version_info == (1, 0)
    assert set(loaded.algorithms) == {"sha256", "sha512"}
    assert (bag / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )


@pytest.mark.parametrize(
    "tool,manifest",
    [
        ("sha256sum", "manifest-sha256.txt"),
        ("sha512sum", "manifest-sha512.txt"),
        ("sha256sum", "tagmanifest-sha256.txt"),
        ("sha512sum", "tagmanifest-sha512.txt"),
    ],
)
def test_coreutils_check_every_manifest_in_the_bag_root(bag: Path, tool: str, manifest: str):
    done = subprocess.run(
        [tool, "--check", "--strict", manifest], cwd=bag, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len((bag / manifest).read_text().splitlines())


def test_bag_info_names_the_organisation_package_accounts_and_period(bag: Path):
    info = bagit.Bag(str(bag)).info
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in files)}.{len(files)}"
    assert info["Source-Organization"] == "Mora kommun"
    assert info["Source-Organization-Identifier"] == "212000-2163"
    assert info["External-Identifier"] == PACKAGE_ID == bag.name
    assert info["Bagging-Date"] == "2026-07-01"
    assert info["Bag-Size"].endswith(" kB")
    assert info["Bag-Software-Agent"] == f"somed {__version__}"
    assert "mora-fb" in info["Internal-Sender-Identifier"]
    swedish, english = info["External-Description"]
    assert swedish.startswith("Arkiverade sociala medier-konton: mora-fb (facebook")
    assert "Period: 2026-01-01 – 2026-07-01" in swedish and "Poster: 2" in swedish
    assert english.startswith("Archived social media accounts: mora-fb (facebook")


def test_manifests_are_sorted_lf_lines_and_the_tag_manifest_lists_every_tag_file(bag: Path):
    for name in ("manifest-sha256.txt", "tagmanifest-sha512.txt", "bag-info.txt"):
        assert b"\r" not in (bag / name).read_bytes()
    lines = (bag / "manifest-sha256.txt").read_text().splitlines()
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths) == sorted(f"data/{rel}" for rel in PAYLOAD)
    tagged = [
        line.split("  ", 1)[1] for line in (bag / "tagmanifest-sha256.txt").read_text().splitlines()
    ]
    assert tagged == sorted(
        ["README.en.md", "README.sv.md", "bag-info.txt", "bagit.txt"]
        + ["manifest-sha256.txt", "manifest-sha512.txt"]
    )


def test_percent_cr_and_lf_in_a_path_are_percent_encoded_as_rfc_8493_asks(tmp_path: Path):
    odd = {"100%.txt": b"full\n", "två\nrader\r.txt": b"odd name\n", "å ä ö.txt": b"utf-8\n"}
    bag = make_bag(tmp_path, odd)
    text = (bag / "manifest-sha512.txt").read_text(encoding="utf-8")
    assert "  data/100%25.txt\n" in text
    assert "  data/två%0Arader%0D.txt\n" in text
    assert "  data/å ä ö.txt\n" in text


def test_bagit_python_reads_encoded_cr_and_lf_and_utf8_names(tmp_path: Path):
    """bagit-python decodes %0A and %0D but not %25 (its issue #157), and somed's own paths never
    hold %: account keys are [a-z0-9_-], media names hex, snapshot names timestamps and ids."""
    bag = make_bag(tmp_path, {"två\nrader\r.txt": b"odd name\n", "å ä ö.txt": b"utf-8\n"})
    bagit.Bag(str(bag)).validate(fast=False)


def test_the_manifests_come_from_the_hashes_taken_while_writing(tmp_path: Path):
    """The payload is not read again: a file changed on disk after writing fails validation."""
    staging = Staging(tmp_path, PACKAGE_ID, now=NOW)
    staging.write_bytes("data/records.jsonl", b"written\n", "application/x-ndjson", "records")
    staging.path("data/records.jsonl").write_bytes(b"changed\n")
    BagitFormat().finish(staging, bundle_info(), None)  # type: ignore[arg-type]
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(staging.finish())).validate(fast=False)
