"""`somed user add|list|disable`: the web UI's local users from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from somed.users import sign_in
from storage import audit
from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent


def somed(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", "--lang", "en", "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "SOMED_LANG": "en"},
    )  # fmt: skip


def make_config(tmp_path: Path) -> Path:
    path = tmp_path / "somed.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


def test_add_list_disable(tmp_path) -> None:
    config = make_config(tmp_path)
    added = somed(config, "user", "add", "anna", "--role", "editor", "--full-name",
                  "Anna Andersson", "--password-stdin", stdin="ett långt lösenord\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "anna" in added.stdout
    listed = somed(config, "user", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["anna"]
    assert rows[0]["role"] == "editor" and rows[0]["full_name"] == "Anna Andersson"
    assert "password_hash" not in rows[0]
    db = connect(tmp_path / "data" / "somed.db")
    try:
        stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
        assert stored.startswith("$argon2id$") and "långt" not in stored
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        ok = sign_in(db, "anna", "ett långt lösenord", now=now, max_failures=5,
                     lockout=timedelta(minutes=15), remote=None)  # fmt: skip
        assert ok.user is not None
    finally:
        db.close()
    table = somed(config, "user", "list")
    assert "anna" in table.stdout and "editor" in table.stdout
    disabled = somed(config, "user", "disable", "anna", "--reason", "slutat")
    assert disabled.returncode == 0, disabled.stderr
    again = somed(config, "user", "disable", "anna")
    assert again.returncode == 0 and "already" in again.stdout
    db = connect(tmp_path / "data" / "somed.db")
    try:
        actions = [e["action"] for e in audit.entries(db)]
        assert "user.add" in actions and "user.disable" in actions
        assert audit.verify(db)[1] == []
    finally:
        db.close()


def test_bad_input_is_one_line_exit_2(tmp_path) -> None:
    config = make_config(tmp_path)
    for args, stdin in (
        (("user", "add", "kort", "--role", "reader", "--password-stdin"), "kort\n"),
        (("user", "add", "ny", "--role", "reader", "--password-stdin"), ""),
        (("user", "add", "bad name", "--role", "reader", "--password-stdin"), "a long password!\n"),
        (("user", "disable", "nobody"), ""),
        (("user", "add", "x", "--role", "boss", "--password-stdin"), "a long password!\n"),
    ):
        result = somed(config, *args, stdin=stdin)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    ok = somed(config, "user", "add", "ny", "--role", "reader", "--password-stdin",
               stdin="a long password!\n")  # fmt: skip
    assert ok.returncode == 0
    dup = somed(config, "user", "add", "ny", "--role", "reader", "--password-stdin",
                stdin="a long password!\n")  # fmt: skip
    assert dup.returncode == 2 and "exists" in dup.stderr
