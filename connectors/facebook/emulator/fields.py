"""The Graph API `fields` syntax for the Facebook emulator: parsing, defaults and projection."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from connectors.facebook.emulator.errors import GraphError


@dataclass(frozen=True)
class FieldSpec:
    """One requested field: its name, its `.modifier(value)`s and its `{sub,fields}`."""

    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: tuple[FieldSpec, ...] | None = None

    def text(self) -> str:
        """Serialise back to the `fields` syntax."""
        mods = "".join(f".{key}({value})" for key, value in self.modifiers.items())
        inner = "" if self.children is None else "{" + fields_text(self.children) + "}"
        return f"{self.name}{mods}{inner}"

    @cached_property
    def children_text(self) -> str | None:
        """Return the sub-fields in `fields` syntax (None without sub-fields)."""
        return None if self.children is None else fields_text(self.children)


def fields_text(specs: Iterable[FieldSpec]) -> str:
    """Serialise field specs to the `fields` query syntax."""
    return ",".join(spec.text() for spec in specs)


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """Parse a `fields` value such as `id,comments.limit(5).summary(true){id,from{name}}`."""
    parser = _FieldParser(text)
    specs = parser.parse_list()
    if parser.pos < len(text):
        parser.fail("Expected end of string")
    return specs


class _FieldParser:
    """Recursive-descent parser for the `fields` syntax."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, expected: str) -> None:
        """Raise the Graph API syntax error for the current position."""
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        raise GraphError(
            400,
            f'Syntax error "{expected} instead of "{found}"." at character {self.pos}: {self.text}',
            2500,
        )

    def peek(self) -> str:
        """Return the next non-blank character ('' at the end)."""
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        """Read a field or modifier name."""
        self.peek()
        start = self.pos
        text = self.text
        while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] == "_"):
            self.pos += 1
        if start == self.pos:
            self.fail("Expected a field name")
        return self.text[start : self.pos]

    def parse_list(self) -> tuple[FieldSpec, ...]:
        """Parse comma-separated fields up to `}` or the end."""
        specs: list[FieldSpec] = []
        while self.peek() not in ("", "}"):
            if self.peek() == ",":
                self.pos += 1
                continue
            specs.append(self.parse_field())
            if self.peek() not in (",", "}", ""):
                self.fail('Expected ","')
        return tuple(specs)

    def parse_field(self) -> FieldSpec:
        """Parse one field with its modifiers and sub-fields."""
        name = self.name()
        modifiers: dict[str, str] = {}
        while self.peek() == ".":
            self.pos += 1
            key = self.name()
            if self.peek() != "(":
                self.fail('Expected "("')
            end = self.text.find(")", self.pos)
            if end < 0:
                self.fail('Expected ")"')
            modifiers[key] = self.text[self.pos + 1 : end].strip()
            self.pos = end + 1
        children = None
        if self.peek() == "{":
            self.pos += 1
            children = self.parse_list()
            if self.peek() != "}":
                self.fail('Expected "}"')
            self.pos += 1
        return FieldSpec(name, modifiers, children)


DEFAULT_SPECS: dict[str, tuple[FieldSpec, ...]] = {
    kind: tuple(FieldSpec(name) for name in names)
    for kind, names in {
        "page": ("name", "id"),
        "post": ("created_time", "message", "id"),
        "comment": ("created_time", "from", "message", "id"),
        "conversation": ("link", "updated_time", "id"),
        "message": ("id", "created_time"),
    }.items()
}


def project(value: Any, children: tuple[FieldSpec, ...] | None) -> Any:
    """Keep only the requested sub-fields of an object-valued field."""
    if children is None:
        return value
    if isinstance(value, list):
        return [project(item, children) for item in value]
    if not isinstance(value, dict):
        return value
    if "data" in value and set(value) <= {"data", "paging", "summary"}:
        return {**value, "data": project(value["data"], children)}
    wanted = {spec.name: spec for spec in children}
    return {
        key: project(item, wanted[key].children) for key, item in value.items() if key in wanted
    }
