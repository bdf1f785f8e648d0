"""Media downloaded in a child process: the same network rules, store and outcomes as in the
run's own process, nothing lost when either side dies, and no secret on its command line."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from connectors.model import MediaRef
from connectors.registry import connector_class
from somed.media_process import DownloadPlan, MediaProcess, Skipped
from somed.netsetup import download_plan, media_limits, sessions_for
from somed.runner import Runner
from storage.db import connect
from storage.media import MediaStore, StoredMedia
from tests.conftest import TOKEN, small_page

CDN = "https://scontent.xx.fbcdn.net/media"
ROOT = Path(__file__).resolve().parents[1]


WAITS = (0.0, 0.0)  # two retries, at once


def plan_for(setup) -> DownloadPlan:
    config = setup.config
    sessions = sessions_for(config, "test-fb", connector_class("facebook"))
    plan = download_plan(config, sessions, media_limits(config, "facebook"))
    assert plan is not None
    return plan


def photo(name: str, ext: str = "png", kind: str = "image") -> MediaRef:
    return MediaRef(f"fb:{name}", f"{CDN}/{name}.{ext}?oh=00_x&oe=FFFFFFFF", kind)


def test_the_child_stores_files_as_the_run_would_and_says_why_one_failed(fb_setup) -> None:
    setup = fb_setup()
    plan = plan_for(setup)
    process = MediaProcess(plan, WAITS)
    try:
        good = [process.submit(photo(f"p{n}")) for n in range(12)]
        wrong = process.submit(photo("clip", ext="mp4"))  # a video served where a photo is due
        outcomes = [future.result(timeout=60) for future in good]
        failed = wrong.result(timeout=60)
    finally:
        process.close()
    store = MediaStore(Path(plan.storage_dir))
    assert all(isinstance(o, StoredMedia) for o in outcomes)
    assert all(store.verify(o.path, o.sha256) for o in outcomes)  # type: ignore[union-attr]
    assert isinstance(failed, Skipped) and failed.retryable
    assert "expected image but got video/mp4" in failed.why
    served = [r for r in setup.emulator.request_log if r.path.startswith("/media/clip")]
    assert len(served) == 3  # every attempt, as in the run's own process


def test_a_closed_child_answers_every_download_it_was_given(fb_setup) -> None:
    process = MediaProcess(plan_for(fb_setup()), WAITS)
    futures = [process.submit(photo(f"q{n}")) for n in range(30)]
    process.close()  # at once: some may not have started
    outcomes = [future.result(timeout=60) for future in futures]
    assert all(isinstance(o, StoredMedia) or (isinstance(o, Skipped) and o.retryable)
               for o in outcomes)  # fmt: skip


def test_the_child_ends_when_its_run_is_killed_and_never_sees_the_token_on_its_command_line(
    fb_setup, tmp_path
) -> None:
    setup = fb_setup()
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from somed.config import load_config\n"
        "from tests.test_media_process import WAITS, photo, plan_for\n"
        "from somed.media_process import MediaProcess\n"
        "class S: pass\n"
        "setup = S(); setup.config = load_config(sys.argv[1])\n"
        "process = MediaProcess(plan_for(setup), WAITS)\n"
        "process.submit(photo('k1')).result(timeout=60)\n"
        "print(process._process.pid, flush=True)\n"
        "time.sleep(600)\n",
        encoding="utf-8",
    )
    parent = subprocess.Popen([sys.executable, str(script), str(setup.config_path)], cwd=ROOT,
                              env=setup.env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        command_line = Path(f"/proc/{child}/cmdline").read_bytes()
        assert TOKEN.encode() not in command_line
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 20
        while _alive(child):
            assert time.monotonic() < deadline, "the media process outlived its killed run"
            time.sleep(0.05)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def test_a_first_archive_with_many_photos_downloads_them_beside_the_walk(fb_setup, caplog) -> None:
    setup = fb_setup([small_page(posts=120, images_every=1)])
    with caplog.at_level(logging.INFO, logger="somed.media"):
        outcome = Runner(setup.config).run_account("test-fb")
    assert outcome.status == "ok"
    assert any(getattr(r, "event", None) == "media_process" for r in caplog.records)
    db = connect(setup.config.db_path)
    try:
        rows = db.execute("SELECT media_key, sha256 FROM item_media").fetchall()
        assert len(rows) > 100 and all(sha for _, sha in rows)
        store = MediaStore(setup.config.storage_dir)
        for path, sha in db.execute("SELECT path, sha256 FROM media").fetchall():
            assert store.verify(path, sha)
    finally:
        db.close()
    assert os.listdir(setup.config.storage_dir / "media" / ".partial") == []


def test_parallel_downloads_bounds_how_many_files_are_fetched_at_once(tmp_path) -> None:
    import threading

    from werkzeug.wrappers import Response

    from connectors.download import MediaLimits
    from connectors.emulation import png_image
    from connectors.http import NetPolicy
    from connectors.scrub import Scrubber
    from tests.hostile.server import HostileServer

    server = HostileServer()
    base = server.start()
    lock, now, most = threading.Lock(), [0], [0]

    def slow_photo(request, match):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.15)
        with lock:
            now[0] -= 1
        return Response(png_image(match.group(1)), content_type="image/png")

    server.route(r"/media/(\w+)\.png", slow_photo)
    try:
        for workers in (1, 3):
            most[0] = 0
            plan = DownloadPlan(NetPolicy(endpoint=base), Scrubber([]), str(tmp_path / f"w{workers}"),
                                MediaLimits(), workers)  # fmt: skip
            process = MediaProcess(plan, WAITS)
            try:
                futures = [process.submit(photo(f"w{workers}n{n}")) for n in range(6)]
                assert all(isinstance(f.result(timeout=60), StoredMedia) for f in futures)
            finally:
                process.close()
            assert most[0] == workers  # never more at once than configured, and that many
    finally:
        server.stop()
