"""What `somed demo` serves: one `DemoAccount` per platform whose emulator package offers one.

A platform's emulator package (`connectors/<platform>/emulator/`) exposes
`demo_account(now: datetime) -> DemoAccount`: an unstarted emulator seeded with a small,
realistic Swedish municipal account (a few posts with comments, generated relative to `now` so
every demo starts fresh), the account tables for the config, the fake tokens, and an `activity`
the demo calls now and then while the daemon runs: the first call edits a post, the second
deletes one, later ones add a visitor's comment, so the daemon has news to find.
`demo_accounts` finds them through the connector registry, so `somed demo` names no platform.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.emulation.app import Emulator
from connectors.registry import available


@dataclass
class DemoAccount:
    """One platform's demo: its emulator (not started) and the config it needs.

    `accounts` are the `[[accounts]]` tables without `platform` (key, id, url, token_env,
    owner, editor, substitute, and the platform's own keys); `settings` the
    `[platforms.NAME]` keys besides `endpoint`; `tokens` the environment variables the
    accounts read their fake tokens from; `activity(tick)` changes the account live
    (tick 1, 2, ...).
    """

    platform: str
    emulator: Emulator
    accounts: list[dict[str, Any]]
    tokens: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    activity: Callable[[int], None] | None = None


def emulator_package(target: str) -> str:
    """Return the emulator package beside a connector import target (`pkg.connector:Class`)."""
    module = target.partition(":")[0]
    return module.rpartition(".")[0] + ".emulator"


def demo_accounts(now: datetime) -> list[DemoAccount]:
    """Return the demo of every registered platform whose emulator package has `demo_account`."""
    demos = []
    for platform, target in sorted(available().items()):
        name = emulator_package(target)
        try:
            package = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # this connector has no emulator package
            raise
        factory = getattr(package, "demo_account", None)
        if factory is not None:
            demo = factory(now)
            if demo.platform != platform:
                raise ValueError(
                    f"{name}.demo_account() is for {demo.platform!r}, not {platform!r}"
                )
            demos.append(demo)
    return demos
