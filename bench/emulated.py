"""The benchmark's Graph API: the bundled emulator in a child process, and somed runs against it.

The emulator runs in its own process, so its rendering does not compete with somed for the GIL
(the real Graph API renders on Facebook's servers, not in somed's process).
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from as_deployed import daemon_runner

from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.runner import RunOutcome

PAGE_ID = "555000555"
ACCOUNT = "bench-fb"
TOKEN = "EMU-bench-token-0000"  # a fake token the emulator accepts; nothing leaves loopback
TOKEN_ENV = "SOMED_BENCH_FB_TOKEN"
API_VERSION = "v21.0"
PAGE_SIZE = 100  # somed's default [platforms.facebook] page_size; the ceilings use the same

# Posts are SPACING apart, the newest an hour old: post i is 1 + 6*i hours old.
SPACING = timedelta(hours=6)

# The emulator reports usage (X-App-Usage, X-Business-Use-Case-Usage) as calls in the last 60 s
# divided by `usage_budget`, every batch sub-request counting as a call. somed paces itself once
# the headers pass [runner] slow_down_at_percent (80 by default), up to 10 s per batch. This
# benchmark measures somed's own throughput, not that pacing policy, so the budget is set far
# above anything one run can reach.
USAGE_BUDGET = 100_000_000


@dataclass(frozen=True)
class PageSpec:
    posts: int
    comments: int
    replies: int
    images_every: int
    newest: datetime


def _serve(conn: Connection, spec: PageSpec) -> None:
    """Child process: generate the page, serve it on loopback, answer commands over `conn`."""
    from connectors.facebook.emulator import FacebookEmulator, TokenInfo, generate_page

    started = time.perf_counter()
    page = generate_page(
        PAGE_ID, "Benchkommun", "benchkommun", posts=spec.posts,
        comments_per_post=spec.comments, replies_per_comment=spec.replies,
        images_every=spec.images_every, newest=spec.newest, spacing=SPACING,
    )  # fmt: skip
    emulator = FacebookEmulator(
        [page], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}, usage_budget=USAGE_BUDGET
    )
    base_url = emulator.start()
    _warm(base_url)
    emulator.reset_log()
    conn.send((base_url, time.perf_counter() - started))

    def counts() -> dict[str, int]:
        http = emulator.http_requests()
        media = [r for r in http if r.path.startswith("/media/")]
        return {
            "http": len(http),
            "api": len(http) - len(media),
            "media": len(media),
            "batches": sum(1 for r in http if r.batch_size),
            "batch_reads": sum(r.batch_size for r in http),
            "errors": sum(1 for r in http if r.status >= 400),
        }

    commands = {
        "reset_log": emulator.reset_log,
        "counts": counts,
        "delete_post": emulator.delete_post,
        "delete_comment": emulator.delete_comment,
    }
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            name, args = message
            try:
                conn.send(("ok", commands[name](*args)))
            except Exception as exc:  # report it to the parent instead of dying silently
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        emulator.stop()


def _warm(base_url: str) -> None:
    """Walk the page once and render every photo, before anything is timed.

    The emulator memoises some rendering (timestamps, comment orderings, PNG bytes); warming it
    up front means the archive and the ceilings, whichever runs first, meet the same emulator.
    """
    from urllib.parse import urlsplit

    from ceilings import media_urls, plain_fetch

    from connectors.emulation import png_image

    fetched = plain_fetch(base_url)
    for url in media_urls(fetched.posts):
        png_image(urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".png"))


class EmulatorProcess:
    """The parent's handle on the emulator child process."""

    def __init__(self, spec: PageSpec) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, spec), daemon=True)
        self._process.start()
        self.base_url, self.setup_seconds = self._recv()

    def _recv(self) -> Any:
        while not self._conn.poll(0.2):
            if not self._process.is_alive():
                raise RuntimeError(f"the emulator process died (exit {self._process.exitcode})")
        return self._conn.recv()

    def call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        status, result = self._recv()
        if status != "ok":
            raise RuntimeError(f"emulator {name}: {result}")
        return result

    def close(self) -> None:
        if self._process.is_alive():
            self._conn.send(None)
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)


# --- somed runs -------------------------------------------------------------------------------


def write_config(
    directory: Path, storage: Path, endpoint: str, window_days: int,
    streams: list[str] | None = None,
) -> Config:  # fmt: skip
    """Write and load a somed config for the bench account with the given re-read window."""
    path = directory / f"somed-{storage.name}-window{window_days}.toml"
    chosen = [f"streams = {json.dumps(streams)}"] if streams is not None else []
    path.write_text(
        "\n".join([
            "[storage]", f'dir = "{storage}"',
            "[platforms.facebook]", f'api_version = "{API_VERSION}"', f'endpoint = "{endpoint}"',
            f"page_size = {PAGE_SIZE}",
            "[[accounts]]", f'key = "{ACCOUNT}"', 'platform = "facebook"', f'id = "{PAGE_ID}"',
            f'token_env = "{TOKEN_ENV}"', f"refetch_window_days = {window_days}", *chosen,
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return load_config(path)


@dataclass
class Measured:
    """One somed run as the emulator and the runner saw it."""

    outcome: RunOutcome
    wall: float
    counts: dict[str, int]
    cpu: float = 0.0  # user + system CPU seconds of somed's threads and its writer process


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its ended children (the run's writer processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_somed(emulator: EmulatorProcess, config: Config, profile: Any = None) -> Measured:
    """Run one archive pass of the bench account and count the HTTP requests it made."""
    prepare_archive(config)
    emulator.call("reset_log")
    runner = daemon_runner(config)
    started, cpu = time.perf_counter(), _cpu_seconds()
    if profile is not None:
        profile.enable()
    outcome = runner.run_account(ACCOUNT)
    if profile is not None:
        profile.disable()
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    if outcome.status != "ok":
        raise SystemExit(f"somed run failed: {outcome.status}: {outcome.message}")
    return Measured(outcome, wall, emulator.call("counts"), cpu)
