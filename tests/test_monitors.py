"""Monitors on a real archive made by real runs against the emulator, with an injected clock.

The runner's clock says when a read happened (the evidence); the monitors' `now` says when
they looked. Inactivity is judged from the last own post as of the last successful read of
the posts stream; failing runs flag `unhealthy` and never `inactive`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from conftest import NOW, PAGE_ID, TOKEN, TOKEN_ENV, small_page

from connectors.facebook.emulator import TokenInfo, generate_page
from somed.config import load_config
from somed.daemon import prepare_archive
from somed.monitors import run_monitors
from somed.runner import Runner
from storage.db import connect
from storage.flags import flag_history, open_flag, open_flags, resolve_flag

ROOT = Path(__file__).resolve().parent.parent
MONTH = timedelta(days=30)


def old_page(posts: int, newest):
    """The test page with its newest own post at `newest`, one every 12 hours before it."""
    return generate_page(PAGE_ID, "Testkommun", "testkommun", posts=posts, newest=newest,
                         comments_per_post=1, spacing=timedelta(hours=12))  # fmt: skip


def archive_at(config, moment):
    """One real run of every account, its records stamped as read at `moment`."""
    prepare_archive(config)
    return Runner(config, clock=lambda: moment).run_accounts([a.key for a in config.accounts])


def monitors_at(config, moment):
    with closing(connect(config.db_path)) as db:
        return run_monitors(db, config, moment), {
            (f["account"], f["flag"]): f for f in open_flags(db)
        }


def somed(setup, *args):
    return subprocess.run([sys.executable, "-m", "somed", *args], env=setup.env,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip


def test_inactive_follows_the_last_own_post_as_of_the_last_successful_read(fb_setup):
    # the newest own post is five months old when the account is first read
    setup = fb_setup([old_page(6, NOW - 5 * MONTH)])
    config = setup.config
    assert archive_at(config, NOW)[0].status == "ok"
    report, found = monitors_at(config, NOW)
    assert ("test-fb", "inactive") not in found and report.checked == 1

    # two months later the newest own post is seven months old: inactive (default 6 months);
    # a visitor's recent post on the page is not the account's own and changes nothing
    setup.emulator.add_visitor_post(PAGE_ID, ("900", "Eva Olsson"), "Hej, när öppnar badhuset?")
    later = NOW + 2 * MONTH
    assert archive_at(config, later)[0].status == "ok"
    report, found = monitors_at(config, later + timedelta(hours=1))
    flag = found[("test-fb", "inactive")]
    assert ("test-fb", "inactive") in report.opened  # (and snapshot_missing: no capture taken)
    assert flag["reason"] == "monitor.inactive" and flag["params"]["months"] == 6
    assert flag["created_at"] == (later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # looking again opens nothing new: the flag keeps the moment it was opened
    report, again = monitors_at(config, later + timedelta(days=3))
    assert report.opened == [] and again[("test-fb", "inactive")]["id"] == flag["id"]
    assert again[("test-fb", "inactive")]["created_at"] == flag["created_at"]

    # an account-level limit of 12 months: no longer inactive, the flag is resolved
    relaxed = load_config(write_limit(setup.config_path, 12))
    report, found = monitors_at(relaxed, later + timedelta(days=4))
    assert report.resolved == [("test-fb", "inactive")] and ("test-fb", "inactive") not in found

    # back to 6 months, then the account posts again: the new flag is resolved by a new post
    monitors_at(config, later + timedelta(days=5))
    setup.emulator.add_post(PAGE_ID, "Nu har badhuset öppnat igen!")
    assert archive_at(config, later + timedelta(days=6))[0].status == "ok"
    report, found = monitors_at(config, later + timedelta(days=6))
    assert report.resolved == [("test-fb", "inactive")] and ("test-fb", "inactive") not in found
    with closing(connect(config.db_path)) as db:
        history = [(f["flag"], f["created_at"] is not None, f["resolved_at"] is not None)
                   for f in flag_history(db, "test-fb") if f["flag"] == "inactive"]  # fmt: skip
    assert history == [("inactive", True, True), ("inactive", True, True)]


def write_limit(path: Path, months: int) -> Path:
    text = path.read_text(encoding="utf-8") + f"inactive_months = {months}\n"
    relaxed = path.with_name("relaxed.toml")
    relaxed.write_text(text, encoding="utf-8")
    return relaxed


def test_failing_runs_flag_unhealthy_never_inactive(fb_setup):
    # a year-old account whose very first runs fail: no evidence of inactivity at all
    setup = fb_setup([old_page(4, NOW - 12 * MONTH)])
    config = setup.config
    setup.emulator.expire_token(TOKEN)
    assert archive_at(config, NOW)[0].status == "auth_failed"
    report, found = monitors_at(config, NOW)
    assert set(found) == {("test-fb", "unhealthy")}
    assert found[("test-fb", "unhealthy")]["reason"] == "monitor.unhealthy"
    assert ("test-fb", "inactive") not in {(a, f) for a, f in report.opened}

    # the token works again: the read succeeds, unhealthy is resolved and inactive decided
    fresh = "EMU-tok-fresh-5d1e"
    setup.emulator.add_token(fresh, TokenInfo(page_ids=(PAGE_ID,)))
    env = {**setup.env, TOKEN_ENV: fresh}
    config = load_config(setup.config_path, env)
    assert archive_at(config, NOW + timedelta(days=1))[0].status == "ok"
    report, found = monitors_at(config, NOW + timedelta(days=1))
    assert report.resolved == [("test-fb", "unhealthy")]
    assert found[("test-fb", "inactive")]["reason"] == "monitor.inactive"

    # failing again later: unhealthy again, and the inactive flag stays as the evidence left it
    setup.emulator.expire_token(fresh)
    assert archive_at(config, NOW + timedelta(days=2))[0].status == "auth_failed"
    before = found[("test-fb", "inactive")]
    report, found = monitors_at(config, NOW + timedelta(days=2))
    assert report.opened == [("test-fb", "unhealthy")] and report.resolved == []
    assert found[("test-fb", "inactive")]["id"] == before["id"]


def test_sender_text_missing_on_the_profile_is_flagged_and_shown(fb_setup):
    # the emulator's profile: "Välkommen till Testkommuns officiella sida." and www.testkommun.se
    extra = '[monitors]\nsender_text = "En verksamhet inom Testkommun"\n' \
            'sender_link = "https://testkommun.se/"'  # fmt: skip
    # (no comments, no messages: no questions from the public, no `unanswered` flags beside it)
    setup = fb_setup([small_page(posts=3, comments_per_post=0, conversations=0)], extra=extra)
    config = setup.config
    assert archive_at(config, NOW)[0].status == "ok"
    report, found = monitors_at(config, NOW)
    flag = found[("test-fb", "sender_missing")]
    assert flag["reason"] == "monitor.sender_text_missing"  # the link is there (www., no slash)
    assert flag["params"]["missing"] == ["text"]

    listed = somed(setup, "flags", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [r for r in json.loads(listed.stdout) if not r["in_queue"]]  # not the messages
    assert [(r["account"], r["flag"]) for r in rows] == [("test-fb", "sender_missing")]
    assert "En verksamhet inom Testkommun" in rows[0]["text"]
    swedish = somed(setup, "--lang", "sv", "flags")
    assert "avsändare saknas" in swedish.stdout and "1 öppen flagga." in swedish.stdout

    # status: the flag is shown and warned about; it is not a problem of the service (exit 0)
    status = somed(setup, "status", "--json")
    row = json.loads(status.stdout)[0]
    assert [f["flag"] for f in row["flags"]] == ["sender_missing"]
    assert "sender_missing" in row["warnings"] and status.returncode == 0, status.stdout
    text = somed(setup, "status")
    assert "Flag sender missing: the profile lacks the sender text" in text.stdout

    # the account says its own sender text, which its profile shows: resolved
    own = setup.config_path.read_text(encoding="utf-8") + 'sender_text = "officiella  SIDA"\n'
    setup.config_path.write_text(own, encoding="utf-8")
    report, found = monitors_at(load_config(setup.config_path), NOW + timedelta(hours=1))
    assert report.resolved == [("test-fb", "sender_missing")] and not found


def test_flags_open_and_resolve_idempotently(tmp_path):
    with closing(connect(tmp_path / "somed.db")) as db:
        first = open_flag(db, "a", "inactive", reason="monitor.inactive", params={"n": 1}, now=NOW)
        again = open_flag(db, "a", "inactive", reason="monitor.inactive", params={"n": 2},
                          now=NOW + timedelta(days=1))  # fmt: skip
        other = open_flag(db, "a", "inactive", reason="x.y", item=("facebook", "1"), now=NOW)
        assert first == again != other
        flags = open_flags(db, "a")
        assert len(flags) == 2 and flags[0]["params"] == {"n": 2}
        assert flags[0]["created_at"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert resolve_flag(db, "a", "inactive", now=NOW + timedelta(days=2)) == 1
        assert resolve_flag(db, "a", "inactive", now=NOW + timedelta(days=3)) == 0
        assert [f["item_id"] for f in open_flags(db)] == ["1"]
        reopened = open_flag(db, "a", "inactive", reason="monitor.inactive", now=NOW)
        assert reopened not in (first, other) and len(flag_history(db, "a")) == 3


def capture_row(account: str, started, verdict: str) -> dict[str, object]:
    at = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"account": account, "platform": "facebook", "kind": "account", "trigger": "scheduled",
            "started_at": at, "finished_at": at, "verdict": verdict,
            "reason": None if verdict == "valid" else "capture.login_wall"}  # fmt: skip


def test_snapshot_missing_after_the_grace_period_of_the_window(fb_setup):
    from datetime import UTC, datetime

    from somed.status import account_status, exit_code
    from storage.captures import record_capture

    setup = fb_setup([small_page(posts=3)])
    config = setup.config  # default windows from 1 March and 1 October, 30 days' grace
    assert archive_at(config, NOW)[0].status == "ok"
    window = datetime(2031, 3, 1, tzinfo=UTC)  # a window that opens long after the account came
    with closing(connect(config.db_path)) as db:
        record_capture(db, capture_row("test-fb", window + timedelta(days=2), "invalid"))
    report, found = monitors_at(config, window + timedelta(days=29))
    assert ("test-fb", "snapshot_missing") not in found  # still within the grace period
    # the grace ends 30 local days after the window opens: 31 March 00:00 Swedish summer time
    report, found = monitors_at(config, datetime(2031, 3, 31, 0, 0, tzinfo=UTC))
    flag = found[("test-fb", "snapshot_missing")]  # the invalid capture never counts
    assert flag["reason"] == "monitor.snapshot_missing"
    assert flag["params"] == {"window": "2031-03-01", "grace_days": 30}
    with closing(connect(config.db_path)) as db:
        rows = account_status(config, db)
    assert rows[0]["state"] == "snapshot_missing" and exit_code(rows) == 1  # a service problem

    with closing(connect(config.db_path)) as db:
        record_capture(db, capture_row("test-fb", window + timedelta(days=40), "valid"))
    report, found = monitors_at(config, window + timedelta(days=41))
    assert report.resolved == [("test-fb", "snapshot_missing")] and not found
    # the next window (from 1 October): nothing until its grace period is over
    october = datetime(2031, 10, 1, tzinfo=UTC)
    assert monitors_at(config, october + timedelta(days=10))[1] == {}
    assert ("test-fb", "snapshot_missing") in monitors_at(config, october + timedelta(days=31))[1]
