"""Pytest configuration shared by the whole somed test suite."""

from __future__ import annotations

import pytest

# shared fixtures live here


def pytest_configure(config: pytest.Config) -> None:
    """Register nothing yet; markers are declared in pyproject.toml."""
