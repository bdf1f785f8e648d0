"""What an FGS / E-ARK package says about itself: its METS files and documentation/sha256sums.txt.

The root METS.xml and every representation METS it points to (`mets:mptr`, or a `mets:FLocat`
naming a `METS.xml`) are read with lxml's `iterparse`, each element dropped once read, so memory
stays flat however many files they list. Each `mets:file` gives its FLocat href, CHECKSUM,
CHECKSUMTYPE and SIZE, each `mets:mdRef` its href, CHECKSUM, CHECKSUMTYPE and SIZE; hrefs are
relative to the folder of the METS file that holds them. `documentation/sha256sums.txt`
(`<sha256>  <path>` lines, as `sha256sum` writes them) covers every file but itself, the METS
files included.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from lxml import etree

from somed.bundle.verify import Expected, algorithm_name
from somed.bundle.verify_source import Source, inside, walk_lines

METS = "{http://www.loc.gov/METS/}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
ROOT_METS = "METS.xml"
SHA256SUMS = "documentation/sha256sums.txt"
FILE, FLOCAT, MPTR = f"{METS}file", f"{METS}FLocat", f"{METS}mptr"
_TAGS = (FILE, f"{METS}mdRef", MPTR)


def read_fgs(source: Source, files: dict[str, int]) -> tuple[Expected, set[str]]:
    """The expectations of the package's METS files and checksum list (nothing may go unlisted)."""
    expected = Expected()
    representations = _read_mets(source, ROOT_METS, expected)
    for rel in sorted(representations):
        if rel in files:
            _read_mets(source, rel, expected)
    if SHA256SUMS in files:
        _read_sums(source, expected)
    else:
        expected.problem("missing", SHA256SUMS, reason="no_manifest")
    return expected, {SHA256SUMS}


def _read_mets(source: Source, name: str, expected: Expected) -> set[str]:
    """Note what the METS file `name` says; return the representation METS files it points to."""
    base = posixpath.dirname(name)
    pointed: set[str] = set()
    try:
        with source.open(name) as handle:
            parser = etree.iterparse(handle, events=("end",), resolve_entities=False)
            for _event, elem in parser:
                if elem.tag in _TAGS:
                    found = _element(elem, name, base, expected)
                    if found and (elem.tag == MPTR or posixpath.basename(found) == ROOT_METS):
                        pointed.add(found)
                _drop(elem)
    except etree.XMLSyntaxError as exc:
        expected.problem("unreadable", name, str(exc), "xml")
    except OSError as exc:
        expected.problem("unreadable", name, str(exc), "io")
    pointed.discard(name)
    return pointed


def _drop(elem: etree._Element) -> None:
    """Forget an element once read (and the read ones before it); a file's FLocats wait for it."""
    parent = elem.getparent()
    if elem.tag == FLOCAT or parent is None or parent.tag == FILE:
        return
    elem.clear()
    while elem.getprevious() is not None:
        del parent[0]


def _element(elem: etree._Element, name: str, base: str, expected: Expected) -> str | None:
    """Note one mets:file, mets:mdRef or mets:mptr; return the path its href names."""
    if elem.tag == FILE:
        locations = elem.findall(FLOCAT)
        hrefs = [loc.get(XLINK_HREF) for loc in locations]
        if not hrefs:
            return None
    else:
        hrefs = [elem.get(XLINK_HREF)]
    found = None
    for href in hrefs:
        rel = inside(base, unquote(href or ""))
        if rel is None:
            expected.problem("unreadable", name, f"{name}: {href!r}", "outside")
            continue
        found = rel
        if elem.tag == MPTR:
            continue
        _claims(elem, rel, name, expected)
    return found


def _claims(elem: etree._Element, rel: str, name: str, expected: Expected) -> None:
    """The CHECKSUM, CHECKSUMTYPE and SIZE of `elem`, as expectations about `rel`."""
    checksum, kind, size = elem.get("CHECKSUM"), elem.get("CHECKSUMTYPE"), elem.get("SIZE")
    if checksum:
        algorithm = algorithm_name(kind or "")
        if algorithm is None:
            expected.problem("unreadable", rel, f"{kind} ({name})", "algorithm")
        else:
            expected.digest(rel, algorithm, checksum, name)
    if size is not None and size.strip().isdigit():
        expected.size(rel, int(size), name)
    elif not checksum:
        expected.mention(rel)


def _read_sums(source: Source, expected: Expected) -> None:
    """The lines of documentation/sha256sums.txt (paths relative to the package root)."""
    with source.open(SHA256SUMS) as handle:
        for number, raw in walk_lines(handle):
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            escaped = line.startswith("\\")
            digest, sep, path = (line[1:] if escaped else line).partition(" ")
            if not sep or len(digest) != 64 or path[:1] not in (" ", "*"):
                expected.problem("unreadable", SHA256SUMS, f"{SHA256SUMS}:{number}", "line")
                continue
            path = path[1:]
            if escaped:
                path = path.replace("\\\\", "\0").replace("\\n", "\n").replace("\0", "\\")
            rel = inside("", path)
            if rel is None:
                expected.problem("unreadable", SHA256SUMS, f"{SHA256SUMS}:{number}", "outside")
                continue
            expected.digest(rel, "sha256", digest, SHA256SUMS)
