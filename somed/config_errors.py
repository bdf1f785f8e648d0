"""ConfigError, and how every config failure becomes its one line.

A line reads `<file>: <key.path>: <what is wrong> (<how to fix>)`. This module turns an unreadable
or malformed TOML file and the first pydantic validation error into such a line. Values are named
by their TOML type, never echoed, so a token written in the wrong place cannot leak into a message.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

_DOCS = "see docs/configuration.md"


class ConfigError(Exception):
    """A configuration problem as one line: file, key path, what is wrong and how to fix it."""

    def __init__(self, file: Path | str, key: str | None, problem: str, fix: str | None = None):
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.fix = fix
        parts = [self.file, key, problem] if key else [self.file, problem]
        line = ": ".join(" ".join(str(p).split()) for p in parts)
        if fix:
            line += f" ({' '.join(fix.split())})"
        super().__init__(line)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.file, self.key, self.problem, self.fix))


def _invalid(problem: str, fix: str, at: str | None = None) -> PydanticCustomError:
    """Build a validation error that `load_config` turns into a ConfigError line as written."""
    ctx: dict[str, Any] = {"problem": problem, "fix": fix}
    if at:
        ctx["at"] = at
    return PydanticCustomError("somed", "{problem} ({fix})", ctx)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """Return the closest of `choices` to `word`, if any is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


# --- reading ---------------------------------------------------------------------------------


CONFIG_MAX_BYTES = 1 << 20  # 1 MiB: a config of hundreds of accounts is a few dozen KiB


class FileTooLarge(OSError):
    """A file holds more bytes than somed reads from a file of its kind."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {_size_words(limit)}")
        self.limit = limit


def _size_words(limit: int) -> str:
    """1048576 -> "1 MiB", 65536 -> "64 KiB"."""
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


def read_capped(path: Path, limit: int) -> bytes:
    """Return the bytes of `path`, reading at most `limit` + 1 (so /dev/zero cannot grow memory).

    Raises FileTooLarge beyond `limit`, and the usual OSErrors of opening and reading.
    """
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data


def _read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML file, or raise ConfigError saying why it cannot be read."""
    try:
        data = read_capped(path, CONFIG_MAX_BYTES)
    except FileTooLarge as exc:
        problem = f"the config file is {exc.strerror or exc}"
        fix = "give the path of somed's TOML config file; it is read only up to that size"
        raise ConfigError(path, None, problem, fix) from None
    except FileNotFoundError:
        fix = "create it from config.example.toml, or give its path with --config or $SOMED_CONFIG"
        raise ConfigError(path, None, "config file not found", fix) from None
    except IsADirectoryError:
        fix = "give the path of the TOML file itself"
        raise ConfigError(path, None, "is a directory, not a config file", fix) from None
    except PermissionError:
        fix = "make it readable by the user somed runs as"
        raise ConfigError(path, None, "permission denied reading the config file", fix) from None
    except OSError as exc:
        problem = f"cannot read the config file: {exc.strerror}"
        raise ConfigError(path, None, problem, "check the path") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is accepted
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (bad byte at offset {exc.start})"
        raise ConfigError(path, None, problem, "save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = "end of file" if "(at end of document)" in message else None
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            where = f"line {match.group(1)}, column {match.group(2)}"
        problem = re.sub(r"\s*\(at [^)]*\)\s*$", "", message) or "syntax error"
        raise ConfigError(path, where, f"invalid TOML: {problem}", "fix the syntax there") from None


# --- turning pydantic errors into one plain line --------------------------------------------

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "path_type": "a path (a string)",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date",
}
_TYPE_FIXES = {
    "int_type": "write a whole number without quotes",
    "int_parsing": "write a whole number without quotes",
    "int_from_float": "write a whole number without quotes",
    "float_type": "write a number without quotes",
    "float_parsing": "write a number without quotes",
    "bool_type": "write true or false without quotes",
    "bool_parsing": "write true or false without quotes",
    "string_type": "put the value in double quotes",
    "path_type": "put the path in double quotes",
    "date_type": "write a TOML date without quotes, e.g. 2019-03-01",
}


def _format_loc(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """Return a key path like `accounts[0].token_env` for a location tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(annotation: Any) -> Any:
    """Return X for `X | None`, else the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _lookup(root: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[Any, Any]:
    """Return (annotation, FieldInfo or None) of the value at `loc` in `root`, or (None, None)."""
    annotation: Any = root
    info = None
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None, None
            annotation = info.annotation
        elif get_origin(annotation) in (list, dict):
            annotation, info = get_args(annotation)[-1], None
        else:
            return None, None
    return annotation, info


def _toml_type(value: Any) -> str:
    """Name the TOML type of a parsed value, for messages that must not echo the value."""
    for kind, name in (
        (bool, "a boolean"), (int, "an integer"), (float, "a decimal number"), (str, "a string"),
        (list, "an array"), (dict, "a table"), (datetime, "a date-time"), (date, "a date"),
        (time, "a time"),
    ):  # fmt: skip
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _unknown_key(path: Path, loc: tuple[str | int, ...], root: type[BaseModel]) -> ConfigError:
    """Return the error for a key the schema does not have, suggesting the closest one.

    The root model's `path` field is filled in by `load_config`, never written in the file.
    """
    model, _ = _lookup(root, loc[:-1])
    model = _unwrap(model)
    allowed: list[str] = []
    if isinstance(model, type) and issubclass(model, BaseModel):
        allowed = [name for name in model.model_fields if not (model is root and name == "path")]
    close = _suggest(str(loc[-1]), allowed)
    if close:
        fix = f"did you mean {close!r}?"
    else:
        fix = f"allowed keys: {', '.join(allowed)}" if allowed else _DOCS
    return ConfigError(path, _format_loc(loc), "unknown key", fix)


def _range_fix(info: Any) -> str:
    """Describe the allowed range of a numeric field from its constraints."""
    bounds: dict[str, Any] = {}
    for item in getattr(info, "metadata", []):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name, None) is not None:
                bounds[name] = getattr(item, name)
    low = f"at least {bounds['ge']}" if "ge" in bounds else None
    low = f"greater than {bounds['gt']}" if "gt" in bounds else low
    high = f"at most {bounds['le']}" if "le" in bounds else None
    high = f"less than {bounds['lt']}" if "lt" in bounds else high
    if "ge" in bounds and "le" in bounds:
        return f"use a value from {bounds['ge']} to {bounds['le']}"
    return "use a value " + " and ".join(p for p in (low, high) if p)


def _from_validation_error(path: Path, exc: ValidationError, root: type[BaseModel]) -> ConfigError:
    """Turn the first pydantic error into a one-line ConfigError naming the key path."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    key = _format_loc(loc)
    if kind == "somed":
        at = ctx.get("at")
        if at:
            key = key + at if at.startswith("[") or not key else f"{key}.{at}"
        return ConfigError(path, key or None, ctx["problem"], ctx["fix"])
    if kind == "extra_forbidden":
        return _unknown_key(path, loc, root)
    annotation, info = _lookup(root, loc)
    if kind == "missing":
        model = _unwrap(annotation)
        if isinstance(model, type) and issubclass(model, BaseModel):
            return ConfigError(path, key, "required table is missing", f"add a [{key}] table")
        return ConfigError(path, key, "required key is missing", f"add it; {_DOCS}")
    if kind == "list_type" and isinstance(value, dict) and key == "accounts":
        fix = "write [[accounts]] with double brackets, once per account"
        return ConfigError(path, key, "expected an array of tables, got a table", fix)
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        fix = _TYPE_FIXES.get(kind, f"write {expected}")
        default = getattr(info, "default", None)
        if kind.startswith(("int", "float")) and isinstance(default, int | float):
            fix = f"{fix}, e.g. {loc[-1]} = {default}"
        elif kind in ("model_type", "dict_type"):
            fix = f"write it as a [{key}] table"
        return ConfigError(path, key, f"expected {expected}, got {_toml_type(value)}", fix)
    if kind == "literal_error":
        got = f"{value[:40]!r}" if isinstance(value, str) else _toml_type(value)
        return ConfigError(path, key, f"{got} is not allowed", f"use {ctx.get('expected')}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return ConfigError(path, key, f"{value} is out of range", _range_fix(info))
    if kind == "finite_number":
        return ConfigError(path, key, f"{value} is not allowed", "write a finite number")
    if kind in ("too_short", "string_too_short"):
        return ConfigError(path, key, "must not be empty", _DOCS)
    return ConfigError(path, key or None, str(error["msg"]), _DOCS)
