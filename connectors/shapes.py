"""Shape checks for normalisers: a value of the wrong type is an error, never stringified.

Platform JSON is messier than its documentation: an id may come as an object, a text as a
dict, an edge as a string. A normaliser reads every field through these checks, so such an
item raises (and is quarantined raw) instead of being stored wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def ident(value: Any, what: str = "id") -> str:
    """A platform id (a string, or an integer some endpoints send) as a string; else TypeError."""
    if type(value) is str and value:  # the common case first: a string id
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise TypeError(f"{what} is {type(value).__name__} {value!r:.60}, not an id")
    return str(value)


def text_field(raw: Mapping[str, Any], key: str) -> str | None:
    """An optional text field: a string or absent; anything else is a TypeError."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not text")
    return value


def object_field(raw: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An optional object field (`from`, `attachment`, ...): a dict or absent."""
    value = raw.get(key)
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{key} is {type(value).__name__}, not an object")
    return value


def edge_items(raw: Mapping[str, Any], key: str) -> list[Any]:
    """The `data` list of an optional nested edge (`{"data": [...]}`); else TypeError."""
    edge = object_field(raw, key)
    if edge is None:
        return []
    data = edge.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise TypeError(f"{key}.data is {type(data).__name__}, not a list")
    return data
