"""METS 1.12 written as a stream (lxml incremental writing) for the E-ARK CSIP/SIP 2.1.0 package.

Only small elements (one file, one agent) are ever built in memory; the file section is written
file by file, so a package of a hundred thousand files costs no more memory than one of ten.
Paths (FLocat and mdRef `xlink:href`) are relative to the METS file that names them; every file
carries its SIZE, CREATED, MIMETYPE, CHECKSUM and CHECKSUMTYPE="SHA-256".
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lxml import etree

from somed.bundle.model import BundleInfo, PackedFile
from somed.bundle.xmlstream import write_tree

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"mets": METS, "xlink": XLINK, "csip": CSIP, "sip": SIP, "xsi": XSI}
SCHEMA_LOCATION = (
    f"{METS} schemas/mets.xsd {XLINK} schemas/xlink.xsd "
    f"{CSIP} schemas/DILCISExtensionMETS.xsd {SIP} schemas/DILCISExtensionSIPMETS.xsd"
)
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_TYPE = "MIXED"  # csip:CONTENTINFORMATIONTYPE (CSIP4; Riksarkivet's FGS 2.0 asks for it)
PACKAGE_TYPE = "Mixed"  # mets/@TYPE, from the CSIP content-category vocabulary (CSIP2)
# CSIP63 as the validator implements it: a fileGrp passes only with OTHER and a named type
OTHER_CONTENT = "somed records (JSON Lines), media, snapshots and renditions"


def m(name: str) -> str:
    """The qualified name of a METS element or attribute."""
    return f"{{{METS}}}{name}"


def x(name: str) -> str:
    """The qualified name of an xlink attribute."""
    return f"{{{XLINK}}}{name}"


def c(name: str) -> str:
    """The qualified name of a CSIP extension attribute."""
    return f"{{{CSIP}}}{name}"


@dataclass(frozen=True)
class Group:
    """A file group of a METS fileSec: its USE, its ID and the files in it (with their hrefs)."""

    use: str
    id: str
    files: Sequence[PackedFile]


def href(packed: PackedFile, mets_dir: str) -> str:
    """The path of a packed file relative to the folder of the METS file ("" : the root)."""
    return posixpath.relpath(packed.path, mets_dir or ".")


@contextmanager
def mets_document(
    out: Any, info: BundleInfo, objid: str, label: str, *, root: bool
) -> Iterator[etree.xmlfile]:
    """Open `<mets:mets>` in `out` and write its header; yields the incremental writer."""
    attributes = {
        "OBJID": objid,
        "LABEL": label,
        "TYPE": PACKAGE_TYPE,
        "PROFILE": SIP_PROFILE,
        c("CONTENTINFORMATIONTYPE"): CONTENT_TYPE,
        f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION
        if root
        else SCHEMA_LOCATION.replace("schemas/", "../../schemas/"),
    }
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(m("mets"), attributes, nsmap=NSMAP):
            write_tree(xf, header(info))
            yield xf


def header(info: BundleInfo) -> etree._Element:
    """The metsHdr: creation date, SIP package type, the software and the organisation."""
    hdr = etree.Element(m("metsHdr"), {
        "CREATEDATE": info.created_at, "RECORDSTATUS": "NEW", c("OAISPACKAGETYPE"): "SIP",
    })  # fmt: skip
    software = etree.SubElement(hdr, m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(software, m("name")).text = info.software
    note = etree.SubElement(software, m("note"), {c("NOTETYPE"): "SOFTWARE VERSION"})
    note.text = info.software_version
    org = info.organisation
    for role in ("ARCHIVIST", "SUBMITTER"):  # the records creator; who submits the package
        attrs = {"ROLE": role, "TYPE": "ORGANIZATION"}
        if role == "SUBMITTER":
            attrs = {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "ORGANIZATION"}
        agent = etree.SubElement(hdr, m("agent"), attrs)
        etree.SubElement(agent, m("name")).text = org.name
        code = etree.SubElement(agent, m("note"), {c("NOTETYPE"): "IDENTIFICATIONCODE"})
        code.text = org.identification_code
    return hdr


def md_ref(packed: PackedFile, mets_dir: str, mdtype: str, label: str) -> etree._Element:
    """An mdRef to a metadata file, with its size, creation time and SHA-256."""
    return etree.Element(m("mdRef"), {
        "LOCTYPE": "URL", x("type"): "simple", x("href"): href(packed, mets_dir),
        "MDTYPE": mdtype, "MIMETYPE": packed.mime_type, "SIZE": str(packed.size),
        "CREATED": packed.created, "CHECKSUM": packed.sha256, "CHECKSUMTYPE": "SHA-256",
        "LABEL": label,
    })  # fmt: skip


def file_element(packed: PackedFile, file_id: str, mets_dir: str) -> etree._Element:
    """A fileSec `file` with its FLocat."""
    element = etree.Element(m("file"), {
        "ID": file_id, "MIMETYPE": packed.mime_type, "SIZE": str(packed.size),
        "CREATED": packed.created, "CHECKSUM": packed.sha256, "CHECKSUMTYPE": "SHA-256",
    })  # fmt: skip
    etree.SubElement(element, m("FLocat"), {
        "LOCTYPE": "URL", x("type"): "simple", x("href"): href(packed, mets_dir),
    })  # fmt: skip
    return element


def write_file_section(xf: etree.xmlfile, groups: Iterable[Group], mets_dir: str) -> None:
    """Write the fileSec, one file element at a time."""
    counter = 0
    with xf.element(m("fileSec"), ID="filesec"):
        for group in groups:
            attrs = {"USE": group.use, "ID": group.id, c("CONTENTINFORMATIONTYPE"): "OTHER",
                     c("OTHERCONTENTINFORMATIONTYPE"): OTHER_CONTENT}  # fmt: skip
            with xf.element(m("fileGrp"), attrs):
                for packed in group.files:
                    counter += 1
                    write_tree(xf, file_element(packed, f"file-{counter:07d}", mets_dir))
                    if counter % 1000 == 0:
                        xf.flush()


def element(name: str, **attributes: str) -> etree._Element:
    """A METS element (written with `write_tree`, it takes the document's prefixes)."""
    return etree.Element(m(name), attributes)
