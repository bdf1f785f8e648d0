"""The layers import in one direction only: somed -> storage -> connectors.model."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Return the absolute names of every module a source file imports (relative ones resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            # `from connectors import base` imports connectors.base
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_there_is_something_to_check() -> None:
    assert sources("storage") and sources("connectors")


def forbidden_in_storage(module: str) -> bool:
    if _is(module, "somed"):
        return True
    return (
        _is(module, "connectors") and module != "connectors" and not _is(module, "connectors.model")
    )


def test_storage_imports_only_the_record_model_from_connectors_and_never_somed() -> None:
    problems = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources("storage")
        for module in imported_modules(path)
        if forbidden_in_storage(module)
    ]
    assert problems == []


def test_connectors_never_import_storage_or_somed() -> None:
    problems = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources("connectors")
        for module in imported_modules(path)
        if _is(module, "storage") or _is(module, "somed")
    ]
    assert problems == []
