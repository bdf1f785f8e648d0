"""The YouTube account keys: video files (`download_video`, `video_url`) and `captions`."""

from __future__ import annotations

import os
import subprocess
import sys

from youtube_support import small_channel, write_config, yt_setup

from connectors.youtube.emulator import KEY

__all__ = ["yt_setup"]


def test_download_video_needs_a_video_url(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9", account="download_video = true")
    env = {**os.environ, "SOMED_CONFIG": str(path), "SOMED_LANG": "en"}
    result = subprocess.run([sys.executable, "-m", "somed", "status"], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "accounts[0]" in result.stderr and "video_url" in result.stderr
    assert "Traceback" not in result.stderr


def test_video_files_are_downloaded_when_asked(yt_setup):
    channel = small_channel(3)
    setup = yt_setup(
        [channel],
        account='download_video = true\nvideo_url = "https://media.example.se/files/{id}.mp4"',
    )
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    video = setup.items()[channel.videos[0].id]
    kinds = {m["mime_type"] for m in video["media"]}
    assert "video/mp4" in kinds and "image/jpeg" in kinds
    assert all(m["sha256"] for m in video["media"])


def test_videos_are_not_downloaded_by_default(yt_setup):
    channel = small_channel(3)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    assert not setup.emulator.request_log.matching(r"^/files/")


def test_captions_metadata_where_the_credential_may_read_it(yt_setup):
    channel = small_channel(4)
    setup = yt_setup([channel], account="captions = true", captions_keys=(KEY,))
    assert setup.archive().status == "ok"
    items = setup.items()
    with_track = next(v for v in channel.videos if v.captions)
    assert items[with_track.id]["versions"] == []
    db_extra = _extra(setup, with_track.id)
    assert db_extra["captions"][0]["language"] == "sv"
    assert setup.runs()[0]["cost_units"] >= 50  # captions.list costs 50 units


def test_captions_refused_to_an_api_key_cost_one_try(yt_setup):
    channel = small_channel(6)
    setup = yt_setup([channel], account="captions = true")
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    assert len(setup.emulator.request_log.matching(r"/captions$")) == 1


def _extra(setup, item_id):
    import json

    from storage.db import connect

    db = connect(setup.config.db_path)
    try:
        row = db.execute("SELECT extra FROM items WHERE id = ?", [item_id]).fetchone()
        return json.loads(row[0])
    finally:
        db.close()
