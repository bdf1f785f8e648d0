"""Instagram mode instaloader: throttling, login walls and checkpoints end runs clearly, and a
restarted daemon does not burst."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from instagram_loader_setup import KEY, archive, il_setup, items, write_session  # noqa: F401

from connectors.instagram.emulator.web_data import seeded
from somed.check import check_account

PAUSE = {"pause_after_429_seconds": 3600, "pause_after_wait_seconds": 3600}


def graphql_requests(setup) -> int:
    return sum(1 for r in setup.emulator.request_log if "graphql" in r.path)


def test_429_ends_the_run_rate_limited_and_a_restart_waits_too(il_setup):  # noqa: F811
    setup = il_setup(seeded(40), options=PAUSE)
    setup.emulator.fail_next(1, "throttle")
    first = archive(setup)
    assert first.status == "rate_limited", first.message
    assert first.reason_params.get("cause") == "instagram.too_many_requests"
    assert "429" in first.message
    before = len(setup.emulator.request_log)
    second = archive(setup)  # a new runner and connector, as after a restart
    assert second.status == "rate_limited"
    assert len(setup.emulator.request_log) == before  # not one request before the time is up


def test_401_please_wait_is_rate_limited_never_an_empty_success(il_setup):  # noqa: F811
    setup = il_setup(seeded(40), options=PAUSE)
    setup.emulator.fail_next(2, "please_wait")
    outcome = archive(setup)
    assert outcome.status == "rate_limited", outcome.message
    assert outcome.reason_params.get("cause") == "instagram.please_wait"
    assert not [i for i in items(setup).values() if i["kind"] == "post"]


def test_a_checkpoint_ends_the_run_auth_failed_with_what_to_do(il_setup):  # noqa: F811
    setup = il_setup(seeded(40))
    setup.emulator.router.override(
        r"/api/graphql/?",
        lambda request, match: setup.emulator.fault_response("checkpoint", {}, request),
        "POST",
    )
    outcome = archive(setup)
    assert outcome.status == "auth_failed"
    assert outcome.reason == "instagram.checkpoint_required"
    assert "checkpoint" in outcome.message and "session file" in outcome.message


def test_without_a_session_the_login_wall_after_the_first_page_is_a_clear_failure(il_setup):  # noqa: F811
    account = seeded(40)
    setup = il_setup(account, logged_in=False)
    outcome = archive(setup)
    assert outcome.status == "auth_failed"
    assert outcome.reason == "instagram.login_required"
    posts = [i for i in items(setup).values() if i["kind"] == "post"]
    assert len(posts) == 12  # the public first page is kept: nothing read is lost
    assert {str(p.pk) for p in account.timeline()[:12]} == {p["id"] for p in posts}


def test_an_expired_session_is_auth_failed_in_check_and_archive(il_setup, tmp_path):  # noqa: F811
    setup = il_setup(seeded(20))
    write_session(setup.session_file, sessionid="IGSCexpired00000000000000000000")
    outcome = archive(setup)
    assert outcome.status == "auth_failed"
    assert outcome.reason == "auth.session_expired"
    assert "IGSCexpired" not in (outcome.message or "")
    checked = check_account(setup.config, KEY, clock=lambda: datetime.now(UTC))
    assert checked.status == "auth_failed" and checked.reason == "auth.session_expired"


def test_the_cli_shows_one_clear_line_and_exit_code_1(il_setup):  # noqa: F811
    setup = il_setup(seeded(20))
    setup.emulator.router.override(
        r"/api/graphql/?",
        lambda request, match: setup.emulator.fault_response("checkpoint", {}, request),
        "POST",
    )
    done = subprocess.run(
        [sys.executable, "-m", "somed", "archive", "--account", KEY],
        env={**setup.env, "SOMED_LANG": "sv"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "checkpoint" in done.stdout + done.stderr
    assert "förnya sessionsfilen" in done.stdout + done.stderr


def test_pacing_survives_a_restart_so_a_restarted_daemon_does_not_burst(il_setup):  # noqa: F811
    # a tenth of instaloader's windows: 27 GraphQL queries in 10 minutes
    setup = il_setup(seeded(60), options={"pace_factor": 0.1}, runner="max_wait_seconds = 1")
    first = archive(setup)
    assert first.status == "rate_limited", first.message
    assert first.reason_params.get("cause") == "instagram.pace"
    made = graphql_requests(setup)
    assert made <= 27
    stored = len(items(setup))
    assert stored > 10  # what was read before the pause is kept
    second = archive(setup)  # a restart: new process state, same archive folder
    assert second.status == "rate_limited"
    # no new burst: only a query type whose window still has room may go (the timeline)
    assert graphql_requests(setup) - made <= 1
    assert (setup.config.storage_dir / "state" / KEY / "instaloader-pace.json").exists()
