"""YouTube under stress: throttling and server errors, a refused key, the daily quota used up."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

from youtube_support import expected_ids, small_channel, yt_setup

from connectors.emulation import FaultPlan
from connectors.model import parse_utc
from connectors.youtube.emulator import KEY
from connectors.youtube.quota import quota_reset

__all__ = ["yt_setup"]


def test_twenty_percent_throttling_and_server_errors_still_end_complete(yt_setup):
    channel = small_channel(60)
    setup = yt_setup([channel])
    setup.emulator.set_faults(FaultPlan(rate=0.2, kinds=("throttle", "server_error"), seed=6))
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    assert outcome.retries >= 5  # the faults were met (and waited out)
    assert setup.emulator.request_log.matching(r"/youtube/v3/", fault=True)
    assert expected_ids(channel) <= set(setup.items())


def test_a_refused_key_is_auth_failed_with_a_clear_message(yt_setup, tmp_path):
    setup = yt_setup([small_channel(3)], key="AIza-not-this-one-7741")
    outcome = setup.archive()
    assert outcome.status == "auth_failed"
    assert outcome.reason == "auth.key_invalid"
    assert "API key" in (outcome.message or "")
    assert "AIza-not-this-one-7741" not in (outcome.message or "")
    status = subprocess.run([sys.executable, "-m", "somed", "status"], env=setup.env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "does not accept the API key" in status.stdout, status.stdout
    assert "AIza-not-this-one-7741" not in status.stdout + status.stderr
    data = b"".join(p.read_bytes() for p in (tmp_path / "archive").rglob("*") if p.is_file())
    assert b"AIza-not-this-one-7741" not in data


def test_the_key_never_reaches_the_archive(yt_setup, tmp_path):
    setup = yt_setup([small_channel(5)])
    assert setup.archive().status == "ok"
    data = b"".join(p.read_bytes() for p in (tmp_path / "archive").rglob("*") if p.is_file())
    assert KEY.encode() not in data


def test_quota_exhaustion_ends_rate_limited_and_the_next_run_continues(yt_setup):
    channel = small_channel(60)
    setup = yt_setup([channel], account="refetch_window_days = 0", daily_units=40)
    before = datetime.now(quota_reset(datetime.now().astimezone()).tzinfo)
    first = setup.archive()
    assert first.status == "rate_limited", first.message
    assert first.reason_params["cause"] == "youtube.quota_exceeded"
    reset_at = parse_utc(first.reason_params["cause_params"]["reset_at"])
    assert reset_at == quota_reset(before)  # midnight Pacific
    assert "midnight Pacific" in (first.message or "")
    run = setup.runs()[0]
    assert run["status"] == "rate_limited"
    assert run["cost_units"] == setup.emulator.units_spent() == 40
    stored = set(setup.items())
    assert len(stored) > 10
    # midnight Pacific: the quota is back; the next run goes on where the first stopped
    setup.emulator.quota.reset()
    setup.emulator.quota.limit = 10_000
    setup.emulator.reset_log()
    second = setup.archive()
    assert second.status == "ok", second.message
    assert expected_ids(channel) <= set(setup.items())
    threads_read = {r.query["videoId"] for r in setup.emulator.request_log.matching(
        r"/commentThreads$")}  # fmt: skip
    already = {i for i in stored if i in {v.id for v in channel.videos}}
    assert channel.videos[0].id not in threads_read, "the walk resumed, not restarted"
    assert len(threads_read & already) <= 10  # at most one batch of videos read again
    status = subprocess.run([sys.executable, "-m", "somed", "status"], env=setup.env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert f"{setup.runs()[0]['cost_units']} quota units" in status.stdout, status.stdout
