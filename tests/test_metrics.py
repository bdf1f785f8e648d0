"""The daemon's metrics endpoint, scraped over HTTP after a run and parsed as Prometheus text."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from conftest import PAGE_ID, TOKEN
from prometheus_client.parser import text_string_to_metric_families

from connectors.facebook.emulator import TokenInfo
from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(url: str) -> str | None:
    try:
        response = requests.get(url, timeout=5)
    except requests.ConnectionError:
        return None
    return response.text if response.status_code == 200 else None


def wait_until(condition, what: str, proc: subprocess.Popen[str], timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"somed run exited with {proc.returncode} while waiting for {what}")
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_metrics_after_a_run_name_each_account_with_its_counts_and_token_expiry(fb_setup):
    port = free_port()
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    setup = fb_setup(
        tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,), expires_at=expires)},
        extra=f'[metrics]\nlisten = "127.0.0.1:{port}"\n[daemon]\njitter_seconds = 0',
    )
    setup.emulator.fail_next(1, "server_error")  # one retry, counted
    proc = subprocess.Popen(
        [sys.executable, "-m", "somed", "run"], env=setup.env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    labels = (("account", "test-fb"), ("platform", "facebook"))

    def ready() -> dict | None:
        text = scrape(url)
        found = samples(text) if text else {}
        done = ("somed_runs_total", (*labels, ("status", "ok"))) in found
        checked = ("somed_token_check_timestamp_seconds", labels) in found
        return found if done and checked else None

    try:
        found = wait_until(ready, "a finished run and a token check in the metrics", proc)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert proc.returncode == 0, output
    assert TOKEN not in output

    with connect(setup.config.db_path) as db:
        total = db.execute("SELECT count(*) FROM items WHERE account = 'test-fb'").fetchone()[0]
        requests_made, retries = db.execute(
            "SELECT sum(requests), sum(retries) FROM runs WHERE account = 'test-fb'"
        ).fetchone()
        last_ok = db.execute("SELECT last_ok_at FROM account_health").fetchone()[0]
    assert found[("somed_archive_up", ())] == 1
    assert found[("somed_runs_total", (*labels, ("status", "ok")))] == 1
    assert found[("somed_requests_total", labels)] == requests_made > 0
    assert found[("somed_retries_total", labels)] == retries == 1
    kinds = {dict(k[1])["kind"]: v for k, v in found.items() if k[0] == "somed_items"}
    assert sum(kinds.values()) == total and kinds["post"] == 30
    assert found[("somed_quarantined_items", labels)] == 0
    assert found[("somed_media_missing", labels)] == 0
    assert found[("somed_account_state", (*labels, ("state", "ok")))] == 1
    assert found[("somed_account_state", (*labels, ("state", "failing")))] == 0
    ok_at = datetime.strptime(last_ok, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert found[("somed_last_success_timestamp_seconds", labels)] == ok_at.timestamp()
    token_expiry = (
        "somed_token_expiry_timestamp_seconds",
        tuple(sorted((*labels, ("kind", "token")))),
    )
    assert found[token_expiry] == expires.timestamp()


def test_the_daemons_token_check_stores_failures_and_never_raises(fb_setup, tmp_path, caplog):
    from somed.daemon import Daemon, prepare_archive
    from storage.token_checks import latest_checks

    setup = fb_setup()
    prepare_archive(setup.config)
    setup.emulator.stop()  # the platform cannot be reached: a failed check, stored
    daemon = Daemon(setup.config)
    daemon._check_tokens()
    with connect(setup.config.db_path) as db:
        check = latest_checks(db)["test-fb"]
    assert check["status"] == "failed" and "network problem" in check["message"]
    assert TOKEN not in check["message"]

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    broken = setup.config.model_copy(
        update={"storage": setup.config.storage.model_copy(update={"dir": blocker / "archive"})}
    )
    daemon.config = broken
    daemon._check_tokens()  # the archive cannot even open: logged in one line, not raised
    assert any("token check could not run" in r.getMessage() for r in caplog.records)
