"""`capture_accounts`: capture a batch of requests with one browser and record every outcome.

For each request: resolve it (URL, hints, identity, expected text), let the worker's browser
capture it (killed with its process group after `[browser] page_timeout_seconds`), store the
PNG (and, when the formats are there, its PDF/A and the session's WACZ) and the manifest in
the media store, and add one `captures` row. A page's failure is a row, never an exception.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from somed.capture.client import CaptureWorker, WorkerError
from somed.capture.formats import make_pdfa, make_wacz
from somed.capture.manifest import build_manifest
from somed.capture.model import CaptureRequest, CaptureResult
from somed.capture.store import store_file, store_manifest
from somed.capture.targets import Target, resolve
from somed.capture.tiles import stitch
from storage.captures import record_capture
from storage.db import connect
from storage.media import MediaStore

log = logging.getLogger(__name__)

TEMP_DIR = ".capture-tmp"  # under [storage] dir: same file system as the store


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Shot:
    """What the browser gave for one target: the worker's result and its scratch folder."""

    target: Target
    result: dict[str, Any]
    folder: Path
    viewport: tuple[int, int]
    started: datetime
    finished: datetime
    browser_version: str | None


class _Batch:
    """One batch: the archive, the store, a scratch folder and (started when needed) a worker."""

    def __init__(self, config: Any, db: Any, folder: Path, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.db = db
        self.store = MediaStore(config.storage_dir)
        self.folder = folder
        self.clock = clock
        self.worker: CaptureWorker | None = None
        self.start_error: WorkerError | None = None
        self.browser_version: str | None = None
        self.count = 0

    def _worker(self) -> CaptureWorker:
        """The running worker, started on first need (raises WorkerError if it cannot start)."""
        if self.start_error is not None:
            raise self.start_error
        if self.worker is None:
            worker = CaptureWorker(self.folder, self.config.browser.executable)
            try:
                self.browser_version = worker.start()
            except WorkerError as exc:
                self.start_error = exc
                raise
            self.worker = worker
        return self.worker

    def close(self) -> None:
        """End the worker and its browser."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def shoot(self, target: Target) -> _Shot:
        """Let the worker's browser capture one target (the part that needs the browser)."""
        self.count += 1
        started = self.clock()
        browser = self.config.browser
        viewport = (browser.viewport_width, browser.viewport_height)
        job_folder = self.folder / f"job-{self.count:04d}"
        job_folder.mkdir()
        if target.problem is not None:
            result: dict[str, Any] = {
                "verdict": "failed",
                "reason": target.problem[0],
                "params": target.problem[1],
            }
        else:
            result = self._run(target, job_folder, viewport)
        return _Shot(target, result, job_folder, viewport, started, self.clock(),
                     self.browser_version)  # fmt: skip

    def finish(self, shot: _Shot) -> tuple[dict[str, Any], dict[str, str]]:
        """Stitch a shot's tiles, store its files and manifest (no database: it may run beside
        the next shot)."""
        _stitch_tiles(shot.result, shot.folder)
        files, problems = self._store_files(shot.target, shot.result, shot.folder, shot.started)
        manifest = build_manifest(
            shot.target,
            shot.result,
            started=shot.started,
            finished=shot.finished,
            viewport=shot.viewport,
            browser_version=shot.browser_version,
            files=files,
            problems=problems,
        )
        manifest_entry = store_manifest(self.store, manifest)
        shutil.rmtree(shot.folder, ignore_errors=True)
        by_role = {f["role"]: f["sha256"] for f in files}
        return {**manifest, "manifest_sha256": manifest_entry["sha256"]}, by_role

    def record(
        self, shot: _Shot, manifest: dict[str, Any], by_role: dict[str, str]
    ) -> CaptureResult:
        """Add the shot's `captures` row (from the database's thread); the caller's result."""
        target, result, viewport = shot.target, shot.result, shot.viewport
        row = {
            "account": target.request.account,
            "platform": target.platform,
            "kind": target.kind,
            "url_asked": target.url_asked,
            "url_fetched": target.url_fetched,
            "final_url": result.get("final_url"),
            "trigger": target.request.trigger,
            "request_id": target.request.request_id,
            "started_at": shot.started,
            "finished_at": shot.finished,
            "verdict": result["verdict"],
            "reason": result.get("reason"),
            "params": result.get("params") or {},
            "identity": target.identity,
            "viewport": f"{viewport[0]}x{viewport[1]}",
            "page_height": result.get("page_height"),
            "tiles": result.get("tiles"),
            "browser_version": shot.browser_version,
            "png_sha256": by_role.get("png"),
            "pdf_sha256": by_role.get("pdf"),
            "wacz_sha256": by_role.get("wacz"),
            "manifest_sha256": manifest["manifest_sha256"],
        }
        capture_id = record_capture(self.db, row)
        log.info(
            "capture %s of %s: %s%s",
            capture_id,
            target.request.account,
            result["verdict"],
            f" ({result['reason']})" if result.get("reason") else "",
        )
        return CaptureResult(
            capture_id=capture_id,
            account=target.request.account,
            verdict=result["verdict"],
            reason=result.get("reason"),
            params=dict(result.get("params") or {}),
            manifest=manifest,
        )

    def _run(self, target: Target, folder: Path, viewport: tuple[int, int]) -> dict[str, Any]:
        """Let the worker capture the page; a timeout or crash becomes a failed result."""
        browser = self.config.browser
        job = {
            "url": target.url_fetched,
            "folder": str(folder),
            "hints": target.hints,
            "expected_text": target.expected_text,
            "storage_state": target.storage_state,  # a secret: only the browser sees it
            "viewport": list(viewport),
            "max_tiles": browser.max_tiles,
            "scroll_seconds": browser.scroll_seconds,
        }
        try:
            return self._worker().run(job, timeout=browser.page_timeout_seconds)
        except WorkerError as exc:
            if exc.reason != "capture.browser_unavailable":
                self.worker = None  # killed with its group: the next page gets a new browser
            log.warning("capture of %s failed: %s", target.request.account, exc)
            return {"verdict": "failed", "reason": exc.reason, "params": dict(exc.params)}

    def _store_files(
        self, target: Target, result: dict[str, Any], folder: Path, started: datetime
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Store the PNG and, where the formats are available, its PDF/A and the WACZ."""
        files: list[dict[str, Any]] = []
        problems: dict[str, str] = {}
        png = Path(result["png"]) if result.get("png") else None
        if png is None or not png.is_file():
            return files, problems
        timings = result.setdefault("timings_s", {})
        lap = time.monotonic()
        files.append(store_file(self.store, png, "image/png", "png"))
        timings["store_png"] = round(time.monotonic() - lap, 3)
        account = self.config.account(target.request.account)
        title = result.get("title") or target.url_asked or account.key
        warc = Path(result["warc"]) if result.get("warc") else None
        page_url = result.get("final_url") or target.url_fetched or ""
        # side by side: each is mostly libvips, zlib and qpdf, which let go of the GIL, and
        # since neither holds a decoded picture they stay under 100 MB together
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture-wacz") as side:
            wacz_made = side.submit(_timed, timings, "wacz", make_wacz, warc,
                                    folder / "session.wacz", pages=[(page_url, title, started)],
                                    screenshot=png, problems=problems)  # fmt: skip
            pdf_made = _timed(timings, "pdf", make_pdfa, png, folder / "page.pdf", title=title,
                              author=account.owner or "somed", created=started,
                              subject=target.url_asked, problems=problems)  # fmt: skip
            wacz = wacz_made.result()
        if pdf_made is not None:
            files.append(store_file(self.store, pdf_made, "application/pdf", "pdf"))
        if wacz is not None:
            files.append(store_file(self.store, wacz, "application/wacz", "wacz"))
        return files, problems


def _timed(timings: dict[str, float], step: str, make: Callable[..., Any], *args: Any,
           **kwargs: Any) -> Any:  # fmt: skip
    """`make(*args, **kwargs)`, its seconds noted in `timings[step]`."""
    lap = time.monotonic()
    try:
        return make(*args, **kwargs)
    finally:
        timings[step] = round(time.monotonic() - lap, 3)


def _stitch_tiles(result: dict[str, Any], folder: Path) -> None:
    """Join the worker's tiles into the shot's PNG (`png`, `png_width`, `png_height`).

    A stitch that fails leaves the shot `failed` (as a browser failure did when the worker
    stitched): there is no picture.
    """
    tiles = [Path(tile) for tile in result.pop("tile_files", None) or []]
    if not tiles:
        return
    lap = time.monotonic()
    try:
        stitched = stitch(tiles, folder / "page.png")
    except Exception as exc:  # libvips' errors: a tile unreadable, the disk full
        log.warning("stitching a capture's tiles failed: %s", exc)
        message = " ".join(str(exc).split("\n")[0].split())[:300]
        result.update(verdict="failed", reason="capture.browser_error",
                      params={"error": f"{type(exc).__name__}: {message}"})  # fmt: skip
        return
    result.setdefault("timings_s", {})["stitch"] = round(time.monotonic() - lap, 3)
    result.update(png=str(stitched.path), tiles=stitched.tiles, png_height=stitched.height,
                  png_width=stitched.width)  # fmt: skip


def _warm_up() -> None:
    """Import what makes the files (libvips, img2pdf, pikepdf, py-wacz) as the browser starts."""
    import wacz.main  # noqa: F401

    import somed.capture.pdfa  # noqa: F401
    import somed.capture.wacz  # noqa: F401


def _pipelined(
    batch: _Batch, targets: Sequence[Target], progress: Callable[[str], None] | None
) -> list[CaptureResult]:
    """Shoot each target while the files of the one before are made beside it.

    The browser's work (in the worker process) and the files' work (stitching, PDF/A, WACZ,
    here) overlap; at most one shot waits for its files, and every row is recorded in order
    from this thread, the database connection's. The modules that make the files are imported
    while the browser starts, and the browser is ended while the last shot's files are made.
    """
    results: list[CaptureResult] = []
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="capture-files") as pool:
        warm = pool.submit(_warm_up)
        pending: tuple[_Shot, Future[tuple[dict[str, Any], dict[str, str]]]] | None = None
        for index, target in enumerate(targets, 1):
            if progress is not None:
                progress(f"{target.request.account} ({index}/{len(targets)})")
            shot = batch.shoot(target)
            if pending is not None:
                results.append(batch.record(pending[0], *pending[1].result()))
            pending = (shot, pool.submit(batch.finish, shot))
        closed = pool.submit(batch.close)  # the last shot is taken: end the browser meanwhile
        if pending is not None:
            results.append(batch.record(pending[0], *pending[1].result()))
        closed.result()
        if warm.exception() is not None:  # the formats' problem, noted in each manifest
            log.debug("capture warm-up: %s", warm.exception())
    return results


def capture_accounts(
    config: Any,
    requests: Sequence[CaptureRequest],
    *,
    clock: Callable[[], datetime] = utc_now,
    progress: Callable[[str], None] | None = None,
) -> list[CaptureResult]:
    """Capture each request with one browser for the batch; never raises for a page's failure.

    Raises KeyError for a request naming an account the config does not have (before any
    capture is taken).
    """
    if not requests:
        return []
    db = connect(config.db_path)
    try:
        targets = [resolve(config, db, request) for request in requests]
        scratch = config.storage_dir / TEMP_DIR
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix="batch-") as folder:
            batch = _Batch(config, db, Path(folder), clock)
            try:
                return _pipelined(batch, targets, progress)
            finally:
                batch.close()
    finally:
        db.close()
