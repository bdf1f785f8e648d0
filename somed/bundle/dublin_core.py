"""The package's descriptive metadata: simple Dublin Core (OAI-DC container), one small file."""

from __future__ import annotations

from typing import Any

from lxml import etree

from somed.bundle.model import BundleInfo

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOCATION = f"{OAI_DC} ../../schemas/oai_dc.xsd {DC} ../../schemas/simpledc20021212.xsd"


def _account_line(account: dict[str, Any]) -> str:
    """One account as a line: key, platform, name or URL, owner."""
    parts = [str(account.get("key")), str(account.get("platform") or "")]
    parts += [str(account[f]) for f in ("name", "url", "owner") if account.get(f)]
    return " – ".join(p for p in parts if p)


def dublin_core(info: BundleInfo) -> bytes:
    """The dc.xml of the package: title, creator, identifiers, the accounts and the period."""
    root = etree.Element(f"{{{OAI_DC}}}dc", {f"{{{XSI}}}schemaLocation": LOCATION},
                         nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})  # fmt: skip

    def add(name: str, text: str) -> None:
        etree.SubElement(root, f"{{{DC}}}{name}").text = text

    add("title", info.label)
    add("creator", info.organisation.name)
    add("publisher", info.organisation.name)
    add("identifier", info.package_id)
    add("date", info.created_at)
    add("coverage", f"{info.since or '..'}/{info.until or info.created_at}")
    add("type", "Collection")
    add("format", "application/x-ndjson; image; application/pdf; text/html")
    add("language", "sv")
    for account in info.accounts:
        add("subject", _account_line(account))
        if account.get("url"):
            add("source", str(account["url"]))
    add("description", f"Social media records of {len(info.accounts)} account(s), "
        f"{info.items} item(s), archived by {info.software} {info.software_version}.")  # fmt: skip
    add("rights", f"{info.organisation.name} ({info.organisation.identification_code})")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
