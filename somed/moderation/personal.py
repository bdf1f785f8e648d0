"""Personal data in a text: identity and co-ordination numbers, phone numbers, e-mail addresses.

A personal identity number (personnummer) or co-ordination number (samordningsnummer, the day
plus 60) counts only when the `personnummer` library accepts it: a real date and a right check
digit. A phone number counts when `phonenumbers` says it is a valid number (Swedish unless it
says otherwise); dates, prices and other runs of digits are not. The findings name the kind
(`personnummer`, `samordningsnummer`, `phone`, `email`), never the number.
"""

from __future__ import annotations

import re

import phonenumbers
from personnummer import personnummer

from somed.moderation.findings import Finding

_ID_NUMBER = re.compile(r"(?<![\d\w-])((?:19|20)?\d{6})([-+ ]?)(\d{4})(?![\d\w])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|0)\d(?:[\d\- ()]{5,16})\d(?![\d\w])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2,4}[./-]\d{1,2}[./-]\d{1,4}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_DIGIT = re.compile(r"\d")


def identity_numbers(text: str) -> list[Finding]:
    """Valid personal identity and co-ordination numbers in the text."""
    found: dict[str, Finding] = {}
    for m in _ID_NUMBER.finditer(text):
        digits, sep, tail = m.groups()
        candidate = digits + (sep if sep in "-+" else "-") + tail
        try:
            number = personnummer.Personnummer(candidate)
        except personnummer.PersonnummerException:
            continue
        except ValueError:  # a date the library cannot build
            continue
        kind = "samordningsnummer" if number.is_coordination_number() else "personnummer"
        found.setdefault(kind, Finding("personal_data", kind)).add(m.span(), kind)
    return list(found.values())


def phone_numbers(text: str, taken: list[tuple[int, int]]) -> Finding | None:
    """Valid phone numbers in the text (not where an identity number already stands)."""
    finding: Finding | None = None
    for m in _PHONE.finditer(text):
        candidate = m.group().strip()
        if _DATE.fullmatch(candidate) or any(a < m.end() and m.start() < b for a, b in taken):
            continue
        try:
            number = phonenumbers.parse(candidate, "SE")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            finding = finding or Finding("personal_data", "phone")
            finding.add(m.span(), "phone")
    return finding


def emails(text: str) -> Finding | None:
    """E-mail addresses in the text."""
    finding: Finding | None = None
    for m in _EMAIL.finditer(text):
        finding = finding or Finding("personal_data", "email")
        finding.add(m.span(), "email")
    return finding


def personal_findings(text: str) -> list[Finding]:
    """Every personal-data finding of the text (cheap tests first: most texts have none)."""
    found: list[Finding] = []
    if _DIGIT.search(text):
        found = identity_numbers(text)
        phone = phone_numbers(text, [s for f in found for s in f.spans])
        if phone is not None:
            found.append(phone)
    if "@" in text:
        mail = emails(text)
        if mail is not None:
            found.append(mail)
    return found
