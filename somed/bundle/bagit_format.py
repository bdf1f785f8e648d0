"""The BagIt (RFC 8493) package format: the payload under `data/`, the tag files around it.

`finish` writes, after the builder has written the payload and the README files:
`bagit.txt`, `bag-info.txt`, `manifest-sha256.txt`, `manifest-sha512.txt`, then
`tagmanifest-sha256.txt` and `tagmanifest-sha512.txt` over every tag file (everything outside
`data/` but the tag manifests themselves). The manifests come from the hashes `Staging` computed
while writing: the payload is never read again. Lines are sorted by path and end with LF; a path
holding CR, LF or % has them percent-encoded (RFC 8493 section 2.1.3).

bag-info.txt holds the reserved labels Source-Organization, External-Identifier (the package
id), Internal-Sender-Identifier (somed and the account keys), Internal-Sender-Description (the
package label), Bagging-Date, Payload-Oxum, Bag-Size, External-Description (Swedish first, then
English: the accounts and the period) and Bag-Software-Agent, plus one label of our own:
`Source-Organization-Identifier`, the organisation's identification code (organisationsnummer)
from `[organisation] identification_code`, as FGS puts it in its IDENTIFICATIONCODE note.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from somed.bundle.model import BundleInfo, Format, PackedFile
from somed.bundle.staging import Staging

PAYLOAD = "data"
ALGORITHMS = ("sha256", "sha512")
TAG_MIME = "text/plain"
ORGANISATION_CODE_LABEL = "Source-Organization-Identifier"


class BagitFormat:
    """BagIt 1.0 with SHA-256 and SHA-512 manifests and tag manifests."""

    name: Format = "bagit"
    sha512 = True  # manifest-sha512.txt, tagmanifest-sha512.txt
    payload_root = PAYLOAD
    documentation_root = ""

    def finish(self, staging: Staging, info: BundleInfo, db: Database) -> None:
        """Write the tag files from `staging.files` and `info` (`db` is not needed)."""
        payload = [f for f in staging.files if _in_payload(f.path)]
        staging.write_bytes("bagit.txt", BAGIT_TXT, TAG_MIME, "tag")
        info_text = bag_info(info, payload, tag_bytes=_tag_bytes(staging.files))
        staging.write_bytes("bag-info.txt", info_text.encode("utf-8"), TAG_MIME, "tag")
        for algorithm in ALGORITHMS:
            text = manifest(payload, algorithm)
            staging.write_bytes(f"manifest-{algorithm}.txt", text, TAG_MIME, "tag")
        tags = [f for f in staging.files if not _in_payload(f.path)]
        for algorithm in ALGORITHMS:
            text = manifest(tags, algorithm)
            staging.write_bytes(f"tagmanifest-{algorithm}.txt", text, TAG_MIME, "tag")


BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def encode_path(path: str) -> str:
    """A path as a manifest line holds it: %, CR and LF percent-encoded (RFC 8493 2.1.3)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def manifest(files: Iterable[PackedFile], algorithm: str) -> bytes:
    """The manifest lines `<digest>  <path>` of `files`, sorted by path, LF-terminated."""
    lines = sorted((encode_path(f.path), getattr(f, algorithm)) for f in files)
    return "".join(f"{digest}  {path}\n" for path, digest in lines).encode("utf-8")


def payload_oxum(payload: Iterable[PackedFile]) -> str:
    """`<octets>.<files>` of the payload."""
    files = list(payload)
    return f"{sum(f.size for f in files)}.{len(files)}"


def bag_size(octets: int) -> str:
    """A size as Bag-Size gives it: decimal units, one decimal (e.g. "1.3 GB")."""
    value = float(octets)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{octets} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def bag_info(info: BundleInfo, payload: list[PackedFile], *, tag_bytes: int = 0) -> str:
    """The text of bag-info.txt for the package `info` with the payload `payload`."""
    keys = ", ".join(str(a.get("key", "")) for a in info.accounts) or "-"
    fields = [
        ("Source-Organization", info.organisation.name),
        (ORGANISATION_CODE_LABEL, info.organisation.identification_code),
        ("External-Identifier", info.package_id),
        ("Internal-Sender-Identifier", f"{info.software}: {keys}"),
        ("Internal-Sender-Description", info.label),
        ("Bagging-Date", info.created_at[:10]),
        ("Payload-Oxum", payload_oxum(payload)),
        ("Bag-Size", bag_size(sum(f.size for f in payload) + tag_bytes)),
        ("External-Description", description(info, "sv")),
        ("External-Description", description(info, "en")),
        ("Bag-Software-Agent", f"{info.software} {info.software_version}"),
    ]
    return "".join(f"{label}: {_one_line(value)}\n" for label, value in fields)


_WORDS = {
    "sv": ("Arkiverade sociala medier-konton", "Period", "från början", "till paketets skapande",
           "Poster"),
    "en": ("Archived social media accounts", "Period", "from the start",
           "up to the package's creation", "Items"),
}  # fmt: skip


def description(info: BundleInfo, lang: str) -> str:
    """One line naming the accounts and the period, in Swedish ("sv") or English ("en")."""
    title, period, start, end, items = _WORDS[lang]
    accounts = "; ".join(_account(a) for a in info.accounts) or "-"
    since = info.since[:10] if info.since else start
    until = info.until[:10] if info.until else end
    return f"{title}: {accounts}. {period}: {since} – {until}. {items}: {info.items}."


def _account(row: dict) -> str:
    details = ", ".join(str(row[k]) for k in ("platform", "url") if row.get(k))
    return f"{row.get('key', '')} ({details})" if details else str(row.get("key", ""))


def _one_line(value: str) -> str:
    """A value without line breaks (bag-info.txt values are one logical line here)."""
    return " ".join(str(value).split())


def _in_payload(path: str) -> bool:
    return path.startswith(f"{PAYLOAD}/")


def _tag_bytes(files: Iterable[PackedFile]) -> int:
    return sum(f.size for f in files if not _in_payload(f.path))
