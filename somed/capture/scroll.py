"""Load a lazily loading page whole: scroll until its height stops growing, then wait for images.

Pages that scroll inside an element (a timeline in a fixed-height pane) are scrolled there and
then expanded, so the document itself becomes as tall as the content and is captured whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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

# One step: scroll the document (or the tagged container) to its end and let the page render
# it (two animation frames, at most 500 ms on a starved renderer); the height after it. With
# `nudge`, the view first goes up a few screens and is rendered there: a lazy loader's
# IntersectionObserver only fires on a change it sees rendered, and on a busy machine content
# added and scrolled past between two frames would otherwise leave it waiting forever.
_STEP_TO_END = """async (nudge) => {
  const box = document.querySelector('[data-somed-scroll]');
  const el = box || document.scrollingElement || document.documentElement;
  const go = (top) => { el.scrollTop = top; if (!box) window.scrollTo(0, top); };
  const rendered = () => Promise.race([new Promise((done) => setTimeout(done, 500)),
    new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))]);
  if (nudge) {
    go(Math.max(0, el.scrollHeight - 3 * window.innerHeight));
    await rendered();
  }
  go(el.scrollHeight);
  await rendered();
  return el.scrollHeight;
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
    """Counts a page's requests in flight, so "the network is idle" can be waited for.

    `idle_work`, when given, is done in the waits instead of sleeping: called with a number of
    seconds, it works about that long and says whether it had anything to do (the session
    recorder fetches finished responses' bodies while the page is watched for quiet).
    """

    def __init__(self, page: Any, idle_work: Callable[[float], bool] | None = None) -> None:
        self.in_flight = 0
        self.last_change = time.monotonic()
        self.idle_work = idle_work
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
            self.pause(page, POLL_S)
        return False

    def pause(self, page: Any, seconds: float) -> None:
        """Let `seconds` pass (doing the idle work, if any), delivering Playwright's events."""
        if self.idle_work is None or not self.idle_work(seconds):
            page.wait_for_timeout(seconds * 1000)


# When the end is reached: how long nothing may happen (no growth, no request in flight) before
# the page counts as whole. Playwright's own "network idle" is 500 ms without a request; the
# quiet is twice the longest the page itself took to grow once scrolled to its end, so a slow
# server or a busy machine waits longer, within the bounds.
MIN_QUIET_S = 0.5
MAX_QUIET_S = 5.0
NETWORK_PATIENCE_S = 10.0  # a request that never ends (long polling) holds the end this long
POLL_S = 0.05


@dataclass
class _EndWatch:
    """The scroll's state: the height, when it last stopped growing, the nudge, the latency."""

    height: int
    stuck_at: float | None = None  # when a step first found no growth at this height
    nudged_at: float | None = None  # when the view was nudged at this height
    latency: float = 0.0  # the longest a growth came after the end was reached

    def saw(self, height: int, *, now: float) -> bool:
        """Note a step's height; True when the page grew."""
        if height > self.height:
            if self.stuck_at is not None:
                self.latency = max(self.latency, now - self.stuck_at)
            self.height, self.stuck_at, self.nudged_at = height, None, None
            return True
        if self.stuck_at is None:
            self.stuck_at = now
        return False

    def quiet(self) -> float:
        """Seconds of calm that make the end the end."""
        return min(MAX_QUIET_S, max(MIN_QUIET_S, 2 * self.latency))


def scroll_to_end(
    page: Any, network: NetworkWatch, *, max_height: int, deadline: float
) -> tuple[int, int, bool]:
    """Scroll until the height stops growing; (height, steps, timed out).

    The end is the end once the page has been nudged there (up a few screens and back, so a
    lazy loader sees it), no request is in flight, and neither the height nor the network has
    changed for `_EndWatch.quiet()` seconds since. A request that stays open past
    NETWORK_PATIENCE_S of unchanged height no longer holds it.
    """
    watch = _EndWatch(int(page.evaluate(_STEP_TO_END, False)))
    steps = 1
    while watch.height < max_height:
        if time.monotonic() >= deadline:
            return watch.height, steps, True
        stuck = 0.0 if watch.stuck_at is None else time.monotonic() - watch.stuck_at
        nudge = (watch.stuck_at is not None and watch.nudged_at is None
                 and (network.in_flight == 0 or stuck >= MIN_QUIET_S))  # fmt: skip
        height = int(page.evaluate(_STEP_TO_END, nudge))
        steps += 1
        now = time.monotonic()
        if watch.saw(height, now=now):
            continue
        if nudge:
            watch.nudged_at = now
        if watch.nudged_at is not None and watch.stuck_at is not None:
            calm = now - max(watch.stuck_at, watch.nudged_at, network.last_change)
            if network.in_flight == 0 and calm >= watch.quiet():
                break
            if now - watch.stuck_at >= NETWORK_PATIENCE_S:  # requests that never end
                break
        network.pause(page, POLL_S)  # lets Playwright deliver the request events
    return watch.height, steps, False


def load_whole_page(
    page: Any,
    network: NetworkWatch,
    *,
    container_hint: str | None,
    max_height: int,
    max_seconds: float,
) -> ScrollOutcome:
    """Scroll to the end until nothing more loads, expand a scrolling pane, wait for images."""
    deadline = time.monotonic() + max_seconds
    container = bool(page.evaluate(_FIND_CONTAINER, container_hint))
    _height, steps, timed_out = scroll_to_end(
        page, network, max_height=max_height, deadline=deadline
    )
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
