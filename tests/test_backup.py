"""`somed backup DEST`: an online copy taken during a running archive restores to an equal export."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import TOKEN_ENV, small_page

from storage.db import connect, integrity_ok

ROOT = Path(__file__).resolve().parent.parent


def somed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", "--lang", "en", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def config_for(config_path: Path, storage: Path, name: str) -> Path:
    """The same config with `[storage] dir` pointed elsewhere (the restore)."""
    text = config_path.read_text(encoding="utf-8")
    lines = [
        f'dir = "{storage}"' if line.startswith("dir = ") else line for line in text.splitlines()
    ]
    path = config_path.with_name(name)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def exported(env: dict[str, str], config: Path) -> list[dict]:
    result = somed(
        "--config", str(config), "export", env={k: v for k, v in env.items() if k != TOKEN_ENV}
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def items_stored(db_path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM items").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_a_backup_during_a_running_archive_restores_to_an_equal_export(fb_setup, tmp_path):
    setup = fb_setup(
        [small_page(posts=1000, comments_per_post=3, images_every=3)],
        accounts=[
            {"key": "test-fb", "id": "111000111", "token_env": TOKEN_ENV, "refetch_window_days": 0}
        ],
    )
    source = setup.config.storage_dir
    dest = tmp_path / "backup"
    archive = subprocess.Popen(
        [sys.executable, "-m", "somed", "archive"],
        env=setup.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while items_stored(source / "somed.db") < 20 and archive.poll() is None:
            assert time.monotonic() < deadline, "the archive stored nothing within a minute"
            time.sleep(0.02)
        during = somed(
            "backup", str(dest), env={k: v for k, v in setup.env.items() if k != TOKEN_ENV}
        )  # no token needed
        still_running = archive.poll() is None
    finally:
        out, err = archive.communicate(timeout=300)
    assert archive.returncode == 0, out + err
    assert during.returncode == 0, during.stderr
    assert "The backup in" in during.stdout and "complete" in during.stdout
    assert still_running, "the archive ended before the backup: make the test page bigger"

    db = connect(dest / "somed.db")
    try:
        assert integrity_ok(db)
    finally:
        db.close()
    restored_config = config_for(setup.config_path, dest, "restored.toml")
    snapshot = exported(setup.env, restored_config)
    final = {(r["platform"], r["id"]): r for r in exported(setup.env, setup.config_path)}
    assert 0 < len(snapshot) <= len(final)  # a moment inside the run
    for record in snapshot:  # every record of the snapshot is whole and as the source has it
        later = final[(record["platform"], record["id"])]
        assert {**record, "media": None} == {**later, "media": None}
        for media, linked_later in zip(record["media"], later["media"], strict=True):
            if media["sha256"] is None:
                continue  # still downloading at the moment of the snapshot
            assert media == linked_later
            data = (dest / media["path"]).read_bytes()  # and the file came with it
            assert hashlib.sha256(data).hexdigest() == media["sha256"]

    after = somed("backup", str(dest), env=setup.env)  # the next backup copies only what is new
    assert after.returncode == 0, after.stderr
    assert "were there already" in after.stdout
    assert exported(setup.env, restored_config) == exported(setup.env, setup.config_path)
    media = [p for p in (source / "media").rglob("*") if p.is_file()]
    assert media and all((dest / p.relative_to(source)).is_file() for p in media)


def test_a_backup_into_the_archive_itself_is_refused(fb_setup):
    setup = fb_setup()
    assert somed("archive", env=setup.env).returncode == 0
    result = somed("backup", str(setup.config.storage_dir / "media" / "copy"), env=setup.env)
    assert result.returncode == 2 and "inside the archive" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_damaged_media_file_is_reported_and_not_copied(fb_setup, tmp_path):
    setup = fb_setup()
    assert somed("archive", env=setup.env).returncode == 0
    victim = next(p for p in (setup.config.storage_dir / "media").rglob("*") if p.is_file())
    victim.write_bytes(b"bit rot")
    dest = tmp_path / "elsewhere"  # tmp_path is on the same file system: the link path
    result = somed("backup", str(dest), env=setup.env)
    assert result.returncode == 1
    assert victim.name in result.stderr and "damaged" in result.stderr
    assert not (dest / victim.relative_to(setup.config.storage_dir)).exists()


def test_the_backup_timer_and_service_pass_systemd_analyze_verify(tmp_path):
    from test_systemd_unit import CONTAINER_NOISE, INSTALLED_EXEC, _runnable_exec, _systemd_analyze

    exe = _systemd_analyze()
    for name in ("somed-backup.service", "somed-backup.timer"):
        text = (ROOT / "systemd" / name).read_text(encoding="utf-8")
        text = text.replace(f"ExecStart={INSTALLED_EXEC} ", f"ExecStart={_runnable_exec()} ")
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert "backup /var/backups/somed" in (tmp_path / "somed-backup.service").read_text()
    env = {"PATH": "/usr/bin:/bin", "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": "", "LC_ALL": "C"}
    proc = subprocess.run(
        [
            exe,
            "verify",
            "--man=no",
            str(tmp_path / "somed-backup.timer"),
            str(tmp_path / "somed-backup.service"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    lines = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    unexplained = [ln for ln in lines if not any(p.search(ln) for p in CONTAINER_NOISE)]
    errors = (
        unexplained if proc.returncode != 0 else [ln for ln in unexplained if "somed-backup" in ln]
    )
    assert not errors, "\n".join(lines)
