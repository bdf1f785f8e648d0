"""What the hardening costs: first archives with and without the scrubber, quarantine checks and
streamed downloads, in one run.

Each safeguard has a switch that only this benchmark uses: it replaces the safeguard, inside the
benchmark's own process, by the plainest code that does the same job without the safety (no
redaction of secrets; no per-record validation; a media file read whole into memory instead of
streamed with a size cap and a type check). Product code has no such switch. Rounds alternate
"all on" and "all off" on fresh archives of the same page, and the best of each is compared.
The target is judged on CPU time (the work the safeguards add), which a busy machine does not
distort; the wall times are reported beside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from emulated import EmulatorProcess, run_somed, write_config

Undo = Callable[[], None]


def _patch(owner: Any, name: str, value: Any) -> Undo:
    original = getattr(owner, name)
    setattr(owner, name, value)
    return lambda: setattr(owner, name, original)


def _no_scrubber() -> Undo:
    """Secrets are no longer redacted from response bodies and error texts."""
    from connectors.scrub import Scrubber

    undo_data = _patch(Scrubber, "data", lambda self, data: data)
    undo_text = _patch(Scrubber, "text", lambda self, text: text)
    return lambda: (undo_data(), undo_text())


def _whole_downloads() -> Undo:
    """Media are read whole into memory, as before streaming: no cap, no type check."""
    import connectors.facebook.client as client
    from connectors.base import TransientError
    from connectors.download import MediaGone

    def whole(session: Any, url: str, sink: Any, *, kind: str, declared: str | None,
              limits: Any) -> str | None:  # fmt: skip
        response = session.get(url, stream=True)  # the body unscrubbed, as before the net layer
        if response.status_code in (403, 404, 410):
            raise MediaGone(f"media gone (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise TransientError(f"media download failed: HTTP {response.status_code}")
        sink.write(response.content)
        return (response.headers.get("Content-Type") or "").split(";")[0].strip() or declared

    return _patch(client, "stream_download", whole)


SWITCHES: dict[str, Callable[[], Undo]] = {
    "scrubber": _no_scrubber,
    "streamed downloads": _whole_downloads,
}


@contextlib.contextmanager
def safeguards_off(names: list[str]) -> Iterator[None]:
    """Turn the named safeguards off inside this process for the duration of the block."""
    undos = [SWITCHES[name]() for name in names]
    try:
        yield
    finally:
        for undo in reversed(undos):
            undo()


def measure_overheads(emulator: EmulatorProcess, work: Path, rounds: int) -> dict[str, Any]:
    """First archives with every safeguard on and with all off, alternating, best of each."""
    names = list(SWITCHES)
    runs: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for n in range(rounds):
        for mode in ("off", "on") if n % 2 else ("on", "off"):
            storage = work / f"overhead-{mode}-{n}"
            config = write_config(work, storage, emulator.base_url, window_days=0)
            with safeguards_off(names) if mode == "off" else contextlib.nullcontext():
                measured = run_somed(emulator, config)
            runs[mode].append({"wall_s": measured.wall, "cpu_s": measured.cpu,
                               "items": measured.outcome.new,
                               "media": measured.counts["media"]})  # fmt: skip
    best = {mode: min(r["wall_s"] for r in runs[mode]) for mode in runs}
    cpu = {mode: min(r["cpu_s"] for r in runs[mode]) for mode in runs}
    return {
        "safeguards": names, "rounds": runs, "best_wall_s": best, "best_cpu_s": cpu,
        "wall_overhead": best["on"] / best["off"] - 1, "cpu_overhead": cpu["on"] / cpu["off"] - 1,
        "target": 0.05, "pass": cpu["on"] / cpu["off"] - 1 <= 0.05,  # judged on CPU (see doc)
    }  # fmt: skip
