"""`somed export` for the crisis team: incoming items of every account, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import connect
from storage.writer import ArchiveWriter
from tests.conftest import write_config
from tests.test_storage import comment, post

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    accounts = [{"key": key, "id": key, "token_env": "SOMED_TEST_UNUSED"}
                for key in ("mora-fb", "falun-fb")]  # fmt: skip
    path = write_config(tmp_path, "http://127.0.0.1:9", accounts=accounts)
    with closing(connect(tmp_path / "archive" / "somed.db")) as db:
        writer = ArchiveWriter(db, lambda: T0)
        writer.write_batch("mora-fb", [
            post("m1", "Vattnet är avstängt på Storgatan", account="mora-fb"),
            comment("m2", "m1", "När kommer vattnet tillbaka?", account="mora-fb"),
            comment("m3", "m1", HOSTILE, account="mora-fb"),
            comment("m0", "m1", "Gammal fråga", account="mora-fb",
                    created_at=datetime(2023, 1, 1, tzinfo=UTC)),
        ])  # fmt: skip
        writer.write_batch("falun-fb", [
            post("f1", "Information om vattnet", account="falun-fb"),
            comment("f2", "f1", "+46 70 123 45 67 ring mig", account="falun-fb"),
        ])  # fmt: skip
    return path


def somed(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"SOMED_CONFIG": str(config), "SOMED_LANG": "sv", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)  # fmt: skip


def test_incoming_items_of_every_account_as_csv(config_path: Path) -> None:
    done = somed(config_path, "export", "--direction", "incoming", "--since", "2024-01-01",
                 "--all-accounts", "--format", "csv")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0][:4] == ["Objekt", "Konto", "Typ", "Riktning"]
    by_item = {r[0]: r for r in rows[1:]}
    assert set(by_item) == {"facebook:m2", "facebook:m3", "facebook:f2"}
    assert {r[1] for r in rows[1:]} == {"mora-fb", "falun-fb"}
    text = rows[0].index("Text")
    assert by_item["facebook:m2"][text] == "När kommer vattnet tillbaka?"
    for row in rows:  # nothing a spreadsheet would run
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row), row
    # shown as text: quoted, and the pipe of a DDE payload escaped (defusedcsv)
    assert by_item["facebook:m3"][text] == "'" + HOSTILE.replace("|", "\\|")


def test_jsonl_stays_the_default_and_the_same_for_the_options_of_before(config_path: Path) -> None:
    plain = somed(config_path, "export")
    assert plain.returncode == 0, plain.stderr
    assert somed(config_path, "export", "--format", "jsonl").stdout == plain.stdout
    assert somed(config_path, "export", "--all-accounts").stdout == plain.stdout
    records = [json.loads(line) for line in plain.stdout.splitlines()]
    assert len(records) == 6 and all(r["registry_numbers"] == [] for r in records)
    incoming = somed(config_path, "export", "--direction", "incoming", "--since", "2024-01-01")
    assert [json.loads(line)["id"] for line in incoming.stdout.splitlines()] == ["f2", "m2", "m3"]


def test_all_accounts_and_account_together_is_a_usage_error(config_path: Path) -> None:
    done = somed(config_path, "export", "--all-accounts", "--account", "mora-fb")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
