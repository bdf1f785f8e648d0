"""Built-in connectors plus any registered under the `somed.connectors` entry-point group."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from connectors.base import Connector

BUILTIN: dict[str, str] = {
    "facebook": "connectors.facebook.connector:FacebookConnector",
    "instagram": "connectors.instagram.connector:InstagramConnector",
    "x": "connectors.x.connector:XConnector",
    "youtube": "connectors.youtube.connector:YouTubeConnector",
}


# Platforms somed knows by name, whether or not their connector is installed yet, so that a
# config naming one gets "no connector for platform" rather than "unknown platform".
PLATFORM_NAMES: tuple[str, ...] = ("facebook", "instagram", "x", "youtube")


def _load(target: str) -> type[Connector]:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@cache
def _installed() -> tuple[tuple[str, str], ...]:
    """The `somed.connectors` entry points, read once per process (a scan of every installed
    distribution costs tens of milliseconds: too slow for each platform name a page shows)."""
    return tuple((entry.name, entry.value) for entry in entry_points(group="somed.connectors"))


def available() -> dict[str, str]:
    """Return platform name -> import target for every connector somed can load."""
    found = dict(BUILTIN)
    for name, value in _installed():
        found.setdefault(name, value)
    return found


def known_platforms() -> tuple[str, ...]:
    """Return every platform name a config may use: the known ones and any installed connector."""
    return tuple(sorted(set(PLATFORM_NAMES) | set(available())))


def connector_class(platform: str) -> type[Connector]:
    """Return the connector class for a platform, or raise KeyError naming the known ones."""
    targets = available()
    if platform not in targets:
        raise KeyError(
            f"no connector for platform {platform!r} (known: {', '.join(sorted(targets))})"
        )
    return _load(targets[platform])
