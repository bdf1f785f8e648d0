"""The FGS Paketstruktur 2.0 (E-ARK CSIP 2.1.0 + SIP 2.1.0) writer: METS, PREMIS, DC, schemas.

`finish` runs after the payload and the README files are in the staging folder. It copies the
XML schemas into `schemas/`, writes `metadata/descriptive/dc.xml`, then
`metadata/preservation/premis.xml`, then the representation's `representations/rep1/METS.xml`
and last the root `METS.xml`, each through `staging.open` so it is hashed as it is written and
each METS can name the checksums of the files written before it. See docs/bundles-fgs.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lxml import etree
from sqlite_utils import Database

from somed.bundle import mets
from somed.bundle.dublin_core import dublin_core
from somed.bundle.mets import Group, m, x
from somed.bundle.model import BundleInfo, Format, PackedFile
from somed.bundle.premis import write_premis
from somed.bundle.staging import Staging
from somed.bundle.xmlstream import write_tree

REP = "representations/rep1"
DC_PATH = "metadata/descriptive/dc.xml"
PREMIS_PATH = "metadata/preservation/premis.xml"
XML = "text/xml"


def schema_files() -> list[Path]:
    """The XML schemas shipped with somed (package data), copied into every package."""
    folder = resources.files("somed.bundle") / "schemas"
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".xsd"))


class FgsFormat:
    """FGS 2.0 / E-ARK SIP: content under representations/rep1/data, READMEs in documentation."""

    name: Format = "fgs"
    sha512 = False  # METS and PREMIS name SHA-256
    payload_root = f"{REP}/data"
    documentation_root = "documentation"

    def finish(self, staging: Staging, info: BundleInfo, db: Database) -> None:
        """Write the schemas, dc.xml, premis.xml, the representation METS and the root METS."""
        content = list(staging.files)
        schemas = [staging.add_copy(f"schemas/{f.name}", f, XML, "schema") for f in schema_files()]
        dc = staging.write_bytes(DC_PATH, dublin_core(info), XML, "metadata")
        with staging.open(PREMIS_PATH, XML, "metadata") as out:
            write_premis(out, info, content, db)
        premis = staging.files[-1]
        data = [f for f in content if f.path.startswith(f"{self.payload_root}/")]
        docs = [f for f in content if f.path.startswith(f"{self.documentation_root}/")]
        with staging.open(f"{REP}/METS.xml", XML, "mets") as out:
            _representation_mets(out, info, data)
        rep_mets = staging.files[-1]
        with staging.open("METS.xml", XML, "mets") as out:
            _root_mets(out, info, dc, premis, docs, schemas, rep_mets)


def _representation_mets(out: object, info: BundleInfo, data: list[PackedFile]) -> None:
    """The representation's METS: its data files and its own structural map."""
    objid = f"{info.package_id}-rep1"
    with mets.mets_document(out, info, objid, f"{info.label} – rep1", root=False) as xf:
        mets.write_file_section(xf, [Group("Data", "grp-data", data)], REP)
        struct = mets.element("structMap", TYPE="PHYSICAL", LABEL="CSIP", ID="structmap")
        top = etree.SubElement(struct, m("div"), ID="div-rep1", LABEL="rep1")
        data_div = etree.SubElement(top, m("div"), ID="div-data", LABEL="Data")
        etree.SubElement(data_div, m("fptr"), FILEID="grp-data")
        write_tree(xf, struct)


def _root_mets(
    out: object, info: BundleInfo, dc: PackedFile, premis: PackedFile,
    docs: list[PackedFile], schemas: list[PackedFile], rep_mets: PackedFile,
) -> None:  # fmt: skip
    """The package METS: identity, agents, metadata references, file groups, structural map."""
    with mets.mets_document(out, info, info.package_id, info.label, root=True) as xf:
        dmd = mets.element("dmdSec", ID="dmd-dc", CREATED=dc.created, STATUS="CURRENT")
        dmd.append(mets.md_ref(dc, "", "DC", "Dublin Core"))
        write_tree(xf, dmd)
        amd = mets.element("amdSec", ID="amd")
        digiprov = etree.SubElement(amd, m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
        digiprov.append(mets.md_ref(premis, "", "PREMIS", "PREMIS"))
        write_tree(xf, amd)
        groups = [
            Group("Documentation", "grp-documentation", docs),
            Group("Schemas", "grp-schemas", schemas),
            Group("Representations/rep1", "grp-rep1", [rep_mets]),
        ]
        mets.write_file_section(xf, groups, "")
        write_tree(xf, _root_struct_map(info))


def _root_struct_map(info: BundleInfo) -> etree._Element:
    """The CSIP structural map: Metadata, Documentation, Schemas and Representations/rep1."""
    struct = mets.element("structMap", TYPE="PHYSICAL", LABEL="CSIP", ID="structmap")
    top = etree.SubElement(struct, m("div"), ID="div-package", LABEL=info.package_id)
    etree.SubElement(top, m("div"), ID="div-metadata", LABEL="Metadata", DMDID="dmd-dc",
                     ADMID="digiprov-premis")  # fmt: skip
    for label, group in (("Documentation", "grp-documentation"), ("Schemas", "grp-schemas")):
        div = etree.SubElement(top, m("div"), ID=f"div-{label.lower()}", LABEL=label)
        etree.SubElement(div, m("fptr"), FILEID=group)
    reps = etree.SubElement(top, m("div"), ID="div-representations", LABEL="Representations")
    etree.SubElement(reps, m("fptr"), FILEID="grp-rep1")
    rep = etree.SubElement(reps, m("div"), ID="div-rep1", LABEL="Representations/rep1")
    etree.SubElement(rep, m("mptr"), {
        "LOCTYPE": "URL", x("type"): "simple", x("href"): f"{REP}/METS.xml", x("title"): "rep1",
    })  # fmt: skip
    return struct


__all__ = ["FgsFormat"]
