"""PREMIS 3 preservation metadata of a package, streamed: the files, and the archive's events.

Objects: one `file` per content file (its path, SHA-256, size and MIME type). Events, read from
the archive with cursors for the bundle's accounts and period: `capture` (table `captures`),
`edit detected` (each item version after the first), `deletion detected` (`items.deleted_at`),
`disposal` (the tombstones in `disposals`) and `registration` (`registrations`). Each names its
agents: somed (software, with its version) for what it observed, and the person who registered
or disposed, as the archive (and its audit log) records it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from lxml import etree
from sqlite_utils import Database

from somed.bundle.model import BundleInfo, PackedFile
from somed.bundle.xmlstream import write_tree

PREMIS = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: PREMIS, "xsi": XSI}
LOCATION = "http://www.loc.gov/premis/v3 ../../schemas/premis.xsd"
Event = tuple[str, str, str, str, str | None, str]  # id, type, at, detail, person, object


def p(name: str) -> str:
    """The qualified name of a PREMIS element."""
    return f"{{{PREMIS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, p(name))
    if text is not None:
        element.text = text
    return element


def _identifier(parent: etree._Element, name: str, kind: str, value: str) -> etree._Element:
    """An identifier block `<{name}Identifier>` (or a linking one) with its type and value."""
    block = _sub(parent, f"{name}Identifier")
    _sub(block, f"{name}IdentifierType", kind)
    _sub(block, f"{name}IdentifierValue", value)
    return block


def file_object(packed: PackedFile) -> etree._Element:
    """A PREMIS `file` object for a packed file (path relative to the package root)."""
    obj = etree.Element(p("object"), {f"{{{XSI}}}type": "file"})
    _identifier(obj, "object", "local path", packed.path)
    chars = _sub(obj, "objectCharacteristics")
    _sub(chars, "compositionLevel", "0")
    fixity = _sub(chars, "fixity")
    _sub(fixity, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, "messageDigest", packed.sha256)
    _sub(chars, "size", str(packed.size))
    _sub(_sub(_sub(chars, "format"), "formatDesignation"), "formatName", packed.mime_type)
    _sub(obj, "originalName", packed.path.rsplit("/", 1)[-1])
    return obj


def event_element(event: Event, software: str) -> etree._Element:
    """A PREMIS event with its agents (somed; the person when there is one) and its object."""
    event_id, kind, at, detail, person, target = event
    element = etree.Element(p("event"))
    _identifier(element, "event", "somed", event_id)
    _sub(element, "eventType", kind)
    _sub(element, "eventDateTime", at)
    _sub(_sub(element, "eventDetailInformation"), "eventDetail", detail)
    for agent, role in ((software, "executing program"), (person, "authorizer")):
        if agent:
            link = _identifier(element, "linkingAgent", "somed agent", agent)
            _sub(link, "linkingAgentRole", role)
    _identifier(element, "linkingObject", "somed", target)
    return element


def agent_element(identifier: str, name: str, kind: str, version: str | None) -> etree._Element:
    """A PREMIS agent: software (with its version) or a person."""
    agent = etree.Element(p("agent"))
    _identifier(agent, "agent", "somed agent", identifier)
    _sub(agent, "agentName", name)
    _sub(agent, "agentType", kind)
    if version:
        _sub(agent, "agentVersion", version)
    return agent


def _period(column: str, since: str | None, until: str | None) -> tuple[str, list[str]]:
    """SQL conditions keeping `column` within the half-open period [since, until)."""
    sql, args = "", []
    if since:
        sql, args = sql + f" AND {column} >= ?", [*args, since]
    if until:
        sql, args = sql + f" AND {column} < ?", [*args, until]
    return sql, args


def archive_events(
    db: Database, accounts: Sequence[str], since: str | None, until: str | None
) -> Iterator[Event]:
    """The archive's events for these accounts and period, kind by kind, oldest first each."""
    marks = ", ".join("?" for _ in accounts)
    acc = list(accounts)
    when, args = _period("c.started_at", since, until)
    for row in db.execute(
        f"SELECT c.id, c.started_at, c.verdict, c.kind, coalesce(c.final_url, c.url_asked, ''),"
        f" c.account FROM captures AS c WHERE c.account IN ({marks}){when}"
        " ORDER BY c.started_at, c.id", acc + args,
    ):  # fmt: skip
        detail = f"{row[3]} capture of {row[4]}: {row[2]}"
        yield (f"capture-{row[0]}", "capture", row[1], detail, None, f"capture:{row[0]}")
    when, args = _period("v.seen_at", since, until)
    for row in db.execute(
        "SELECT v.platform, v.item_id, v.version, v.seen_at, v.sha256 FROM item_versions AS v"
        f" JOIN items AS i ON i.platform = v.platform AND i.id = v.item_id"
        f" WHERE v.version > 1 AND i.account IN ({marks}){when}"
        " ORDER BY v.seen_at, v.platform, v.item_id, v.version", acc + args,
    ):  # fmt: skip
        target = f"{row[0]}:{row[1]}"
        detail = f"version {row[2]} seen (sha256 {row[4]})"
        yield (f"edit-{target}-{row[2]}", "edit detected", row[3], detail, None, target)
    when, args = _period("deleted_at", since, until)
    for row in db.execute(
        f"SELECT platform, id, deleted_at FROM items WHERE deleted_at IS NOT NULL"
        f" AND account IN ({marks}){when} ORDER BY deleted_at, platform, id", acc + args,
    ):  # fmt: skip
        target = f"{row[0]}:{row[1]}"
        detail = "no longer on the platform"
        yield (f"deletion-{target}", "deletion detected", row[2], detail, None, target)
    yield from _disposals(db, marks, acc, since, until)
    yield from _registrations(db, marks, acc, since, until)


def _audit_id(db: Database, target: str, action: str, at: str) -> Any:
    """The id of the audit-log entry that records an action on a target at a time, or None."""
    row = db.execute(
        "SELECT id FROM audit_log WHERE target = ? AND action = ? AND at = ? ORDER BY id LIMIT 1",
        [target, action, at],
    ).fetchone()
    return row[0] if row else None


def _disposals(
    db: Database, marks: str, acc: list[str], since: str | None, until: str | None
) -> Iterator[Event]:
    when, args = _period("disposed_at", since, until)
    for row in db.execute(
        "SELECT platform, item_id, rule, decision, plan_id, disposed_at, disposed_by, sha256"
        f" FROM disposals WHERE account IN ({marks}){when}"
        " ORDER BY disposed_at, platform, item_id", acc + args,
    ):  # fmt: skip
        target = f"{row[0]}:{row[1]}"
        entry = _audit_id(db, f"plan:{row[4]}", "disposal_applied", row[5])
        detail = (f"disposed by rule {row[2]} (decision {row[3]}, plan {row[4]}, record sha256"
                  f" {row[7]}); audit log entry {entry}")  # fmt: skip
        yield (f"disposal-{target}", "disposal", row[5], detail, row[6], target)


def _registrations(
    db: Database, marks: str, acc: list[str], since: str | None, until: str | None
) -> Iterator[Event]:
    when, args = _period("r.registered_at", since, until)
    for row in db.execute(
        "SELECT r.platform, r.item_id, r.number, r.registered_at, r.registered_by"
        " FROM registrations AS r JOIN items AS i ON i.platform = r.platform AND i.id = r.item_id"
        f" WHERE i.account IN ({marks}){when}"
        " ORDER BY r.registered_at, r.platform, r.item_id, r.number", acc + args,
    ):  # fmt: skip
        target = f"{row[0]}:{row[1]}"
        entry = _audit_id(db, target, "registered", row[3])
        detail = f"registry number {row[2]}; audit log entry {entry}"
        yield (f"registration-{target}-{row[2]}", "registration", row[3], detail, row[4], target)


def write_premis(out: Any, info: BundleInfo, files: Sequence[PackedFile], db: Database) -> None:
    """Write the PREMIS document into `out` (objects, then events, then their agents)."""
    software = f"{info.software} {info.software_version}"
    people: set[str] = set()
    accounts = [str(a["key"]) for a in info.accounts]
    attrs = {"version": "3.0", f"{{{XSI}}}schemaLocation": LOCATION}
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(p("premis"), attrs, nsmap=NSMAP):
            for packed in files:
                write_tree(xf, file_object(packed))
            for count, event in enumerate(archive_events(db, accounts, info.since, info.until)):
                if event[4]:
                    people.add(event[4])
                write_tree(xf, event_element(event, software))
                if count % 1000 == 999:
                    xf.flush()
            write_tree(
                xf, agent_element(software, info.software, "software", info.software_version)
            )
            for person in sorted(people):
                write_tree(xf, agent_element(person, person, "person", None))
