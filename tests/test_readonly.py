"""Read-only verbs as a server runs them: no token, read-only database, any user who may read.

The unprivileged runs start as root and drop to a user made with `useradd` before somed's CLI
runs (a real subprocess: `setgroups`, `setgid`, `setuid`, then `somed.cli.main()`): on this test
machine the interpreter lives under /root, which `runuser -u USER -- python` could not execute.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAGE_ID, TOKEN, TOKEN_ENV, small_page, write_config

from connectors.facebook.emulator import FacebookEmulator, TokenInfo

pytestmark = pytest.mark.xdist_group("readonly-server")  # its module fixture is built once
ROOT = Path(__file__).resolve().parent.parent
READER = "somed-reader"  # made once by useradd, left in place (other runs may use it too)

# Imports the CLI would make lazily are made before dropping privileges; then the CLI runs as
# the reader, exactly as `somed ...` would.
AS_READER = """
import os, sys
import somed.cli, somed.status, somed.export, somed.summary, storage.db, storage.queries
import storage.migrations, json, sqlite3, encodings.idna, encodings.utf_8_sig
import somed.cli_register, somed.register_list, somed.daemon, storage.flags, storage.register, jinja2, csv
uid, gid = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([]); os.setgid(gid); os.setuid(uid)
assert os.geteuid() == uid
sys.argv = ["somed", *sys.argv[3:]]
somed.cli.main()
"""


def reader_ids() -> tuple[int, int]:
    if os.geteuid() != 0:
        pytest.skip("needs root to make an unprivileged user and to drop to it")
    try:
        entry = pwd.getpwnam(READER)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("no useradd: cannot make an unprivileged user")
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", READER],
            capture_output=True,
            text=True,
        )
        if made.returncode not in (0, 9):  # 9: made meanwhile by a parallel run
            pytest.skip(f"useradd failed: {made.stderr.strip()}")
        entry = pwd.getpwnam(READER)
    return entry.pw_uid, entry.pw_gid


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, object]]:
    """An archive made as root in a folder others may read (0755 folders, 0644 files)."""
    uid, gid = reader_ids()
    base = Path(tempfile.mkdtemp(prefix="somed-ro-", dir="/tmp"))
    base.chmod(0o755)
    emulator = FacebookEmulator(
        [small_page(posts=10)], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}
    )
    endpoint = emulator.start()
    try:
        config = write_config(base, endpoint)
        config.chmod(0o644)
        root_env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: TOKEN, "SOMED_CONFIG": str(config)}
        done = subprocess.run(
            [sys.executable, "-m", "somed", "archive"],
            env=root_env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        emulator.stop()
    storage = base / "archive"
    assert not os.access(storage, os.W_OK) or os.stat(storage).st_mode & 0o002 == 0
    env = {"PATH": "/usr/bin:/bin", "SOMED_CONFIG": str(config), "SOMED_LANG": "en"}  # no token
    yield {
        "uid": uid,
        "gid": gid,
        "config": config,
        "storage": storage,
        "env": env,
        "root_env": root_env,
    }
    shutil.rmtree(base, ignore_errors=True)


def as_reader(server: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", AS_READER, str(server["uid"]), str(server["gid"]), *args],
        env=server["env"],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,  # type: ignore[arg-type]
    )


def as_root(server: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", *args],
        env=server["root_env"],  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_status_and_export_as_an_unprivileged_user_with_no_token(server):
    storage: Path = server["storage"]  # type: ignore[assignment]
    before = (storage / "somed.db").stat().st_mtime_ns
    assert not (storage / "somed.db-wal").exists()  # nobody has it open: the immutable path
    status = as_reader(server, "status", "--json")
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)
    assert rows[0]["key"] == "test-fb" and rows[0]["item_total"] > 0
    export = as_reader(server, "export")
    assert export.returncode == 0, export.stderr
    assert export.stdout == as_root(server, "export").stdout and export.stdout
    assert (storage / "somed.db").stat().st_mtime_ns == before  # nothing written
    assert TOKEN not in status.stdout + export.stdout + status.stderr + export.stderr


def test_accounts_and_flags_as_an_unprivileged_user_with_no_token(server):
    storage: Path = server["storage"]  # type: ignore[assignment]
    before = (storage / "somed.db").stat().st_mtime_ns
    for fmt in ("--json", "--csv", "--html"):
        listed = as_reader(server, "accounts", fmt)
        assert listed.returncode == 0, listed.stderr
        assert "Testkommun" in listed.stdout  # the name its archived profile shows
        if fmt != "--html":  # the page says when it was made
            assert listed.stdout == as_root(server, "--lang", "en", "accounts", fmt).stdout
    flags = as_reader(server, "flags", "--json")
    assert flags.returncode == 0, flags.stderr
    assert [r for r in json.loads(flags.stdout) if not r["in_queue"]] == []  # only the queue
    assert (storage / "somed.db").stat().st_mtime_ns == before  # nothing written


def test_the_quarantine_list_as_an_unprivileged_user_with_no_token(server):
    storage: Path = server["storage"]  # type: ignore[assignment]
    before = (storage / "somed.db").stat().st_mtime_ns
    listed = as_reader(server, "quarantine", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == json.loads(as_root(server, "quarantine", "--json").stdout)
    words = as_reader(server, "quarantine")
    assert words.returncode == 0 and words.stdout.strip() and "Traceback" not in words.stderr
    assert (storage / "somed.db").stat().st_mtime_ns == before  # nothing written


def test_read_only_verbs_work_while_another_process_holds_a_write_transaction(server):
    db_path = server["storage"] / "somed.db"  # type: ignore[operator]
    committed = as_root(server, "export").stdout
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db_path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "c.execute(\"UPDATE items SET text = 'uncommitted' WHERE rowid = 1\")\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n"
            "c.execute('ROLLBACK')\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        status = as_reader(server, "--lang", "en", "status")
        assert status.returncode == 0, status.stderr
        assert "test-fb" in status.stdout
        export = as_reader(server, "export")
        assert export.returncode == 0, export.stderr
        assert export.stdout == committed and "uncommitted" not in export.stdout
    finally:
        holder.communicate("", timeout=30)


def test_an_unreadable_archive_is_one_line_and_exit_2(server, tmp_path):
    storage: Path = server["storage"]  # type: ignore[assignment]
    storage.chmod(0o700)
    try:
        result = as_reader(server, "export")
    finally:
        storage.chmod(0o755)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "somed.db" in lines[0] and "Traceback" not in result.stderr


def schema_change(db_path: Path, sql: str) -> None:
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(sql)
    conn.close()


def test_an_archive_of_another_schema_is_refused_in_one_line(server):
    db_path: Path = server["storage"] / "somed.db"  # type: ignore[operator]
    schema_change(
        db_path,
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('somed', 'm999_from_the_future', '2030-01-01')",
    )
    try:
        newer = as_reader(server, "status")
    finally:
        schema_change(db_path, "DELETE FROM _sqlite_migrations WHERE name = 'm999_from_the_future'")
    assert newer.returncode == 2 and "newer somed" in newer.stderr
    assert len(newer.stderr.strip().splitlines()) == 1
    last = (
        sqlite3.connect(db_path)
        .execute(
            "SELECT rowid, name, applied_at FROM _sqlite_migrations ORDER BY rowid DESC LIMIT 1"
        )
        .fetchone()
    )
    schema_change(db_path, f"DELETE FROM _sqlite_migrations WHERE rowid = {last[0]}")
    try:
        older = as_reader(server, "export")
    finally:
        schema_change(
            db_path,
            "INSERT INTO _sqlite_migrations (rowid, migration_set, name, "
            f"applied_at) VALUES ({last[0]}, 'somed', '{last[1]}', '{last[2]}')",
        )
    assert older.returncode == 2 and "older somed" in older.stderr and "upgrade" in older.stderr
    assert len(older.stderr.strip().splitlines()) == 1
