"""Load a lazily loading page whole: scroll until its height stops growing, then wait for images.

Pages that scroll inside an element (a timeline in a fixed-height pane) are scrolled there and
then expanded, so the document itself becomes as tall as the content and is captured whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

# The element that scrolls when the document itself does not: the hinted one if it really
# scrolls, else the visible element with the largest scrollable overflow.
_FIND_CONTAINER = """(hint) => {
  const doc = document.scrollingElement || document.documentElement;
  if (doc.scrollHeight > window.innerHeight + 50) return false;
  const scrolls = (el) => el.clientHeight > 0 && el.scrollHeight - el.clientHeight > 50
    && /(auto|scroll|overlay)/.test(getComputedStyle(el).overflowY);
  const tag = (el) => { el.setAttribute('data-somed-scroll', '1'); return true; };
  if (hint) {
    for (const el of document.querySelectorAll(hint)) {
      if (scrolls(el)) return tag(el);
      for (const inner of el.querySelectorAll('*')) if (scrolls(inner)) return tag(inner);
    }
  }
  let best = null, most = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!scrolls(el)) continue;
    const extra = el.scrollHeight - el.clientHeight;
    if (extra > most) { most = extra; best = el; }
  }
  return best ? tag(best) : false;
}"""

# Scroll the document (or the tagged container) to its end until the height stays the same
# for `settleMs`, or `maxMs` / `maxHeight` is reached. Each step lets the page render (two
# animation frames) before the next, and once the height has been quiet for half `settleMs`
# the view is moved up a few screens and back: a lazy loader's IntersectionObserver only fires
# on a change it sees rendered, and on a busy machine content added and scrolled past between
# two frames would otherwise leave it waiting forever (the page stops growing too early).
_SCROLL_TO_END = """async ({settleMs, maxMs, maxHeight}) => {
  const box = document.querySelector('[data-somed-scroll]');
  const el = box || document.scrollingElement || document.documentElement;
  const go = (top) => { el.scrollTop = top; if (!box) window.scrollTo(0, top); };
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  const rendered = () => Promise.race([pause(500), new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(done)))]);
  const started = performance.now();
  let last = el.scrollHeight, quiet = performance.now(), steps = 0, nudged = false;
  while (performance.now() - started < maxMs && last < maxHeight) {
    go(el.scrollHeight);
    steps += 1;
    await rendered();
    await pause(100);
    const height = el.scrollHeight;
    if (height > last) { last = height; quiet = performance.now(); nudged = false; continue; }
    const still = performance.now() - quiet;
    if (!nudged && still >= settleMs / 2) {
      go(Math.max(0, el.scrollHeight - 3 * window.innerHeight));
      await rendered();
      nudged = true;
      continue;
    }
    if (still >= settleMs) break;
  }
  return {height: last, steps, timedOut: performance.now() - started >= maxMs};
}"""

# Make the tagged container (and its ancestors) as tall as its content, so the document is.
_EXPAND = """() => {
  const box = document.querySelector('[data-somed-scroll]');
  if (!box) return false;
  for (let el = box; el && el !== document; el = el.parentElement) {
    for (const [key, value] of [['height', 'auto'], ['max-height', 'none'],
        ['overflow', 'visible'], ['overflow-y', 'visible']]) {
      el.style.setProperty(key, value, 'important');
    }
  }
  box.scrollTop = 0;
  return true;
}"""

# Load every image now (not when scrolled to) and wait until each has loaded or failed.
_IMAGES_READY = """async (maxMs) => {
  for (const img of document.images) { if (img.loading === 'lazy') img.loading = 'eager'; }
  const started = performance.now();
  const pending = () => [...document.images].filter((img) => !img.complete).length;
  while (pending() > 0 && performance.now() - started < maxMs) {
    await new Promise((done) => setTimeout(done, 100));
  }
  if (document.fonts) await Promise.race([document.fonts.ready,
    new Promise((done) => setTimeout(done, 2000))]);
  return {images: document.images.length, pending: pending()};
}"""

_SCROLL_HEIGHT = """() => {
  const box = document.querySelector('[data-somed-scroll]');
  return (box || document.scrollingElement || document.documentElement).scrollHeight;
}"""

_DOCUMENT_HEIGHT = """() => {
  const doc = document.scrollingElement || document.documentElement;
  return Math.max(doc.scrollHeight, document.body ? document.body.scrollHeight : 0);
}"""


@dataclass
class ScrollOutcome:
    """How the page was loaded: its final height, scroll steps, container, images left loading."""

    height: int
    steps: int
    container: bool
    timed_out: bool
    images: int
    images_pending: int


class NetworkWatch:
    """Counts a page's requests in flight, so "the network is idle" can be waited for."""

    def __init__(self, page: Any) -> None:
        self.in_flight = 0
        self.last_change = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, _request: Any) -> None:
        self.in_flight += 1
        self.last_change = time.monotonic()

    def _ended(self, _request: Any) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_change = time.monotonic()

    def wait_idle(self, page: Any, *, quiet: float = 0.5, timeout: float = 10.0) -> bool:
        """Wait until no request has been in flight for `quiet` seconds; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.in_flight == 0 and time.monotonic() - self.last_change >= quiet:
                return True
            page.wait_for_timeout(50)  # lets Playwright deliver the request events
        return False


def load_whole_page(
    page: Any,
    network: NetworkWatch,
    *,
    container_hint: str | None,
    max_height: int,
    max_seconds: float,
    settle_ms: int = 800,
) -> ScrollOutcome:
    """Scroll to the end until nothing more loads, expand a scrolling pane, wait for images."""
    deadline = time.monotonic() + max_seconds
    container = bool(page.evaluate(_FIND_CONTAINER, container_hint))
    steps, timed_out = 0, False
    while True:
        left_ms = max(0, int((deadline - time.monotonic()) * 1000))
        done = page.evaluate(
            _SCROLL_TO_END, {"settleMs": settle_ms, "maxMs": left_ms, "maxHeight": max_height}
        )
        steps += int(done["steps"])
        network.wait_idle(page, timeout=max(0.0, min(10.0, deadline - time.monotonic())))
        now_height = int(page.evaluate(_SCROLL_HEIGHT))
        timed_out = bool(done["timedOut"]) or time.monotonic() >= deadline
        if timed_out or now_height >= max_height:
            break
        if now_height <= int(done["height"]):
            # stable: one more settling round, for a slow server or a busy machine
            again = page.evaluate(_SCROLL_TO_END, {"settleMs": settle_ms, "maxMs": settle_ms * 3,
                                                   "maxHeight": max_height})  # fmt: skip
            network.wait_idle(page, timeout=max(0.0, min(10.0, deadline - time.monotonic())))
            if int(page.evaluate(_SCROLL_HEIGHT)) <= int(again["height"]) <= now_height:
                break
    if container:
        page.evaluate(_EXPAND)
    page.evaluate("() => window.scrollTo(0, 0)")
    left_ms = max(1000, int((deadline - time.monotonic()) * 1000))
    images = page.evaluate(_IMAGES_READY, min(left_ms, 30_000))
    network.wait_idle(page, timeout=5.0)
    height = int(page.evaluate(_DOCUMENT_HEIGHT))
    return ScrollOutcome(
        height=height,
        steps=steps,
        container=container,
        timed_out=timed_out,
        images=int(images["images"]),
        images_pending=int(images["pending"]),
    )


def document_height(page: Any) -> int:
    """The document's full height in CSS pixels."""
    return int(page.evaluate(_DOCUMENT_HEIGHT))
