"""Snapshot cost: somed's capture of a 31,000 px page beside a bare Playwright full-page shot.

The page is the capture tests' loopback site (`tests/capture_pages.py`): 31 bands of 1,000 px,
each with a photo, loaded lazily three bands per scroll, behind a cookie dialog. Each run is
a child process of its own, timed from its start to its end (browser start included):

- **bare**: Playwright launches the system Chromium, opens the page, scrolls until the last
  band is there, waits for the network to go idle and takes one `full_page=True` screenshot:
  the ceiling, with no tiles, no checks, no PDF/A, no WACZ, nothing stored;
- **somed**: `capture_accounts` with the same page (PNG in tiles, PDF/A and WACZ when the
  formats modules are installed, manifest, media store, `captures` row).

Both once ("one at a time") and ten pages in a row with one browser. Peak RSS is read from
`/proc/<pid>/status` (VmHWM) of the somed process itself, of the capture worker, and (for
context) summed over the browser's processes, sampled every 50 ms.

    .venv/bin/python bench/capture.py [--repeat 3] [--ten 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the capture tests' site lives in tests/

from proc import descendants, kb, status  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGE = "/tall?bands=31&images=1"
TIME_TARGET = 1.5  # somed at most 1.5x the bare screenshot's time
RSS_TARGET_MB = 300  # the somed process, browser aside


# --- memory sampling ------------------------------------------------------------------------


class Sampler:
    """Peak RSS of the worker (python), the driver (node) and the browser (sum), every 50 ms."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {"worker_kb": 0, "driver_kb": 0, "browser_kb": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            browser = 0
            for pid in descendants(os.getpid()):
                lines = status(pid)
                name = lines.get("Name", "")
                if name.startswith("python"):
                    self.peaks["worker_kb"] = max(self.peaks["worker_kb"], kb(lines.get("VmHWM")))
                elif name.startswith("node"):
                    self.peaks["driver_kb"] = max(self.peaks["driver_kb"], kb(lines.get("VmHWM")))
                elif name.startswith("chrom"):
                    browser += kb(lines.get("VmRSS"))
            self.peaks["browser_kb"] = max(self.peaks["browser_kb"], browser)


# --- the two children -------------------------------------------------------------------------

_SETTLE = """async () => {
  const started = performance.now();
  const el = document.documentElement;
  let last = el.scrollHeight, still = 0;
  while (!document.querySelector('[data-somed-end]') && performance.now() - started < 60000) {
    window.scrollTo(0, el.scrollHeight);
    await new Promise((done) => setTimeout(done, 100));
    if (el.scrollHeight > last) { last = el.scrollHeight; still = 0; continue; }
    if (++still % 4 === 0) {  // stuck: up a few screens and back wakes the lazy loader
      window.scrollTo(0, Math.max(0, el.scrollHeight - 3 * innerHeight));
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    }
  }
  return el.scrollHeight;
}"""  # scroll until the last band (the test site's end marker) is there: the ideal scroller


def bare(url: str, count: int, folder: Path) -> dict[str, Any]:
    """Launch Chromium, then `count` times: open, scroll to the end, one full-page screenshot."""
    from playwright.sync_api import sync_playwright

    from somed.capture.browser import FLAGS

    args = [f for f in FLAGS if not f.startswith(("--remote-debugging", "--headless"))]
    heights = []
    with Sampler() as sampler, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*args, "--no-sandbox"]
        )
        for n in range(count):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(url, wait_until="load")
            heights.append(page.evaluate(_SETTLE))
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(folder / f"bare-{n}.png"), full_page=True)
            context.close()
        browser.close()
    return {"heights": heights, **sampler.peaks}


def somed_capture(url: str, count: int, folder: Path) -> dict[str, Any]:
    """`capture_accounts` of `count` accounts showing the page, with one browser."""
    from connectors.facebook.connector import FacebookConnector
    from somed.capture import CaptureRequest, capture_accounts
    from somed.config import load_config

    if getattr(FacebookConnector, "capture_hints", None) is None:  # before the hints landed
        raise SystemExit("the Facebook connector has no capture hints")
    lines = ["[storage]", f'dir = "{folder / "archive"}"']
    for n in range(count):
        lines += ["[[accounts]]", f'key = "bench-{n}"', 'platform = "facebook"', f'id = "{n}"',
                  f'url = "{url}"', 'token_env = "SOMED_BENCH_UNUSED"']  # fmt: skip
    (folder / "somed.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(folder / "somed.toml")
    with Sampler() as sampler:
        results = capture_accounts(config, [CaptureRequest(f"bench-{n}") for n in range(count)])
    return {
        "verdicts": [r.verdict for r in results],
        "reasons": [r.reason for r in results],
        "heights": [r.manifest.get("page_height") for r in results],
        "tiles": [r.manifest.get("tiles") for r in results],
        "files": sorted({f["role"] for r in results for f in r.manifest["files"]}),
        "steps_s": _mean_steps([r.manifest.get("timings_s") or {} for r in results]),
        **sampler.peaks,
    }


def _mean_steps(timings: list[dict[str, float]]) -> dict[str, float]:
    """Each step's mean seconds over the captures (the manifests' `timings_s`)."""
    steps = {name for one in timings for name in one}
    return {name: round(sum(one.get(name, 0.0) for one in timings) / max(1, len(timings)), 2)
            for name in sorted(steps)}  # fmt: skip


def child(mode: str, url: str, count: int, folder: Path) -> None:
    """Run one measured case and print its JSON result line."""
    started = time.perf_counter()
    result = (bare if mode == "bare" else somed_capture)(url, count, folder)
    result["wall_s"] = time.perf_counter() - started
    result["self_kb"] = kb(status(os.getpid()).get("VmHWM"))
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")


# --- the parent --------------------------------------------------------------------------------


def run_child(mode: str, url: str, count: int, work: Path) -> dict[str, Any]:
    """One case in a fresh child process and a fresh folder."""
    folder = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=work))
    errors = folder / "stderr.txt"
    with errors.open("wb") as stderr:  # a file, not a pipe: a lingering browser cannot hold it
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--url", url, "--count", str(count),
             "--dir", str(folder)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, timeout=1800,
        )  # fmt: skip
    try:
        if done.returncode != 0:
            said = errors.read_text(errors="replace")[-2000:]
            raise SystemExit(f"{mode} x{count} failed: {said}")
        return json.loads((folder / "result.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(repeat: int, ten: int, parent: str | None) -> dict[str, Any]:
    """Bare and somed, once and `ten` in a row, `repeat` rounds interleaved; best of each."""
    from tests.capture_pages import serve_pages

    work = Path(tempfile.mkdtemp(prefix="somed-capture-bench-", dir=parent))
    cases: dict[str, list[dict[str, Any]]] = {}
    try:
        with serve_pages() as site:
            url = site.url + PAGE
            for _round in range(repeat):
                for count in (1, ten):
                    for mode in ("bare", "somed"):
                        cases.setdefault(f"{mode}_x{count}", []).append(
                            run_child(mode, url, count, work)
                        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {name: min(runs, key=lambda r: r["wall_s"]) for name, runs in cases.items()}
    spread = {n: max(r["wall_s"] for r in runs) - min(r["wall_s"] for r in runs)
              for n, runs in cases.items()}  # fmt: skip
    summary: dict[str, Any] = {"page": PAGE, "repeat": repeat, "ten": ten, "cases": best,
                               "spread_s": spread}  # fmt: skip
    for count in (1, ten):
        ratio = best[f"somed_x{count}"]["wall_s"] / best[f"bare_x{count}"]["wall_s"]
        summary[f"ratio_x{count}"] = ratio
    somed_mb = max(max(r["self_kb"], r["worker_kb"]) for n, r in best.items()
                   if n.startswith("somed")) / 1024  # fmt: skip
    summary["somed_peak_rss_mb"] = somed_mb
    summary["pass_time"] = all(summary[f"ratio_x{c}"] <= TIME_TARGET for c in (1, ten))
    summary["pass_rss"] = somed_mb < RSS_TARGET_MB
    summary["load_average"] = os.getloadavg()
    return summary


def render(summary: dict[str, Any]) -> str:
    """The results as a small table."""
    lines = [f"page {summary['page']} (31,000 px), best of {summary['repeat']}",
             f"{'case':<12} {'wall s':>8} {'self MB':>8} {'worker MB':>9} {'driver MB':>9}"
             f" {'browser MB':>10}  verdicts/heights"]  # fmt: skip
    for name, r in summary["cases"].items():
        extra = r.get("verdicts", r.get("heights"))
        mb = {key: r[key] / 1024 for key in ("self_kb", "worker_kb", "driver_kb", "browser_kb")}
        lines.append(
            f"{name:<12} {r['wall_s']:>8.2f} {mb['self_kb']:>8.0f} {mb['worker_kb']:>9.0f}"
            f" {mb['driver_kb']:>9.0f} {mb['browser_kb']:>10.0f}  {extra}"
        )
    for name, r in summary["cases"].items():
        if r.get("steps_s"):
            steps = ", ".join(f"{step} {sec:.2f}" for step, sec in r["steps_s"].items())
            lines.append(f"{name} mean seconds per capture: {steps}")
    for key in sorted(k for k in summary if k.startswith("ratio_")):
        lines.append(f"{key}: {summary[key]:.2f} (target <= {TIME_TARGET})")
    lines.append(f"somed peak RSS (process or worker, browser aside): "
                 f"{summary['somed_peak_rss_mb']:.0f} MB (target < {RSS_TARGET_MB})")  # fmt: skip
    lines.append("load average: " + " ".join(f"{v:.2f}" for v in summary["load_average"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ten", type=int, default=10, help="pages in a row with one browser")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--child", choices=("bare", "somed"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.count, Path(args.dir))
        return
    summary = measure(args.repeat, args.ten, args.dir)
    print(json.dumps(summary, indent=2) if args.json else render(summary))


if __name__ == "__main__":
    main()
