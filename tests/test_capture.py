"""Snapshots with real Chromium: whole tall pages, no cookie dialog, walls kept as evidence.

One batch (one browser) captures every page of the loopback test site (`capture_pages.py`);
the tests read its results, the `captures` rows, the manifests and the pictures by pixel.
The Facebook connector's capture hints are set to the test site's (its walls and dialogs),
and the accounts' public URLs are www.facebook.com ones, sent to the site by the endpoint.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pyvips

from connectors.capture_hints import CaptureHints
from somed.capture import CaptureRequest, CaptureResult, capture_accounts
from somed.config import Config, load_config
from storage.captures import captures_of
from storage.db import connect
from storage.media import MediaStore
from tests.capture_pages import (
    BAND_PX,
    CONSENT_RGB,
    END_RGB,
    POST_TEXT,
    band_rgb,
    serve_pages,
)

pytestmark = [
    pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="no Chromium"),
    pytest.mark.xdist_group("capture-batch"),  # one worker shoots the module's batch once
]

FB = "https://www.facebook.com"
ACCOUNTS = {
    "tall": f"{FB}/tall?bands=31&images=1",
    "walled": f"{FB}/login",
    "pane": f"{FB}/pane?bands=31",
    "stale": f"{FB}/tall?bands=8&consent=0",
    "late": f"{FB}/tall?bands=20&consent=late&delay_ms=200",  # a dialog opens after load
    "slow": f"{FB}/tall?bands=17&consent=0&delay_ms=300&slow_ms=900",
    "polling": f"{FB}/tall?bands=8&consent=0&polling=1",  # one request that never ends
}
TEST_SITE_HINTS = CaptureHints(
    public_hosts=("www.facebook.com", "facebook.com"),
    consent_selectors=("#decline",),
    login_wall_selectors=("#login-wall",),
)


@dataclass
class Batch:
    config: Config
    site: str
    results: dict[str, CaptureResult]
    rows: dict[str, dict[str, object]]


def write_site_config(
    folder: Path, site: str, accounts: dict[str, str], browser: str = ""
) -> Config:
    lines = ["[storage]", f'dir = "{folder / "archive"}"', "[browser]", browser,
             "[platforms.facebook]", f'endpoint = "{site}"']  # fmt: skip
    for key, url in accounts.items():
        lines += ["[[accounts]]", f'key = "{key}"', 'platform = "facebook"', f'id = "{key}"',
                  f'url = "{url}"', 'token_env = "SOMED_TEST_UNUSED"']  # fmt: skip
    path = folder / "somed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


def archive_post(config: Config, account: str, text: str) -> None:
    """An own post of the account in the archive: what the page is expected to show."""
    db = connect(config.db_path)
    with db.conn:
        db.execute(
            "INSERT INTO items (platform, id, account, kind, direction, text, created_at,"
            " first_seen_at, last_seen_at, sha256) VALUES ('facebook', ?, ?, 'post', 'own', ?,"
            " '2026-11-30T10:00:00Z', '2026-11-30T10:05:00Z', '2026-11-30T10:05:00Z', 'x')",
            [f"{account}_1", account, text],
        )
    db.close()


@pytest.fixture(scope="module")
def hinted() -> Iterator[None]:
    from connectors.facebook.connector import FacebookConnector

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FacebookConnector, "capture_hints", TEST_SITE_HINTS)
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, hinted: None) -> Iterator[Batch]:
    folder = tmp_path_factory.mktemp("capture")
    with serve_pages() as site:
        config = write_site_config(folder, site.url, ACCOUNTS)
        archive_post(config, "tall", POST_TEXT + " Läs mer på kommunens webbplats.")
        archive_post(config, "stale", "Ett inlägg som sidan inte visar")
        requests = [CaptureRequest(key, trigger="scheduled") for key in ACCOUNTS]
        results = capture_accounts(config, requests)
        db = connect(config.db_path)
        rows = {row["account"]: row for row in captures_of(db)}
        db.close()
        yield Batch(config, site.url, {r.account: r for r in results}, rows)


def picture(batch: Batch, account: str) -> pyvips.Image:
    row = batch.rows[account]
    files = {f["role"]: f for f in batch.results[account].manifest["files"]}
    assert files["png"]["sha256"] == row["png_sha256"]
    return pyvips.Image.new_from_file(str(batch.config.storage_dir / files["png"]["path"]))


def rgb(image: pyvips.Image, y: int) -> tuple[int, ...]:
    return tuple(int(v) for v in image.getpoint(image.width // 2, y)[:3])


def test_a_page_of_31000_px_is_captured_whole_to_its_real_bottom(batch: Batch) -> None:
    result, row = batch.results["tall"], batch.rows["tall"]
    assert (result.verdict, result.reason) == ("valid", None)
    image = picture(batch, "tall")
    assert image.height == row["page_height"] >= 31 * BAND_PX
    assert row["tiles"] == 2  # Chromium's 16,384 px: two tiles, stitched
    top = image.height - 31 * BAND_PX  # the post text above the bands
    assert rgb(image, image.height - 3) == END_RGB  # the marked last post is the last row
    for band in (0, 15, 16, 17, 29):  # every band in its place: nothing repeated past a tile
        assert rgb(image, top + band * BAND_PX + BAND_PX // 2) == band_rgb(band)


def test_the_cookie_dialog_is_dismissed_and_not_in_the_picture(batch: Batch) -> None:
    image = picture(batch, "tall")
    dialog = (image[0:3] == list(CONSENT_RGB)).bandand()
    assert dialog.max() == 0  # not one pixel of the dialog's colour
    assert batch.results["tall"].manifest["consent_dismissed"] == ["#decline"]


def test_a_dialog_that_opens_late_is_closed_and_the_page_then_loaded_to_its_end(
    batch: Batch,
) -> None:
    result = batch.results["late"]
    assert (result.verdict, result.manifest["consent_dismissed"]) == ("valid", ["#decline"])
    image = picture(batch, "late")
    assert (image[0:3] == list(CONSENT_RGB)).bandand().max() == 0
    assert image.height >= 20 * BAND_PX and rgb(image, image.height - 3) == END_RGB


def test_a_slow_server_and_a_hesitant_loader_still_give_the_whole_page(batch: Batch) -> None:
    result = batch.results["slow"]  # each band fetched 0.3 s after asked, answered 0.9 s later
    assert result.verdict == "valid"
    image = picture(batch, "slow")
    assert image.height >= 17 * BAND_PX and rgb(image, image.height - 3) == END_RGB
    top = image.height - 17 * BAND_PX
    assert rgb(image, top + 15 * BAND_PX + BAND_PX // 2) == band_rgb(15)


def test_a_request_that_never_ends_does_not_hold_the_scroll_to_its_time_limit(
    batch: Batch,
) -> None:
    result = batch.results["polling"]
    assert result.verdict == "valid" and result.manifest["loading"]["scroll_timed_out"] is False
    image = picture(batch, "polling")
    assert image.height >= 8 * BAND_PX and rgb(image, image.height - 3) == END_RGB


def test_the_browser_goes_where_the_api_goes(batch: Batch) -> None:
    row = batch.rows["tall"]
    assert row["url_asked"] == f"{FB}/tall?bands=31&images=1"
    assert row["url_fetched"] == row["final_url"] == f"{batch.site}/tall?bands=31&images=1"


def test_a_login_wall_gives_invalid_and_is_kept_as_evidence(batch: Batch) -> None:
    result, row = batch.results["walled"], batch.rows["walled"]
    assert (result.verdict, result.reason) == ("invalid", "capture.login_wall")
    assert result.params["selector"] == "#login-wall"
    assert row["verdict"] == "invalid" and row["png_sha256"] and row["manifest_sha256"]
    assert picture(batch, "walled").height >= 900


def test_a_page_scrolling_in_a_pane_is_captured_whole(batch: Batch) -> None:
    result = batch.results["pane"]
    assert result.verdict == "valid" and result.manifest["loading"]["scroll_container"]
    image = picture(batch, "pane")
    assert image.height >= 31 * BAND_PX
    assert rgb(image, image.height - 3) == END_RGB
    assert rgb(image, image.height - 3 * BAND_PX // 2) == band_rgb(29)


def test_a_page_without_the_newest_archived_post_is_invalid(batch: Batch) -> None:
    result = batch.results["stale"]
    assert (result.verdict, result.reason) == ("invalid", "capture.no_expected_text")
    assert result.params == {"text": "Ett inlägg som sidan inte visar"}
    assert batch.results["tall"].manifest["expected_text"].startswith("Välkommen till Mora")


def test_the_row_and_manifest_hold_what_a_capture_must_prove(batch: Batch) -> None:
    row, result = batch.rows["tall"], batch.results["tall"]
    store = MediaStore(batch.config.storage_dir)
    manifest_entry = result.manifest["manifest_sha256"]
    assert manifest_entry == row["manifest_sha256"]
    stored = next((batch.config.storage_dir / "media").rglob(f"{manifest_entry}.json"))
    manifest = json.loads(stored.read_text(encoding="utf-8"))
    for key in ("url_asked", "url_fetched", "final_url", "started_at", "finished_at",
                "page_height", "tiles", "identity", "consent_dismissed", "verdict"):  # fmt: skip
        assert manifest[key] is not None, key
    assert manifest["viewport"] == {"width": 1280, "height": 900} and row["viewport"] == "1280x900"
    assert manifest["browser"]["version"] == row["browser_version"] and row["browser_version"]
    assert manifest["identity"] == row["identity"] == "anonymous"
    assert (row["trigger"], row["kind"], row["platform"]) == ("scheduled", "account", "facebook")
    for entry in manifest["files"]:
        assert store.verify(entry["path"], entry["sha256"]), entry["role"]
    assert not any((batch.config.storage_dir / ".capture-tmp").iterdir())  # scratch cleaned


def live_processes() -> list[tuple[str, int, str]]:
    """(name, process group, command line) of every live (not zombie) process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name, rest = (
            stat[stat.index("(") + 1 : stat.rindex(")")],
            stat[stat.rindex(")") + 2 :].split(),
        )
        if rest[0] != "Z":
            found.append((name, int(rest[2]), cmdline))
    return found


def test_a_hung_page_is_killed_with_its_browser_and_the_batch_goes_on(
    tmp_path: Path, hinted: None
) -> None:
    with serve_pages() as site:
        accounts = {"hung": f"{FB}/hang", "after": f"{FB}/tall?bands=3&consent=0"}
        config = write_site_config(tmp_path, site.url, accounts, "page_timeout_seconds = 15")
        results = capture_accounts(config, [CaptureRequest("hung"), CaptureRequest("after")])
    hung, after = results
    assert (hung.verdict, hung.reason, hung.params) == (
        "failed",
        "capture.timeout",
        {"seconds": 15},
    )
    assert after.verdict == "valid"  # a new browser for the rest of the batch
    left = survivors(lambda: [cmd for _, _, cmd in live_processes() if str(tmp_path) in cmd])
    assert left == []  # no worker, no Chromium (its profile is in the folder) left behind


def group_members(pgid: int) -> list[str]:
    """Names of the live processes of process group `pgid`."""
    return [name for name, group, _ in live_processes() if group == pgid]


def survivors(alive: Callable[[], list[str]], grace: float = 10.0) -> list[str]:
    """What `alive()` still finds once killed processes had `grace` seconds to finish dying."""
    deadline = time.monotonic() + grace
    while (found := alive()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_the_whole_process_group_of_a_timed_out_worker_is_killed(tmp_path: Path) -> None:
    from somed.capture.client import CaptureWorker, WorkerError

    with serve_pages() as site:
        worker = CaptureWorker(tmp_path, "/usr/bin/chromium")
        worker.start()
        assert worker.pid is not None
        members = group_members(worker.pid)
        assert any("chrom" in name for name in members), members  # the browser is in the group
        job = {"url": f"{site.url}/hang", "folder": str(tmp_path), "hints": {}, "viewport": [800, 600],
               "max_tiles": 1, "scroll_seconds": 5}  # fmt: skip
        with pytest.raises(WorkerError) as failure:
            worker.run(job, timeout=3)
    assert failure.value.reason == "capture.timeout"
    assert survivors(lambda: group_members(worker.pid)) == []


def test_the_capture_is_also_a_pdfa_and_a_wacz_of_the_session(batch: Batch) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from somed.capture import pdfa, wacz

    row, manifest = batch.rows["tall"], batch.results["tall"].manifest
    files = {f["role"]: batch.config.storage_dir / f["path"] for f in manifest["files"]}
    assert set(files) == {"png", "pdf", "wacz"} and manifest["format_problems"] == {}
    assert row["pdf_sha256"] and row["wacz_sha256"]
    assert pdfa.pdfa_problems(files["pdf"]) == []
    assert wacz.wacz_problems(files["wacz"]) == []
    urls = set()
    with zipfile.ZipFile(files["wacz"]) as package:
        for name in package.namelist():
            if name.startswith("archive/") and name.endswith(".warc.gz"):
                with package.open(name) as stream:
                    urls |= {r.rec_headers.get_header("WARC-Target-URI")
                             for r in ArchiveIterator(stream) if r.rec_type == "response"}  # fmt: skip
    assert row["url_fetched"] in urls  # the page's HTML
    assert any("/more?" in url for url in urls)  # what scrolling loaded
    assert any("/img/30.png" in url for url in urls)  # the last band's photo


def test_the_quiet_that_ends_the_scroll_follows_the_page_s_own_delays() -> None:
    from somed.capture.scroll import MAX_QUIET_S, MIN_QUIET_S, _EndWatch

    watch = _EndWatch(1000)
    assert watch.quiet() == MIN_QUIET_S  # nothing learnt yet: Playwright's network idle
    assert not watch.saw(1000, now=10.0)  # stuck at the end since 10.0
    assert watch.saw(4000, now=10.6)  # grew 0.6 s after: the page takes that long
    assert watch.stuck_at is None and watch.quiet() == pytest.approx(1.2)
    assert not watch.saw(4000, now=11.0) and watch.saw(5000, now=20.0)
    assert watch.quiet() == MAX_QUIET_S  # bounded


def test_tiles_that_cannot_be_stitched_leave_the_shot_failed(tmp_path: Path) -> None:
    from somed.capture.batch import _stitch_tiles

    tiles = [tmp_path / "tile-000.png", tmp_path / "tile-001.png"]
    for tile in tiles:
        tile.write_bytes(b"not a picture")
    result = {"verdict": "valid", "tile_files": [str(t) for t in tiles], "tiles": 2}
    _stitch_tiles(result, tmp_path)
    assert (result["verdict"], result["reason"]) == ("failed", "capture.browser_error")
    assert "png" not in result and "tile_files" not in result


def test_the_worker_starts_without_the_batch_s_configuration_and_storage() -> None:
    import subprocess
    import sys

    code = ("import sys, somed.capture.worker; "
            "print(sorted(m for m in ('somed.config', 'storage.db', 'somed.capture.batch', "
            "'pyvips') if m in sys.modules))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"  # half a second of imports the browser does not need
