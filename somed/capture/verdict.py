"""Is the captured page what was asked for? Login walls, checkpoints, error pages, expected text."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.capture_hints import CaptureHints

SNIPPET_CHARS = 60  # how much of the expected post text must be found (pages shorten long texts)

_TEXT_OF = """(sel) => {
  const found = sel ? [...document.querySelectorAll(sel)] : [];
  const parts = (found.length ? found : [document.body]).map((el) => el.innerText || '');
  return parts.join('\\n');
}"""


@dataclass(frozen=True)
class Problem:
    """Why a capture is not valid: a reason code and its parameters."""

    reason: str
    params: dict[str, Any] = field(default_factory=dict)


def _any_present(page: Any, selectors: Sequence[str]) -> str | None:
    """The first of `selectors` with a visible match on the page, if any."""
    for selector in selectors:
        with contextlib.suppress(Exception):
            located = page.locator(selector)
            if located.count() and located.first.is_visible():
                return selector
    return None


def page_problem(page: Any, hints: CaptureHints, *, status: int | None) -> Problem | None:
    """A login wall, checkpoint or error page (by final URL, then DOM), or None."""
    url = page.url
    if hints.checkpoint_url(url):
        return Problem("capture.checkpoint", {"url": url})
    if hints.login_url(url):
        return Problem("capture.login_wall", {"url": url})
    selector = _any_present(page, hints.login_wall_selectors)
    if selector:
        return Problem("capture.login_wall", {"url": url, "selector": selector})
    selector = _any_present(page, hints.error_selectors)
    if selector:
        return Problem("capture.error_page", {"url": url, "selector": selector})
    if status is not None and status >= 400:
        return Problem("capture.error_page", {"url": url, "status": status})
    return None


def normalise(text: str) -> str:
    """Text with every run of whitespace made one space, for comparing page and archive."""
    return " ".join(text.split())


def snippet(text: str) -> str:
    """What a page must show of a post: its first line, whole words, at most SNIPPET_CHARS.

    Only the first line: pages show a post's further lines apart (a video's title, then its
    metadata, then its description), shorten them, or fold them behind "see more".
    """
    first = next((line for line in text.splitlines() if line.strip()), "")
    words = normalise(first)
    if len(words) <= SNIPPET_CHARS:
        return words
    cut = words[:SNIPPET_CHARS]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def expected_text_problem(
    page: Any, expected: str | None, content_selector: str | None
) -> Problem | None:
    """None when `expected` (the newest archived own post) is on the page, or is unknown."""
    if not expected or not normalise(expected):
        return None
    wanted = snippet(expected)
    shown = normalise(page.evaluate(_TEXT_OF, content_selector))
    if wanted in shown:
        return None
    return Problem("capture.no_expected_text", {"text": wanted})
