"""The contract adapters: one module per platform, found with pkgutil (no shared list to edit).

A module `tests/contract/adapters/<platform>.py` exposes `ADAPTERS`, a tuple of adapter classes
(usually one; Instagram has one per mode). Every adapter follows `ContractAdapter` below: it
serves one seeded account of its platform from that platform's emulator over loopback HTTP,
writes the config lines for it, and changes the account or the emulator's behaviour when a test
asks. The contract tests (`tests/contract/test_*.py`) never name a platform.

The hostile-input cases (malformed items, token echoes, endless paging, redirects, oversized or
mistyped media) run on the hostile servers of `tests/hostile/`; an adapter names its platform's
two hostile classes in `harness` (the `tests/hostile/harness.py` interface: planting malformed
items, endless and broken paging) and `hostile` (the `tests/hostile/platforms.py` interface:
photos, token echoes, server overrides for redirects and media). The `hostile` fixtures of
`tests/conftest.py` and `tests/test_hostile_network.py` take their platforms from here, so the
hardening tests run for every platform that has an adapter. Every adapter names both, its
own (`test_coverage.py` holds it to that); a connector with modes (Instagram's `mode`
account key) has one adapter per mode, each saying its `mode`.

Optional, for platforms whose re-read of the recent window is driven by change (all but X,
whose stored posts are read again by age, see `connectors/x/reread.py`): `comment_ids(post_id)`
(the post's live top-level comments, oldest first), `add_comment(post_id, text)` (a visitor's
comment now; returns its id) and `delete_comment(comment_id)` (with its replies). An adapter
without them skips the tests that need them.

Writing one for a new platform: copy `facebook.py`, keep the method names, and make each do
the same thing with your emulator. Ids are the platform's ids as the archive stores them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any, ClassVar, Protocol, runtime_checkable


@runtime_checkable
class ContractAdapter(Protocol):
    """One platform's emulator with a seeded account, as the contract tests drive it."""

    name: ClassVar[str]  # unique test id, e.g. "facebook" or "instagram-graph"
    platform: ClassVar[str]  # the registry name (`[[accounts]] platform`)
    account: ClassVar[str]  # the account key the config lines give
    token: ClassVar[str]  # the account's fake token (tests grep the archive for it)
    env: ClassVar[dict[str, str]]  # environment variables holding the token(s)
    streams: ClassVar[tuple[str, ...]]  # the streams a full walk of the seeded account reads
    posts_stream: ClassVar[str]  # the stream listing the account's own posts
    harness: ClassVar[type | None]  # the tests/hostile/harness.py class, or None
    hostile: ClassVar[type | None]  # the tests/hostile/platforms.py class, or None

    # --- the account ---------------------------------------------------------------------

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a seeded account: `posts` own posts (newest an hour ago, then older), each
        with `comments` comments (and replies where the platform has them)."""

    def stop(self) -> None:
        """Stop the emulator."""

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The `[platforms.NAME]` table (endpoint set, `platform_options` added) and the
        `[[accounts]]` table of the account (token read from `env`)."""
        ...

    def expected_ids(self) -> set[str]:
        """Every item id the archive must hold after a complete walk of `streams`, as the
        emulator holds the account now (posts, comments, replies, messages; no profile)."""
        ...

    def post_ids(self) -> list[str]:
        """The ids of the account's own posts on the platform now, newest first."""
        ...

    def add_post(self, text: str) -> str:
        """Publish a new own post now; return its id."""
        ...

    def edit_post(self, post_id: str, text: str) -> None:
        """Change a post's text (the platform marks it edited where it does)."""

    def delete_post(self, post_id: str) -> None:
        """Delete a post from the platform (with its comments)."""

    # --- behaviour ------------------------------------------------------------------------

    def throttle_next(self, n: int) -> None:
        """The next `n` API requests are refused by the platform's rate limit (with a short
        reset hint, at most a few seconds)."""

    def fail_next(self, n: int) -> None:
        """The next `n` API requests fail with a server error (5xx)."""

    def random_faults(self, rate: float, seed: int) -> None:
        """From now on each API request fails with probability `rate` (seeded), by the
        platform's throttle or a server error, each with a short reset hint; 0: none."""

    def expire_token(self) -> None:
        """The account's token is rejected as expired/revoked from now on."""

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by `seconds` (so a walk lasts long enough to be interrupted)."""

    def api_requests(self) -> int:
        """How many API requests (media downloads aside) the emulator has answered."""
        ...

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """Yield every raw fixture item as (stream, kind, raw, context) for
        `Connector.normalised`: the shapes of `tests/fixtures/<platform>/`."""
        ...


def discover() -> dict[str, type[ContractAdapter]]:
    """Return adapter name -> class for every adapter module in this package."""
    found: dict[str, type[ContractAdapter]] = {}
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for adapter in getattr(loaded, "ADAPTERS", ()):
            if adapter.name in found:
                raise ValueError(f"two contract adapters are named {adapter.name!r}")
            found[adapter.name] = adapter
    return found


def _hostile(attribute: str, known: dict[str, type]) -> dict[str, type]:
    """The `known` hostile classes plus each adapter's `attribute` class, by adapter name
    (a platform with two modes may have two); each class says its `platform`."""
    found = dict(known)
    classes = set(known.values())
    for name, adapter in discover().items():
        named = getattr(adapter, attribute)
        if named is not None and named not in classes:
            found.setdefault(name, named)
            classes.add(named)
    return found


def hostile_harnesses() -> dict[str, type]:
    """Return name -> hostile harness class (the tests/hostile/harness.py interface)."""
    from tests.hostile.harness import HARNESSES

    return _hostile("harness", HARNESSES)


def hostile_platforms() -> dict[str, type]:
    """Return name -> hostile network class (the tests/hostile/platforms.py interface)."""
    from tests.hostile.platforms import PLATFORMS

    return _hostile("hostile", PLATFORMS)
