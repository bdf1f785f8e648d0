"""What the hardening costs: first archives with and without the scrubber, quarantine checks and
streamed downloads, in one run.

Each safeguard has a switch that only this benchmark uses: it replaces the safeguard, inside the
benchmark's own process, by the plainest code that does the same job without the safety (no
redaction of secrets; no per-record validation; a media file read whole into memory instead of
streamed with a size cap and a type check). Product code has no such switch. Rounds alternate
"all on" and "all off" on fresh archives of the same page. The target is judged on the CPU time
metered inside each safeguard minus that of its plain counterpart, as a share of the plain
run's CPU time; whole-run wall and CPU times are reported beside it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from emulated import EmulatorProcess, run_somed, write_config

Undo = Callable[[], None]


class Meter:
    """CPU seconds spent inside metered functions, per safeguard (any thread)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, counting the CPU time of its calls (`time.thread_time`) under `name`."""

        def metered(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.seconds[name] = self.seconds.get(name, 0.0) + spent

        return metered


def _plain_text(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda self, value: value  # no redaction


def _whole_download(original: Callable[..., Any]) -> Callable[..., Any]:
    """Media read whole into memory, as before streaming: no cap, no type check."""
    from connectors.base import TransientError
    from connectors.download import MediaGone

    def whole(session: Any, url: str, sink: Any, *, kind: str, declared: str | None,
              limits: Any) -> str | None:  # fmt: skip
        response = session.get(url, stream=True)  # not scrubbed: a file, as before the net layer
        if response.status_code in (403, 404, 410):
            raise MediaGone(f"media gone (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise TransientError(f"media download failed: HTTP {response.status_code}")
        sink.write(response.content)
        return (response.headers.get("Content-Type") or "").split(";")[0].strip() or declared

    return whole


def _no_problem(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda record: None  # every record taken as storable


def _as_is(original: Callable[..., Any]) -> Callable[..., Any]:
    return lambda record: record  # no text repair


def _columns_unchecked(original: Callable[..., Any]) -> Callable[..., Any]:
    from storage import writer

    return lambda record, strict=False, hashed=True: (writer._prepare(record, hashed=hashed), None)


Hook = tuple[str, Any, str, Callable[[Callable[..., Any]], Callable[..., Any]]]


def _hooks() -> list[Hook]:
    """(safeguard, owner, attribute, plain replacement) of every switch this code has."""
    import connectors.base as base
    import connectors.meta_graph as client
    from connectors.scrub import Scrubber
    from storage import writer

    hooks: list[Hook] = [
        ("scrubber", Scrubber, "data", _plain_text),
        ("scrubber", Scrubber, "text", _plain_text),
        ("streamed downloads", client, "stream_download", _whole_download),
        ("quarantine checks", base, "record_problem", _no_problem),
        ("quarantine checks", base, "repair_text", _as_is),
        ("quarantine checks", writer, "_columns", _columns_unchecked),
    ]
    return [hook for hook in hooks if hasattr(hook[1], hook[2])]


@contextlib.contextmanager
def safeguards(meter: Meter, *, on: bool) -> Iterator[None]:
    """Meter every safeguard (on), or replace each by its plain counterpart and meter that."""
    hooks = _hooks()
    originals = [getattr(owner, attr) for _, owner, attr, _ in hooks]
    for (name, owner, attr, plain), original in zip(hooks, originals, strict=True):
        setattr(owner, attr, meter.wrap(name, original if on else plain(original)))
    try:
        yield
    finally:
        for (_, owner, attr, _), original in zip(hooks, originals, strict=True):
            setattr(owner, attr, original)


def measure_overheads(emulator: EmulatorProcess, work: Path, rounds: int) -> dict[str, Any]:
    """First archives with every safeguard on and with all off, alternating.

    Besides each run's wall and CPU time, the CPU time spent inside each safeguard (on) and
    inside its plain counterpart (off) is metered per call, which a busy machine distorts far
    less than a whole run's time: the safeguards' cost is what they add over the plain code.
    """
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    names = list(dict.fromkeys(name for name, *_ in _hooks()))
    for n in range(rounds):
        for mode in ("off", "on") if n % 2 else ("on", "off"):
            storage = work / f"overhead-{mode}-{n}"
            config = write_config(work, storage, emulator.base_url, window_days=0)
            meter = Meter()
            with safeguards(meter, on=mode == "on"):
                measured = run_somed(emulator, config)
            runs[mode].append({"wall_s": measured.wall, "cpu_s": measured.cpu,
                               "items": measured.outcome.new, "media": measured.counts["media"],
                               "inside_s": dict(meter.seconds)})  # fmt: skip
    best = {mode: min(r["wall_s"] for r in runs[mode]) for mode in runs}
    cpu = {mode: min(r["cpu_s"] for r in runs[mode]) for mode in runs}
    inside = {mode: {name: min(r["inside_s"].get(name, 0.0) for r in runs[mode])
                     for name in names} for mode in runs}  # fmt: skip
    added = {name: inside["on"][name] - inside["off"][name] for name in names}
    share = sum(added.values()) / cpu["off"] if cpu["off"] else float("nan")
    return {
        "safeguards": names, "rounds": runs, "best_wall_s": best, "best_cpu_s": cpu,
        "inside_cpu_s": inside, "added_cpu_s": added, "added_share": share,
        "wall_overhead": best["on"] / best["off"] - 1, "cpu_overhead": cpu["on"] / cpu["off"] - 1,
        "target": 0.05, "pass": share <= 0.05,
    }  # fmt: skip
