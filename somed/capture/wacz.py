"""A capture's WARC packaged as a WACZ 1.1 with py-wacz, and checked with `wacz validate`.

The WACZ (a ZIP: `archive/*.warc.gz`, `indexes/index.cdx.gz`, `pages/pages.jsonl`,
`datapackage.json` with every file's SHA-256, `datapackage-digest.json`) replays in
ReplayWeb.page and pywb. The pages list is ours (url, title, time), copied as it is; the
screenshot, when given, rides along as a WARC `resource` record `urn:fullPage:<url>` (as
Browsertrix stores its screenshots) in `archive/screenshots.warc.gz`. py-wacz runs in this
process (its command line's `main`, its chatter captured and kept out of our output): a child
interpreter per capture cost about three seconds of start-up and imports, the in-process call
about 50 ms after the first import (some 40 MB, once).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import subprocess
import tempfile
import threading
import traceback
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from warcio.warcwriter import WARCWriter

SCREENSHOTS_WARC = "screenshots.warc.gz"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
_WACZ_LOCK = threading.Lock()  # the redirected streams are the whole process's


class WaczError(RuntimeError):
    """py-wacz could not package the WARC (its own words in the message)."""


def write_wacz(
    warc: Path,
    out: Path,
    *,
    pages: Sequence[tuple[str, str, datetime]],
    screenshot: Path | None = None,
) -> Path:
    """Package `warc` (and the screenshot) as a WACZ at `out`, listing `pages` (url, title, ts)."""
    warc, out = Path(warc), Path(out)
    if not pages:
        raise ValueError("a WACZ needs at least one page")
    if any(ts.tzinfo is None for _, _, ts in pages):
        raise ValueError("page times must be timezone-aware")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=out.parent) as tmp:
        folder = Path(tmp)
        inputs = [warc]
        if screenshot is not None:
            url, _, ts = pages[0]
            inputs.append(_screenshot_warc(Path(screenshot), url, ts, folder / SCREENSHOTS_WARC))
        pages_file = folder / "pages.jsonl"
        pages_file.write_text(_pages_jsonl(pages), encoding="utf-8")
        url, title, _ = pages[0]
        command = [
            "create",
            "-o",
            str(folder / "out.wacz"),
            "-p",
            str(pages_file),
            "-c",
            "--title",
            title,
        ]
        if url in response_uris(warc):
            command += ["--url", url]  # the main page, when the session really fetched it
        result = _run_wacz(command + [str(i) for i in inputs])
        if result.returncode != 0 or not (folder / "out.wacz").exists():
            raise WaczError(f"wacz create failed: {_last_lines(result)}")
        os.replace(folder / "out.wacz", out)
    return out


def wacz_problems(wacz: Path) -> list[str]:
    """What `wacz validate` finds wrong with `wacz`, plus listed pages it does not hold."""
    result = _run_wacz(["validate", "-f", str(wacz)])
    output = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    if result.returncode != 0 or not any("Validation succeeded" in line for line in output):
        said = [line for line in output if line]
        if any(line.startswith("Traceback") for line in said):  # it crashed reading the file
            return [f"wacz validate could not read the file: {said[-1]}"]
        return said or [f"wacz validate exited {result.returncode}"]
    return _missing_pages(Path(wacz))


def response_uris(warc: Path) -> set[str]:
    """The target URIs of the WARC's response records."""
    from warcio.archiveiterator import ArchiveIterator

    with Path(warc).open("rb") as fh:
        return {
            record.rec_headers.get_header("WARC-Target-URI")
            for record in ArchiveIterator(fh)
            if record.rec_type == "response"
        }


def _pages_jsonl(pages: Sequence[tuple[str, str, datetime]]) -> str:
    """pages.jsonl: the header line, then one line per page (id, url, title, ts)."""
    lines = [json.dumps(PAGES_HEADER)]
    for url, title, ts in pages:
        stamp = ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        page_id = hashlib.sha256(f"{stamp} {url}".encode()).hexdigest()[:32]
        lines.append(json.dumps({"id": page_id, "url": url, "title": title, "ts": stamp}))
    return "\n".join(lines) + "\n"


def _screenshot_warc(png: Path, url: str, ts: datetime, out: Path) -> Path:
    """A one-record WARC holding the screenshot as `urn:fullPage:<url>`."""
    with out.open("wb") as fh, png.open("rb") as payload:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        record = writer.create_warc_record(
            f"urn:fullPage:{url}",
            "resource",
            payload=payload,
            length=png.stat().st_size,
            warc_content_type="image/png",
            warc_headers_dict={"WARC-Date": ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        writer.write_record(record)
    return out


def _missing_pages(wacz: Path) -> list[str]:
    """Pages listed in pages.jsonl that have no capture in the index."""
    with zipfile.ZipFile(wacz) as archive:
        names = set(archive.namelist())
        if "pages/pages.jsonl" not in names or "indexes/index.cdx.gz" not in names:
            return ["no pages/pages.jsonl or indexes/index.cdx.gz"]
        listed = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]
        index = gzip.decompress(archive.read("indexes/index.cdx.gz")).decode("utf-8")
    captured = {json.loads(line.split(" ", 2)[2]).get("url") for line in index.splitlines() if line}
    return [
        f"page {page['url']} is listed but not in the index"
        for page in listed[1:]
        if page.get("url") not in captured
    ]


def _run_wacz(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """Run py-wacz's command line in this process; what it printed and its exit code."""
    from wacz.main import main

    out, err = io.StringIO(), io.StringIO()
    with _WACZ_LOCK, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(arguments)
        except SystemExit as exc:  # argparse refusing its arguments
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception:  # it crashed reading a file: its traceback is its answer
            traceback.print_exc(file=err)
            code = 1
    return subprocess.CompletedProcess(["wacz", *arguments], code or 0, out.getvalue(),
                                       err.getvalue())  # fmt: skip


def _last_lines(result: subprocess.CompletedProcess[str], count: int = 3) -> str:
    """The last lines py-wacz printed, on one line."""
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or f"exit code {result.returncode}"
