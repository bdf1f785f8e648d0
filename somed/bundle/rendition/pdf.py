"""The PDF/A-2b rendition of an HTML part, made by WeasyPrint in a child process.

WeasyPrint holds a whole document in memory, so the PDFs are made in a worker process (spawned:
it shares nothing with the builder) while the builder goes on with the next part's HTML.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections import deque
from collections.abc import Callable
from pathlib import Path

PDF_VARIANT = "pdf/a-2b"


def render_pdf(html_path: str, root: str) -> bytes:
    """The PDF/A of the HTML file `html_path`; only files under `root` may be loaded."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    allowed = Path(root).resolve().as_uri() + "/"

    class BundleOnly(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> object:
            if not url.startswith(allowed):
                raise ValueError(f"not loaded, outside the bundle: {url[:80]}")
            return super().fetch(url, headers)

    fetcher = BundleOnly(allowed_protocols={"file"})
    document = HTML(filename=html_path, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT) or b""


class PdfMaker:
    """Makes PDFs in `workers` child processes (0: in this process), a few at a time."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = (
            concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn")
            )
            if workers > 0
            else None
        )
        self._pending: deque[tuple[concurrent.futures.Future[bytes], Callable[[bytes], None]]]
        self._pending = deque()
        self._limit = max(1, workers) + 1

    def submit(self, html_path: Path, root: Path, done: Callable[[bytes], None]) -> None:
        """Make the PDF of `html_path`; `done(pdf)` is called in this process when it is made."""
        if self._pool is None:
            done(render_pdf(str(html_path), str(root)))
            return
        self._pending.append((self._pool.submit(render_pdf, str(html_path), str(root)), done))
        while len(self._pending) > self._limit:
            self._finish_one()

    def _finish_one(self) -> None:
        future, done = self._pending.popleft()
        done(future.result())

    def close(self) -> None:
        """Wait for every PDF and stop the workers."""
        try:
            while self._pending:
                self._finish_one()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
