"""The bundle's media, copied in a thread beside the rendition: order, checks, failures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from somed.bundle.content import BundleError, MediaCopier, MediaCopy
from somed.bundle.staging import Staging


def stored(folder: Path, data: bytes, name: str | None = None) -> MediaCopy:
    digest = hashlib.sha256(data).hexdigest()
    source = folder / (name or digest)
    source.write_bytes(data)
    return MediaCopy(digest, source, f"media/{digest}.jpg", "image/jpeg")


def test_media_are_listed_in_plan_order_where_the_copying_began(tmp_path: Path):
    copies = [stored(tmp_path, bytes([n]) * (300_000 + n)) for n in range(5)]
    staging = Staging(tmp_path / "out", "pkg")
    staging.write_bytes("data/records.jsonl", b"{}\n", "application/x-ndjson", "records")
    seen: list[int] = []
    with MediaCopier(staging, "data", copies, seen.append):
        staging.write_bytes("data/register.json", b"{}\n", "application/json", "register")
    paths = [f.path for f in staging.files]
    assert paths == ["data/records.jsonl", *(f"data/{c.rel}" for c in copies), "data/register.json"]
    for copy, packed in zip(copies, staging.files[1:6], strict=True):
        assert packed.sha256 == copy.digest and packed.size == copy.source.stat().st_size
        assert packed.sha512 == hashlib.sha512(copy.source.read_bytes()).hexdigest()
        assert staging.path(packed.path).read_bytes() == copy.source.read_bytes()
    assert sum(seen) == sum(c.source.stat().st_size for c in copies)


def test_a_store_file_that_no_longer_matches_its_name_fails_the_bundle(tmp_path: Path):
    good = stored(tmp_path, b"a" * 1000)
    bad = stored(tmp_path, b"b" * 1000)
    bad.source.write_bytes(b"changed")
    staging = Staging(tmp_path / "out", "pkg")
    with pytest.raises(BundleError, match="no longer matches its name"), \
            MediaCopier(staging, "data", [good, bad], lambda n: None):  # fmt: skip
        pass
    staging.abort()


def test_a_failure_in_the_builder_stops_the_copying_and_is_what_is_raised(tmp_path: Path):
    copies = [stored(tmp_path, bytes([n]) * 2_000_000) for n in range(20)]
    staging = Staging(tmp_path / "out", "pkg")
    with pytest.raises(KeyError), MediaCopier(staging, "data", copies, lambda n: None):
        raise KeyError("rendition")
    assert staging.files == []
    staging.abort()
