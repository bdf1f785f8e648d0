"""`somed status` as a monitoring probe: one exit code per health state, stable JSON keys."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import PAGE_ID, TOKEN

from connectors.facebook.emulator import TokenInfo

ROOT = Path(__file__).resolve().parent.parent


def somed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)  # fmt: skip


def status(setup: Any) -> tuple[int, dict[str, dict[str, Any]]]:
    result = somed("status", "--json", env=setup.env)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.returncode, {row["key"]: row for row in json.loads(result.stdout)}


def shape(value: Any) -> Any:
    """The keys of every object inside `value` (lists by their first element), not the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value and isinstance(value[0], dict) else []
    return None


def set_last_ok(setup: Any, moment: datetime) -> None:
    with sqlite3.connect(setup.config.db_path) as db:
        db.execute("UPDATE account_health SET last_ok_at = ?",
                   [moment.strftime("%Y-%m-%dT%H:%M:%SZ")])  # fmt: skip


def test_exit_code_and_state_for_each_health_state(fb_setup):
    setup = fb_setup()
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"]) == (1, "never_run")
    assert rows["test-fb"]["problems"] == ["never_run"]

    assert somed("archive", env=setup.env).returncode == 0
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"], rows["test-fb"]["problems"]) == (0, "ok", [])

    # a token expiring within [monitoring] token_warning_days warns, and does not fail
    soon = datetime.now(UTC) + timedelta(days=5)
    setup.emulator.add_token(TOKEN, TokenInfo(page_ids=(PAGE_ID,), expires_at=soon))
    assert somed("check", env=setup.env).returncode == 0
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"]) == (0, "ok")
    assert rows["test-fb"]["warnings"] == ["token_expiring"]
    table = somed("--lang", "en", "status", env=setup.env)
    assert table.returncode == 0 and "The token expires" in table.stdout

    # no successful run within three intervals (15 minutes each): overdue
    set_last_ok(setup, datetime.now(UTC) - timedelta(minutes=46))
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"]) == (1, "overdue")
    table = somed("--lang", "sv", "status", env=setup.env)
    assert table.returncode == 1 and "försenad" in table.stdout
    assert "Ingen lyckad körning på tre intervall" in table.stdout

    setup.emulator.fail_next(12, "server_error")  # max_attempts = 12: the profile gives up
    assert somed("archive", env=setup.env).returncode == 1
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"]) == (1, "failing")

    setup.emulator.expire_token(TOKEN)
    assert somed("archive", env=setup.env).returncode == 1
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"]) == (1, "auth_failed")
    assert rows["test-fb"]["last_run"]["status"] == "auth_failed"


def plant_quarantined(db_path: Path, account: str) -> None:
    """One quarantined entry for `account`, in whatever quarantine table the schema has."""
    with sqlite3.connect(db_path) as db:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'quarantine'").fetchone()
        if not exists:  # the quarantine part has not landed: a stand-in with what status reads
            db.execute("CREATE TABLE quarantine (id INTEGER PRIMARY KEY, account TEXT NOT NULL)")
        values: dict[str, Any] = {"account": account}
        for _, name, kind, notnull, default, pk in db.execute("PRAGMA table_info(quarantine)"):
            if notnull and default is None and not pk and name not in values:
                values[name] = 0 if "INT" in kind.upper() else "{}"
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        db.execute(f"INSERT INTO quarantine ({columns}) VALUES ({marks})", list(values.values()))


def test_quarantined_items_make_status_fail_with_the_count(fb_setup):
    setup = fb_setup()
    assert somed("archive", env=setup.env).returncode == 0
    plant_quarantined(setup.config.db_path, "test-fb")
    code, rows = status(setup)
    assert (code, rows["test-fb"]["state"], rows["test-fb"]["quarantined"]) == (
        1,
        "quarantining",
        1,
    )
    table = somed("--lang", "en", "status", env=setup.env)
    assert (
        table.returncode == 1
        and "1 item could not be archived and waits in quarantine" in table.stdout
    )


def test_json_has_the_same_keys_for_every_account_before_and_after_runs(fb_setup):
    setup = fb_setup(accounts=[
        {"key": "test-fb", "id": PAGE_ID, "token_env": "SOMED_TEST_FB_TOKEN"},
        {"key": "later-fb", "id": PAGE_ID, "token_env": "SOMED_TEST_FB_TOKEN"},
        {"key": "off-fb", "id": "5", "token_env": "SOMED_TEST_FB_TOKEN", "enabled": False},
    ])  # fmt: skip
    _, before = status(setup)  # no archive at all yet
    assert somed("archive", "--account", "test-fb", env=setup.env).returncode == 0
    assert somed("check", "--account", "test-fb", env=setup.env).returncode == 0
    code, after = status(setup)
    assert code == 1  # later-fb was never archived
    assert after["off-fb"]["state"] == "disabled" and after["off-fb"]["problems"] == []
    shapes = [shape(row) for row in [*before.values(), *after.values()]]
    ran = shape(after["test-fb"])
    for other in shapes:
        other_streams = other.pop("streams")
        assert other_streams in ([], ran["streams"])
        assert other == {k: v for k, v in ran.items() if k != "streams"}
    assert after["test-fb"]["last_run"]["retries"] == 0
    never = after["later-fb"]["last_run"]
    assert never.keys() == after["test-fb"]["last_run"].keys()
    assert never.pop("reason_params") == {} and set(never.values()) == {None}


def test_flags_on_items_are_counted_per_kind_not_listed_one_by_one(fb_setup):
    from contextlib import closing

    from storage.db import connect
    from storage.flags import open_flag

    setup = fb_setup()
    assert somed("archive", env=setup.env).returncode == 0
    now = datetime.now(UTC)
    with closing(connect(setup.config.db_path)) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM items WHERE kind = 'comment' LIMIT 40")]
        for item_id in ids:
            open_flag(db, "test-fb", "unanswered", reason="monitor.unanswered",
                      item=("facebook", item_id), now=now)  # fmt: skip
    table = somed("--lang", "en", "status", env=setup.env)
    assert table.returncode == 0, table.stderr
    assert f"on {len(ids)} posts, comments or messages (see 'somed flags --account test-fb')" in table.stdout
    assert table.stdout.count("monitor.unanswered") == 0 and len(table.stdout) < 3000
