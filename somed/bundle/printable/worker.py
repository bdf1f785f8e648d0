"""The PDF/A-2b rendition of a part: drawn by ReportLab, finished by pikepdf, in worker processes.

Parts are independent, so up to `workers` of them are drawn at once in spawned processes (they
share nothing with the builder), while the builder goes on with the next parts' HTML. At most
`workers + 1` parts are in flight, so memory stays bounded however many parts there are.
"""

from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
from collections import deque
from collections.abc import Callable
from datetime import datetime

import pikepdf
import reportlab

from somed import __version__
from somed.bundle.printable.document import PartDocument, draw_part
from somed.bundle.printable.pages import Pages, register_fonts
from somed.pdfa import identify_pdfa, save_pdfa

PRODUCER = f"somed {__version__} (ReportLab {reportlab.Version}, pikepdf {pikepdf.__version__})"


def render_pdf(doc: PartDocument) -> bytes:
    """The PDF/A-2b of one part."""
    drawn = io.BytesIO()
    pages = Pages(drawn, title=doc.title, label=doc.title)
    draw_part(pages, doc)
    pages.save()
    drawn.seek(0)
    finished = io.BytesIO()
    with pikepdf.open(drawn) as pdf:
        identify_pdfa(pdf, title=doc.title, author=doc.author, subject=None,
                      created=datetime.fromisoformat(doc.created), producer=PRODUCER,
                      flag_annotations=False)  # `Pages` makes its links printed  # fmt: skip
        save_pdfa(pdf, finished, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                  compress_streams=False)  # ReportLab compressed them; the XMP stays plain
    return finished.getvalue()


def warm() -> None:
    """Load what drawing needs (the fonts), in a worker that has just started."""
    register_fonts()


class PdfMaker:
    """Makes PDFs in `workers` child processes (0: in this process), a few at a time."""

    def __init__(self, workers: int = 2) -> None:
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
        # the workers start (and import ReportLab and pikepdf) now, beside what the caller does
        # before its first part, not when that part is ready
        self._warming = [self._pool.submit(warm) for _ in range(workers)] if self._pool else []

    def submit(self, doc: PartDocument, done: Callable[[bytes], None]) -> None:
        """Make the PDF of `doc`; `done(pdf)` is called in this process when it is made."""
        if self._pool is None:
            done(render_pdf(doc))
            return
        self._pending.append((self._pool.submit(render_pdf, doc), done))
        while len(self._pending) > self._limit:
            self._finish_one()

    def _finish_one(self) -> None:
        future, done = self._pending.popleft()
        done(future.result())

    def close(self) -> None:
        """Wait for every PDF and stop the workers."""
        try:
            for future in self._warming:
                future.result()
            while self._pending:
                self._finish_one()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
