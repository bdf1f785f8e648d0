"""`somed check` against the emulator: identity, denied Messenger, expiry dates, stored for status."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import PAGE_ID, TOKEN

from connectors.facebook.emulator import TokenInfo
from connectors.facebook.emulator.data import ALL_PERMISSIONS
from somed.display import local_time

ROOT = Path(__file__).resolve().parent.parent


def somed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)  # fmt: skip


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_check_names_identity_denied_messenger_and_both_expiry_dates(fb_setup):
    now = datetime.now(UTC).replace(microsecond=0)
    expires, data_access = now + timedelta(days=10), now + timedelta(days=60)
    token = TokenInfo(
        page_ids=(PAGE_ID,),
        permissions=ALL_PERMISSIONS - {"pages_messaging"},
        expires_at=expires,
        data_access_expires_at=data_access,
    )
    setup = fb_setup(tokens={TOKEN: token})
    result = somed("--lang", "en", "check", env=setup.env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Testkommun ({PAGE_ID})" in out
    row = next(line for line in out.splitlines() if line.startswith("test-fb "))
    assert "profile, posts and comments" in row and "messages" not in row
    assert "No permission for messages." in out
    assert "The token lacks the permissions pages_messaging." in out
    # ten days ahead is inside the default 14 warning days; the zone is shown
    assert f"The token expires {local_time(iso(expires))}" in out
    assert local_time(iso(expires)).endswith(("CET", "CEST"))
    assert local_time(iso(data_access)) in out
    assert "All 1 tokens checked." in out
    assert TOKEN not in out + result.stderr

    swedish = somed("--lang", "sv", "check", env=setup.env).stdout
    assert "Behörighet saknas för meddelanden." in swedish
    assert "Token går ut" in swedish

    # stored: status shows it without asking the platform
    rows = json.loads(somed("status", "--json", env=setup.env).stdout)
    check = rows[0]["token"]
    assert check["status"] == "ok" and check["identity"] == f"Testkommun ({PAGE_ID})"
    assert check["expires_at"] == iso(expires) and check["data_access_expires_at"] == iso(
        data_access
    )
    assert check["allowed_streams"] == ["profile", "posts", "visitor_posts"]
    assert list(check["denied"]) == ["messages"] and check["missing_permissions"] == [
        "pages_messaging"
    ]
    assert "token_expiring" in rows[0]["warnings"] and "permissions_missing" in rows[0]["warnings"]
    assert "data_access_expiring" not in rows[0]["warnings"]  # 60 days is beyond the warning


def test_a_token_that_never_expires_and_a_rejected_one(fb_setup, monkeypatch):
    monkeypatch.setenv("SOMED_OTHER_TOKEN", "EMU-not-a-known-token-123")
    setup = fb_setup(accounts=[
        {"key": "test-fb", "id": PAGE_ID, "token_env": "SOMED_TEST_FB_TOKEN"},
        {"key": "gone-fb", "id": PAGE_ID, "token_env": "SOMED_OTHER_TOKEN"},
    ])  # fmt: skip
    env = {**setup.env, "SOMED_OTHER_TOKEN": "EMU-not-a-known-token-123"}
    result = somed("--lang", "en", "check", env=env)
    assert result.returncode == 1
    line = next(row for row in result.stdout.splitlines() if row.startswith("test-fb "))
    assert "never" in line  # expires_at 0: a page token that does not expire
    assert "gone-fb: Facebook rejected the access token" in result.stdout
    assert "$SOMED_OTHER_TOKEN" in result.stdout
    assert "1 of 2 tokens could not be checked or were rejected." in result.stdout
    assert "EMU-not-a-known-token-123" not in result.stdout + result.stderr
    only = somed("--lang", "en", "check", "--account", "test-fb", env=env)
    assert only.returncode == 0 and "gone-fb" not in only.stdout
    unknown = somed("check", "--account", "nope", env=env)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1

    rows = {r["key"]: r for r in json.loads(somed("status", "--json", env=env).stdout)}
    assert rows["gone-fb"]["token"]["status"] == "auth_failed"
    assert "auth_failed" in rows["gone-fb"]["problems"]
    assert rows["test-fb"]["token"]["expires_at"] is None


def test_an_expired_token_is_a_problem_for_status(fb_setup):
    setup = fb_setup()
    assert somed("archive", env=setup.env).returncode == 0
    assert somed("status", env=setup.env).returncode == 0
    setup.emulator.expire_token(TOKEN)
    assert somed("check", env=setup.env).returncode == 1
    status = somed("--lang", "en", "status", env=setup.env)
    assert status.returncode == 1
    assert "Facebook rejected the access token: it has expired" in status.stdout
