"""The package's README in Swedish and English: what it holds and how to verify it without somed."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from somed.bundle.content import Payload
from somed.bundle.formats import PackageFormat
from somed.bundle.model import BundleInfo
from somed.bundle.staging import Staging
from somed.display import local_time

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKDOWN = "text/markdown"
FORMAT_NAMES = {
    "fgs": {"sv": "FGS Paketstruktur 2.0 (E-ARK CSIP 2.1.0 och SIP 2.1.0)",
            "en": "FGS Package structure 2.0 (E-ARK CSIP 2.1.0 and SIP 2.1.0)"},
    "bagit": {"sv": "BagIt (RFC 8493), SHA-256 och SHA-512",
              "en": "BagIt (RFC 8493), SHA-256 and SHA-512"},
}  # fmt: skip

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=False,  # Markdown, not HTML: nothing here is rendered by a browser
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def period_text(info: BundleInfo) -> dict[str, str]:
    """The period in words, per language (dates in Swedish time; the end is exclusive)."""
    start = local_time(info.since) if info.since else None
    end = local_time(info.until) if info.until else None
    if start is None and end is None:
        return {"sv": "hela den arkiverade historiken", "en": "the whole archived history"}
    return {
        "sv": f"från {start or 'början'} till (men inte med) {end or 'skapandet'}",
        "en": f"from {start or 'the beginning'} up to (not including) {end or 'creation'}",
    }


def write_readmes(
    staging: Staging, info: BundleInfo, fmt: PackageFormat, found: Payload, *, zipped: bool
) -> None:
    """`README.sv.md` and `README.en.md` in the format's documentation folder."""
    folder = f"{fmt.documentation_root}/" if fmt.documentation_root else ""
    values = {
        "info": info,
        "created": local_time(info.created_at),
        "format_name": FORMAT_NAMES[fmt.name],
        "period": period_text(info),
        "counts": info.counts,
        "payload": fmt.payload_root,
        "fmt": fmt.name,
        "missing": found.media_missing,
        "zipped": zipped,
    }
    for language in ("sv", "en"):
        text = _env.get_template(f"README.{language}.md.j2").render(**values)
        staging.write_bytes(f"{folder}README.{language}.md", text.encode("utf-8"), MARKDOWN,
                            "documentation")  # fmt: skip
