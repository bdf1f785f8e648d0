"""Close cookie-consent dialogs with the platform's selectors (preferred first)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

# Common consent buttons ("only necessary" first), tried after the platform's own selectors.
DEFAULT_SELECTORS: tuple[str, ...] = (
    "button:has-text('Avvisa valfria cookies')",
    "button:has-text('Endast nödvändiga')",
    "button:has-text('Decline optional cookies')",
    "button:has-text('Only allow essential cookies')",
    "button:has-text('Reject all')",
    "[data-cookiebanner='accept_only_essential_button']",
)


def dismiss_consent(page: Any, selectors: Sequence[str], *, timeout_ms: int = 3000) -> list[str]:
    """Click the first visible consent button, repeatedly while dialogs remain; return selectors.

    Each selector that closed a dialog is returned once, in order. A selector the page does not
    have, or that is hidden, is skipped; a click that fails is not an error (the capture's
    picture shows what stayed).
    """
    dismissed: list[str] = []
    for _round in range(3):  # a dialog may open a second one ("are you sure?")
        clicked = False
        for selector in (*selectors, *DEFAULT_SELECTORS):
            if selector in dismissed:
                continue
            button = page.locator(selector).first
            with contextlib.suppress(Exception):
                if button.count() and button.is_visible():
                    button.click(timeout=timeout_ms)
                    with contextlib.suppress(Exception):
                        button.wait_for(state="hidden", timeout=timeout_ms)
                    with contextlib.suppress(Exception):  # a dialog may reload the page
                        page.wait_for_load_state("load", timeout=timeout_ms * 3)
                    dismissed.append(selector)
                    clicked = True
                    break
        if not clicked:
            break
    return dismissed
