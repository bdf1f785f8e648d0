"""What a BagIt bag says about itself: its manifests, tag manifests and Payload-Oxum."""

from __future__ import annotations

import re
from collections.abc import Iterator

from somed.bundle.verify import Expected, algorithm_name
from somed.bundle.verify_source import Source, inside, walk_lines

_MANIFEST = re.compile(r"^(tag)?manifest-([A-Za-z0-9]+)\.txt$")
_OWN = {"bagit.txt", "bag-info.txt", "fetch.txt"}  # BagIt's own files: never "extra"
_DECODE = re.compile(r"%(0D|0A|25)", re.IGNORECASE)
_DECODED = {"0D": "\r", "0A": "\n", "25": "%"}


def read_bagit(source: Source, files: dict[str, int]) -> tuple[Expected, set[str]]:
    """The expectations of the bag's manifests, and the files that may go unlisted."""
    expected = Expected()
    encoding = _encoding(source)
    manifests = sorted(name for name in files if _MANIFEST.match(name))
    payload_manifests = [m for m in manifests if not m.startswith("tag")]
    if not payload_manifests:
        expected.problem("missing", "manifest-sha256.txt", reason="no_manifest")
    listed: dict[str, set[str]] = {}
    for name in manifests:
        match = _MANIFEST.match(name)
        assert match is not None
        algorithm = algorithm_name(match.group(2))
        if algorithm is None:
            expected.problem("unreadable", name, match.group(2), "algorithm")
            continue
        for path, digest in _entries(source, name, encoding, expected, files):
            expected.digest(path, algorithm, digest, name)
            if not match.group(1):
                listed.setdefault(path, set()).add(name)
    for path, names in listed.items():
        lacking = [m for m in payload_manifests if m not in names]
        if lacking:
            expected.problem("extra", path, ", ".join(lacking), "partly_unlisted")
    _check_oxum(source, files, encoding, expected)
    allowed = _OWN | {name for name in manifests if name.startswith("tag")}
    return expected, allowed


def _entries(
    source: Source, name: str, encoding: str, expected: Expected, files: dict[str, int]
) -> Iterator[tuple[str, str]]:
    """The (path, digest) lines of the manifest `name`; bad or escaping lines are problems."""
    with source.open(name) as handle:
        for number, raw in walk_lines(handle):
            if not raw.strip():
                continue
            try:
                digest, path = raw.decode(encoding).split(maxsplit=1)
            except (UnicodeDecodeError, ValueError):
                expected.problem("unreadable", name, f"{name}:{number}", "line")
                continue
            rel = inside("", _decode(path.strip(), files))
            if rel is None:
                expected.problem("unreadable", name, f"{name}:{number}", "outside")
                continue
            yield rel, digest


def _decode(path: str, files: dict[str, int]) -> str:
    """A manifest path with %0D, %0A and %25 decoded (RFC 8493 2.1.3); kept as written when only
    that names a file (bagit-python and others leave % alone)."""
    decoded = _DECODE.sub(lambda m: _DECODED[m.group(1).upper()], path)
    return path if decoded not in files and path in files else decoded


def _encoding(source: Source) -> str:
    """The tag files' encoding as bagit.txt declares it (UTF-8 when it does not)."""
    fields = _tag_fields(source, "bagit.txt", "utf-8")
    declared = fields.get("Tag-File-Character-Encoding", ["UTF-8"])[0]
    try:
        "".encode(declared)
    except LookupError:
        return "utf-8"
    return declared


def _tag_fields(source: Source, name: str, encoding: str) -> dict[str, list[str]]:
    """The `Label: value` fields of a tag file (continuation lines joined)."""
    fields: dict[str, list[str]] = {}
    last: tuple[str, int] | None = None
    try:
        with source.open(name) as handle:
            for _number, raw in walk_lines(handle):
                line = raw.decode(encoding, errors="replace")
                if line[:1] in (" ", "\t") and last is not None:
                    values = fields[last[0]]
                    values[last[1]] += " " + line.strip()
                elif ":" in line:
                    label, _, value = line.partition(":")
                    fields.setdefault(label.strip(), []).append(value.strip())
                    last = (label.strip(), len(fields[label.strip()]) - 1)
    except FileNotFoundError:
        return {}
    return fields


def _check_oxum(source: Source, files: dict[str, int], encoding: str, expected: Expected) -> None:
    """Payload-Oxum (when bag-info.txt has it) against the files under data/."""
    oxum = _tag_fields(source, "bag-info.txt", encoding).get("Payload-Oxum")
    if not oxum:
        return
    payload = [size for rel, size in files.items() if rel.startswith("data/")]
    actual = f"{sum(payload)}.{len(payload)}"
    if oxum[0] != actual:
        expected.problem("altered", "bag-info.txt", f"{oxum[0]} ≠ {actual}", "oxum")
