"""What the public-page tests share: each platform's demo emulator, its account page and hints.

Platforms are found through the connector registry (every platform whose emulator package
serves a demo and whose connector has capture hints), so a fifth platform is covered by
adding its folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.capture_hints import CaptureHints
from connectors.emulation import Emulator
from connectors.emulation.demo import demo_modules
from connectors.registry import connector_class

NOW = datetime.now(UTC).replace(microsecond=0)


def public_platforms() -> list[str]:
    """Every registered platform with a demo emulator and capture hints."""
    return sorted(
        platform
        for platform, module in demo_modules().items()
        if module is not None and connector_class(platform).capture_hints is not None
    )


@dataclass
class PublicSetup:
    """A started demo emulator, the first demo account's page on it, and the hints."""

    platform: str
    emulator: Emulator
    hints: CaptureHints
    account_url: str  # the public URL (real site)
    page_url: str  # the same page on the emulator
    account_id: str

    @property
    def site(self):  # noqa: ANN201 - the emulator's PublicSite
        """The emulator's public pages (knobs, sessions)."""
        return self.emulator.public  # type: ignore[attr-defined]

    def url(self, public_url: str) -> str:
        """Where a public URL (or a path) is served on the emulator."""
        if public_url.startswith("/"):
            return self.emulator.base_url + public_url
        return self.hints.fetch_url(public_url, self.emulator.base_url)


@contextmanager
def public_setup(platform: str) -> Iterator[PublicSetup]:
    """Start `platform`'s demo emulator and yield its first account's public page."""
    demo = demo_modules()[platform].demo(NOW)
    hints = connector_class(platform).capture_hints
    assert hints is not None
    account = demo.accounts[0]
    base = demo.emulator.start()
    try:
        public = hints.page_url(account["id"], account.get("url"))
        yield PublicSetup(platform, demo.emulator, hints, public,
                          hints.fetch_url(public, base), account["id"])  # fmt: skip
    finally:
        demo.emulator.stop()
