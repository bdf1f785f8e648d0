"""What `somed demo` serves: one `DemoAccount` per platform whose emulator package offers one.

A platform's emulator package (`connectors/<platform>/emulator/`) holds its seeded demo data
(`demo_account()`, a small, realistic Swedish municipal account: a few posts with comments, one
edit, one deletion) and a module `demo.py` whose `demo(now: datetime) -> DemoAccount` serves it:
an unstarted emulator with that data (generated relative to `now`, so every demo starts fresh),
the account tables for the config, the fake tokens, and optionally an `activity` the demo calls
now and then while the daemon runs (e.g. an edit, then a deletion, then a visitor's comment), so
the daemon has news to find. `demo_accounts` finds them through the connector registry, so
`somed demo` names no platform.
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
    (tick 1, 2, ...); `browser_state` a logged-in browser state (Playwright's storage-state
    shape, cookies for the emulator's host) that the demo writes to a file and names as
    `[platforms.NAME] storage_state_file`, for platforms that show nothing anonymously.
    """

    platform: str
    emulator: Emulator
    accounts: list[dict[str, Any]]
    tokens: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    activity: Callable[[int], None] | None = None
    browser_state: dict[str, Any] | None = None


def emulator_package(target: str) -> str:
    """Return the emulator package beside a connector import target (`pkg.connector:Class`)."""
    module = target.partition(":")[0]
    return module.rpartition(".")[0] + ".emulator"


def _optional_module(name: str) -> Any:
    """Import `name`, or return None when it (or its package) does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def demo_modules() -> dict[str, Any]:
    """Return platform -> its emulator package's `demo` module, for every registered platform
    with an emulator package (None where that package has no `demo` module)."""
    found = {}
    for platform, target in sorted(available().items()):
        package = emulator_package(target)
        if _optional_module(package) is not None:
            found[platform] = _optional_module(package + ".demo")
    return found


def demo_accounts(now: datetime) -> list[DemoAccount]:
    """Return the demo of every registered platform whose emulator package serves one."""
    demos = []
    for platform, module in demo_modules().items():
        if module is None:
            continue
        demo = module.demo(now)
        if demo.platform != platform:
            raise ValueError(f"{module.__name__}.demo() serves {demo.platform!r}, not {platform!r}")
        demos.append(demo)
    return demos
