"""`somed close`: a final archive pass and a valid capture (real Chromium against the emulator's
public page), then the account is closed; a failed step refuses and changes nothing."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from conftest import PAGE_ID, TOKEN_ENV, small_page

from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

ACCOUNT = {"key": "test-fb", "id": PAGE_ID, "token_env": TOKEN_ENV,
           "url": "https://www.facebook.com/testkommun"}  # fmt: skip


ORGANISATION = '[organisation]\nname = "Mora kommun"\nidentification_code = "212000-2080"\n'


def close_setup(fb_setup, extra: str = ORGANISATION):
    setup = fb_setup([small_page(posts=8)], accounts=[ACCOUNT], extra=extra)
    setup.emulator.public.configure(consent=False)
    return setup


def somed(setup, *args, **env):
    return subprocess.run([sys.executable, "-m", "somed", "--lang", "en", *args],
                          env={**setup.env, **env}, capture_output=True, text=True, cwd=ROOT,
                          timeout=300)  # fmt: skip


def register_state(setup) -> dict[str, object]:
    with closing(connect(setup.config.db_path)) as db:
        return {
            "status": db.execute("SELECT status FROM accounts WHERE key = 'test-fb'").fetchone()[0],
            "history": [tuple(r) for r in db.execute(
                "SELECT field, old_value, new_value, changed_by, source FROM account_history"
                " WHERE source = 'close'")],
            "audit": [dict(r) for r in db.query(
                "SELECT actor, action, reason, details FROM audit_log"
                " WHERE action LIKE 'account_close%'")],
            "captures": [dict(r) for r in db.query(
                "SELECT verdict, reason, trigger FROM captures ORDER BY id")],
            "runs": [tuple(r) for r in db.execute("SELECT trigger, status FROM runs")],
        }  # fmt: skip


def test_close_refuses_when_the_capture_is_not_valid_and_changes_nothing(fb_setup):
    setup = close_setup(fb_setup)
    setup.emulator.public.configure(public_mode="login_wall")
    result = somed(setup, "close", "--account", "test-fb", "--reason", "Verksamheten är nedlagd")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("somed: error: test-fb was not closed: the "
                                                    "snapshot failed"), result.stderr  # fmt: skip
    assert "nothing in the register of accounts changed" in lines[0]
    assert "Final archive run: done" in result.stdout and "Traceback" not in result.stderr
    state = register_state(setup)
    assert state["status"] == "active" and state["history"] == [] and state["audit"] == []
    # what the steps did is kept: the final run, and the invalid capture as evidence
    assert state["runs"] == [("close", "ok")]
    assert [(c["verdict"], c["reason"], c["trigger"]) for c in state["captures"]] == [
        ("invalid", "capture.login_wall", "close")
    ]
    listed = json.loads(somed(setup, "accounts", "--json").stdout)
    assert listed[0]["status"] == "active"


def test_close_archives_captures_and_closes_for_good(fb_setup):
    setup = close_setup(fb_setup)
    result = somed(setup, "close", "--account", "test-fb", "--reason", "Ersatt av ett nytt konto")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Snapshot: valid" in result.stdout and "test-fb is closed" in result.stdout
    (bundle_line,) = [line for line in result.stdout.splitlines() if "Registrar bundle: done" in line]
    bundle = Path(bundle_line.split("done: ", 1)[1].rsplit(" (", 1)[0])
    assert bundle.is_dir() and bundle.parent == setup.config.storage_dir / "bundles"
    verified = somed(setup, "verify", str(bundle))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    records = (bundle / "representations/rep1/data/records.jsonl").read_text(encoding="utf-8")
    assert records and records == somed(setup, "export", "--account", "test-fb").stdout
    state = register_state(setup)
    assert state["status"] == "closed"
    assert state["history"] == [("status", "active", "closed", getpass.getuser(), "close")]
    (audit,) = state["audit"]
    assert (audit["actor"], audit["action"], audit["reason"]) == (
        getpass.getuser(),
        "account_closed",
        "Ersatt av ett nytt konto",
    )
    assert json.loads(audit["details"])["forced"] == []
    assert [(c["verdict"], c["trigger"]) for c in state["captures"]] == [("valid", "close")]
    again = somed(setup, "close", "--account", "test-fb", "--reason", "igen")
    assert again.returncode == 1 and "already closed" in again.stderr
    archived = somed(setup, "archive", "--account", "test-fb")  # closed: kept, not added to
    assert archived.returncode == 1 and "The account is closed" in archived.stdout
    assert register_state(setup)["runs"] == [("close", "ok")]
    listed = json.loads(somed(setup, "accounts", "--json").stdout)
    assert listed[0]["status"] == "closed" and listed[0]["status_since"]


def test_close_is_refused_without_a_bundle_and_changes_nothing(fb_setup):
    setup = close_setup(fb_setup, extra="")  # no [organisation]: no bundle can be made
    result = somed(setup, "close", "--account", "test-fb", "--reason", "Nedlagt")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Snapshot: valid" in result.stdout and "Registrar bundle: failed" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert "the registrar bundle" in line and "organisation" in line
    assert register_state(setup)["status"] == "active"
    assert not (setup.config.storage_dir / "bundles").exists() or not [
        p for p in (setup.config.storage_dir / "bundles").iterdir() if not p.name.startswith(".")
    ]


def test_force_closes_past_a_failed_step_and_records_who_and_why(fb_setup):
    setup = close_setup(fb_setup)
    setup.emulator.public.configure(public_mode="login_wall")
    result = somed(setup, "close", "--account", "test-fb", "--reason", "Kontot är kapat",
                   "--force", SUDO_USER="anna")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "although the snapshot failed" in result.stdout
    state = register_state(setup)
    assert state["status"] == "closed"
    (audit,) = state["audit"]
    assert (audit["actor"], audit["action"], audit["reason"]) == (
        "anna",
        "account_close_forced",
        "Kontot är kapat",
    )
    details = json.loads(audit["details"])
    assert details["forced"] == ["capture"] and details["user"] == getpass.getuser()
    failed = [s for s in details["steps"] if not s["ok"]]
    assert [(s["name"], s["reason"]) for s in failed] == [("capture", "capture.login_wall")]


def test_close_needs_a_reason_and_a_known_account(fb_setup):
    setup = close_setup(fb_setup)
    blank = somed(setup, "close", "--account", "test-fb", "--reason", "  ")
    assert blank.returncode == 2 and "--reason" in blank.stderr
    unknown = somed(setup, "close", "--account", "nope", "--reason", "x")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    missing = somed(setup, "close", "--account", "test-fb")
    assert missing.returncode == 2 and "--reason" in missing.stderr
