"""The command line as an admin meets it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import filelock
import pytest
from conftest import TOKEN, TOKEN_ENV

from somed.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def somed(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "somed", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def config_text(tmp_path: Path, accounts: str) -> str:
    return f'[storage]\ndir = "{tmp_path / "archive"}"\n{accounts}'


GOOD_ACCOUNT = (
    f'[[accounts]]\nkey = "mora-fb"\nplatform = "facebook"\nid = "1"\ntoken_env = "{TOKEN_ENV}"\n'
)

BAD_CONFIGS = {
    "unknown key": (GOOD_ACCOUNT.replace("token_env", "tokn_env"), "accounts[0].tokn_env"),
    "duplicate key": (GOOD_ACCOUNT * 2, "accounts[1].key"),
    "wrong type": (GOOD_ACCOUNT + 'interval_minutes = "15"\n', "accounts[0].interval_minutes"),
    "syntax error": (GOOD_ACCOUNT + "key = = 3\n", "line"),
    "token in file": (GOOD_ACCOUNT + 'access_token = "EAAB123"\n', "access_token"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_with_one_line_naming_file_and_key(tmp_path, case):
    body, key_path = BAD_CONFIGS[case]
    path = tmp_path / "somed.toml"
    path.write_text(config_text(tmp_path, body), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", TOKEN_ENV: TOKEN}
    result = somed("--config", str(path), "archive", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and key_path in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "EAAB123" not in result.stderr


def test_missing_config_file_exits_2(tmp_path):
    result = somed("--config", str(tmp_path / "nope.toml"), "status", env={"PATH": "/usr/bin"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "nope.toml" in result.stderr


def test_unknown_account_and_bad_date_are_usage_errors(fb_setup):
    setup = fb_setup()
    result = somed("archive", "--account", "nope", env=setup.env)
    assert result.returncode == 2 and "'nope'" in result.stderr and "test-fb" in result.stderr
    result = somed("export", "--since", "igår", env=setup.env)
    assert result.returncode == 2 and "--since" in result.stderr


def test_archive_prints_a_summary_and_exit_code_follows_failures(fb_setup):
    setup = fb_setup()
    result = somed("--lang", "en", "archive", env=setup.env)
    assert result.returncode == 0, result.stderr
    assert "test-fb" in result.stdout and "The account was archived." in result.stdout
    setup.emulator.expire_token(TOKEN)
    result = somed("--lang", "en", "archive", env=setup.env)
    assert result.returncode == 1
    assert "token rejected" in result.stdout and f"${TOKEN_ENV}" in result.stdout
    assert "Traceback" not in result.stderr


def test_status_says_in_plain_words_that_the_token_must_be_renewed(fb_setup):
    setup = fb_setup()
    somed("archive", env=setup.env)
    setup.emulator.expire_token(TOKEN)
    somed("archive", env=setup.env)
    result = somed("--lang", "en", "status", env=setup.env)
    assert result.returncode == 1  # a rejected token is a problem for monitoring
    assert "token must be renewed" in result.stdout
    assert "Renew the token" in result.stdout and f"${TOKEN_ENV}" in result.stdout
    assert "Facebook rejected the access token: it has expired." in result.stdout
    swedish = somed("--lang", "sv", "status", env=setup.env)
    assert swedish.returncode == 1
    assert "token måste förnyas" in swedish.stdout
    note = next(line for line in swedish.stdout.splitlines() if line.startswith("test-fb:"))
    assert "Facebook avvisade åtkomsttoken: den har gått ut. Förnya token" in note
    assert "Förnya token" in note and f"${TOKEN_ENV}" in note
    for english in ("the token", "token has expired", "rejected", "renew", "code 190"):
        assert english not in swedish.stdout, english  # no connector text in a Swedish note
    archive = somed("--lang", "sv", "archive", env=setup.env)
    assert archive.returncode == 1 and "Facebook avvisade åtkomsttoken" in archive.stdout
    assert "the token" not in archive.stdout and "rejected" not in archive.stdout
    data = json.loads(somed("status", "--json", env=setup.env).stdout)
    assert (
        data[0]["health"]["status"] == "auth_failed"
        and data[0]["last_run"]["status"] == "auth_failed"
    )
    assert data[0]["health"]["reason"] == data[0]["last_run"]["reason"] == "auth.token_expired"
    assert data[0]["health"]["reason_params"] == {"code": 190, "subcode": 463}


def test_a_second_archive_of_the_same_account_waits_or_says_a_run_is_in_progress(fb_setup):
    setup = fb_setup()
    lock = filelock.FileLock(str(setup.config.storage_dir / "locks" / "test-fb.lock"))
    (setup.config.storage_dir / "locks").mkdir(parents=True, exist_ok=True)
    with lock:
        result = somed("--lang", "en", "archive", env=setup.env)
        assert result.returncode == 1 and "Another process is archiving" in result.stdout
    lock.acquire()
    waiter = subprocess.Popen(
        [sys.executable, "-m", "somed", "archive", "--wait", "30"],
        env=setup.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    lock.release()
    out, _ = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, out


def test_export_writes_json_lines_filtered_by_account_and_date(fb_setup):
    setup = fb_setup()
    somed("archive", env=setup.env)
    everything = [json.loads(line) for line in somed("export", env=setup.env).stdout.splitlines()]
    assert everything and {r["account"] for r in everything} == {"test-fb"}
    dated = sorted(r["created_at"] for r in everything if r["created_at"])
    day = dated[len(dated) // 2][:10]
    boundary = datetime.combine(date.fromisoformat(day), dt_time(0), ZoneInfo("Europe/Stockholm"))
    boundary_iso = boundary.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = [
        json.loads(line)
        for line in somed(
            "export", "--account", "test-fb", "--since", day, env=setup.env
        ).stdout.splitlines()
    ]
    assert sorted(r["id"] for r in later) == sorted(
        r["id"] for r in everything if r["created_at"] and r["created_at"] >= boundary_iso
    )
    out = setup.config_path.parent / "export.jsonl"
    assert somed("export", "--until", day, "--output", str(out), env=setup.env).returncode == 0
    earlier = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in earlier) == sorted(
        r["id"] for r in everything if r["created_at"] and r["created_at"] < boundary_iso
    )


def test_secrets_never_reach_logs_database_exports_or_media(fb_setup, tmp_path):
    setup = fb_setup(extra='[logging]\nformat = "json"\nlevel = "debug"')
    outputs = [somed("archive", env=setup.env)]
    setup.emulator.set_faults(None)
    setup.emulator.fail_next(3, "server_error")
    outputs.append(somed("archive", env=setup.env))
    setup.emulator.expire_token(TOKEN)
    outputs.append(somed("archive", env=setup.env))
    outputs.append(somed("status", "--json", env=setup.env))
    outputs.append(somed("export", env=setup.env))
    texts = [o.stdout + o.stderr for o in outputs]
    assert all(TOKEN not in text for text in texts)
    for path in setup.config.storage_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_second_demo_in_the_same_folder_starts_afresh_and_finds_no_edits(tmp_path):
    demo_dir = tmp_path / "demo-data"
    demo_dir.mkdir()
    (demo_dir / "notes.txt").write_text("mine", encoding="utf-8")  # not somed's: must survive
    (demo_dir / "media-backup").mkdir()
    env = {"PATH": "/usr/bin:/bin"}
    runs = [
        somed("--lang", "en", "demo", "--once", "--dir", str(demo_dir), env=env) for _ in range(2)
    ]
    for result in runs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "The demo starts afresh" in result.stdout
    header, *rows = [
        line.split()
        for line in runs[1].stdout.splitlines()
        if line.startswith(("Account ", "mora-fb ", "fritidsgarden-fb "))
    ][:3]
    changed = header.index("Changed")
    assert [r[0] for r in rows] == ["mora-fb", "fritidsgarden-fb"]
    assert all(int(r[changed]) == 0 and int(r[changed - 1]) > 0 for r in rows), runs[1].stdout
    # the monitors ran on the demo archive: the quiet page is inactive, X's profile lacks the sender
    assert (
        "fritidsgarden-fb: " in runs[1].stdout
        and "Flag inactive: no own post since" in runs[1].stdout
    )
    assert "Flag sender missing: the profile lacks the sender text" in runs[1].stdout
    assert (demo_dir / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (demo_dir / "media-backup").is_dir()


def test_a_demo_hours_after_the_last_one_still_finds_no_edits(tmp_path, monkeypatch, capsys):
    """The demo pages move with the clock: an old demo archive would see every item edited."""
    import somed.demo

    class ThreeHoursLater(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return datetime.now(tz) + timedelta(hours=3)

    def counts() -> list[list[str]]:  # new, changed, deleted of each account's summary row
        rows = [
            line.split()
            for line in capsys.readouterr().out.splitlines()
            if line.startswith(("mora-fb ", "fritidsgarden-fb "))
        ][:2]
        return [r[3:6] for r in rows]

    monkeypatch.setattr(somed.demo, "setup_logging", lambda *args, **kwargs: None)
    for name in somed.demo.demo_token_names():
        monkeypatch.delenv(name, raising=False)  # run_demo sets them; monkeypatch restores
    assert somed.demo.run_demo(tmp_path, once=True, port=0, lang="en") == 0
    first = counts()
    assert len(first) == 2 and all(int(new) > 0 and changed == "0" for new, changed, _ in first)
    monkeypatch.setattr(somed.demo, "datetime", ThreeHoursLater)
    assert somed.demo.run_demo(tmp_path, once=True, port=0, lang="en") == 0
    assert counts() == first  # archived afresh: all new again, nothing changed


def test_demo_refuses_a_folder_holding_an_archive_it_did_not_write(tmp_path):
    (tmp_path / "somed.db").write_bytes(b"a real archive")
    result = somed("demo", "--once", "--dir", str(tmp_path), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "somed-demo.toml" in result.stderr
    assert (tmp_path / "somed.db").read_bytes() == b"a real archive"


def test_every_cli_verb_and_option_is_documented():
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"somed {name}" in docs, name
        assert f"somed {name}" in readme or name == "demo", name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in docs, f"{name} {opt}"
    for param in cli.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in docs, opt


def test_an_archive_that_cannot_be_opened_is_one_line_and_exit_2(fb_setup, tmp_path):
    setup = fb_setup()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the storage folder should be", encoding="utf-8")
    text = setup.config_path.read_text(encoding="utf-8")
    setup.config_path.write_text(
        text.replace(str(setup.config.storage_dir), str(blocker / "archive")), encoding="utf-8"
    )
    for verb in (["archive"], ["run"]):
        result = somed(*verb, env=setup.env, timeout=30)
        assert result.returncode == 2, (verb, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "[storage] dir" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


def test_export_to_an_unwritable_file_and_a_disabled_account_without_token(fb_setup, tmp_path):
    setup = fb_setup(
        accounts=[
            {"key": "test-fb", "id": "111000111", "token_env": "SOMED_TEST_FB_TOKEN"},
            {"key": "old-fb", "id": "5", "token_env": "SOMED_UNSET_TOKEN", "enabled": False},
        ]
    )
    assert somed("archive", env=setup.env).returncode == 0
    result = somed("export", "--output", str(tmp_path / "no" / "such" / "x.jsonl"), env=setup.env)
    assert (
        result.returncode == 2 and "--output" in result.stderr and "Traceback" not in result.stderr
    )
    result = somed("--lang", "en", "archive", "--account", "old-fb", env=setup.env)
    assert result.returncode == 1 and "SOMED_UNSET_TOKEN is not set" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("source", ["token_env", "token_file"])
def test_a_missing_token_fails_only_its_own_accounts_run(fb_setup, tmp_path, source):
    missing = (
        {"token_env": "SOMED_NOT_SET_ANYWHERE"}
        if source == "token_env"
        else {"token_file": str(tmp_path / "no-such-token")}
    )
    setup = fb_setup(
        accounts=[
            {"key": "gone-fb", "id": "5", **missing},
            {"key": "test-fb", "id": "111000111", "token_env": TOKEN_ENV},
        ]
    )
    result = somed("--lang", "en", "archive", env=setup.env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if "-fb " in line}
    assert " ok " in rows["test-fb"] and "token rejected" in rows["gone-fb"]
    assert (
        "SOMED_NOT_SET_ANYWHERE is not set"
        if source == "token_env"
        else "no-such-token does not exist"
    ) in rows["gone-fb"]
    status = json.loads(somed("status", "--json", env=setup.env).stdout)
    health = {row["key"]: row["health"]["status"] for row in status}
    assert health == {"gone-fb": "auth_failed", "test-fb": "ok"}
