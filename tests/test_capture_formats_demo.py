"""The formats of real captures of the demo pages: a PDF/A-2b whose pages all open, a WACZ
that `wacz validate` accepts, holding the page's HTML and images, and no stored login in it."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

from warcio.archiveiterator import ArchiveIterator

from somed.capture.pdfa import pdfa_problems
from somed.capture.wacz import wacz_problems
from tests.demo_support import DEMO_GROUP, DemoSnapshots

pytestmark = DEMO_GROUP


def test_demo_captures_come_with_a_pdfa_and_a_valid_wacz(demo_snapshots: DemoSnapshots) -> None:
    """Facebook's and X's (a stored login) snapshots of the shared demo batch."""
    config, demos = demo_snapshots.config, demo_snapshots.demos
    logged_in = [d for d in demos if d.browser_state is not None]  # X: a stored login
    wanted = {d.accounts[0]["key"] for d in demos if d.platform in ("facebook", "x")}
    results = [r for r in demo_snapshots.accounts if r.account in wanted]
    assert len(results) == len(wanted)
    secrets = [c["value"] for d in logged_in for c in d.browser_state.get("cookies", [])]
    assert secrets  # the X demo's session cookie, planted in the browser
    for result in results:
        assert result.verdict == "valid", (result.account, result.reason, result.params)
        files = {f["role"]: config.storage_dir / f["path"] for f in result.manifest["files"]}
        assert {"png", "pdf", "wacz"} <= set(files), result.manifest.get("format_problems")
        assert pdfa_problems(files["pdf"]) == []
        assert wacz_problems(files["wacz"]) == []
        page_url = result.manifest["final_url"]
        with zipfile.ZipFile(files["wacz"]) as archive:
            index = gzip.decompress(archive.read("indexes/index.cdx.gz")).decode()
            warcs = [archive.read(n) for n in archive.namelist() if n.endswith(".warc.gz")]
        entries = [json.loads(line.split(" ", 2)[2]) for line in index.splitlines()]
        html = [e for e in entries if e["url"] == page_url and e.get("mime") == "text/html"]
        images = [e for e in entries if e.get("mime", "").startswith("image/")]
        assert html and len(images) >= 3, (result.account, page_url)
        bodies = b""
        for data in warcs:
            for record in ArchiveIterator(io.BytesIO(data)):
                if record.http_headers is not None:
                    assert record.http_headers.get_header("Cookie") is None
                    assert record.http_headers.get_header("Set-Cookie") is None
                bodies += record.content_stream().read()
        for secret in secrets:
            assert secret.encode() not in gzip.decompress(b"".join(warcs)) + bodies
