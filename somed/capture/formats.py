"""The capture's other renditions: a PDF/A-2b of the PNG and a WACZ of the browser session.

They are made by the formats modules (`pdfa.py`, `recorder.py`, `wacz.py`); a rendition that
cannot be made is noted in the manifest's `format_problems` and the capture keeps its PNG. Each
rendition made is checked at once (`pdfa_problems`, `wacz validate`): what a check finds is
noted there too, and the file is kept (it is still the best copy there is).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)


def make_pdfa(
    png: Path,
    out: Path,
    *,
    title: str,
    author: str,
    created: datetime,
    subject: str | None,
    problems: dict[str, str],
) -> Path | None:
    """Write the PDF/A-2b of `png` to `out`; None (and a note in `problems`) when it fails."""
    from somed.capture.pdfa import pdfa_problems, write_pdfa

    try:
        write_pdfa(png, out, title=title, author=author, created=created, subject=subject)
        _note_check(problems, "pdf", pdfa_problems(out))
    except Exception as exc:  # a rendition failing must not lose the capture
        log.warning("PDF/A of a capture failed: %s", exc)
        problems["pdf"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return None
    return out


def make_wacz(
    warc: Path | None,
    out: Path,
    *,
    pages: Sequence[tuple[str, str, datetime]],
    screenshot: Path | None,
    problems: dict[str, str],
) -> Path | None:
    """Package the session's WARC as WACZ at `out`; None (and a note) when it cannot."""
    if warc is None or not warc.is_file():
        problems["wacz"] = "no session recording"
        return None
    from somed.capture.wacz import wacz_problems, write_wacz

    try:
        made = Path(write_wacz(warc, out, pages=list(pages), screenshot=screenshot))
        _note_check(problems, "wacz", wacz_problems(made))
        return made
    except Exception as exc:  # a rendition failing must not lose the capture
        log.warning("WACZ of a capture failed: %s", exc)
        problems["wacz"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return None


def _note_check(problems: dict[str, str], role: str, found: Sequence[str]) -> None:
    """Note what a rendition's check found (the file is kept all the same)."""
    if found:
        log.warning("the %s of a capture does not pass its check: %s", role, "; ".join(found))
        problems[role] = ("check: " + "; ".join(found))[:300]
