"""The registration queue, registry numbers, dismissals and `somed audit` on a real archive.

The archive is filled by a real run against the Facebook emulator; flags are opened through
`storage.flags` as the moderation scan does, and everything else through the CLI in a real
subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from somed.actor import os_actor
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage.db import connect
from storage.flags import open_flag, resolve_flag
from tests.conftest import NOW, archived, small_page

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "test-fb"


def somed(setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", *args], env=setup.env,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip


@pytest.fixture
def setup(fb_setup):
    built = fb_setup([small_page(posts=3)])
    prepare_archive(built.config)
    outcomes = Runner(built.config, clock=lambda: NOW).run_accounts([ACCOUNT])
    assert outcomes[0].status == "ok"
    return built


def items_of(setup, kind: str, direction: str) -> list[str]:
    found = archived(setup).values()
    return sorted(f"facebook:{i['id']}" for i in found
                  if i["kind"] == kind and i["direction"] == direction)  # fmt: skip


def flag(setup, ref: str, name: str) -> int:
    with closing(connect(setup.config.db_path)) as db:
        return open_flag(db, ACCOUNT, name, reason=f"moderation.{name}",
                         params={"spans": [[0, 4]], "detector": "test"},
                         item=tuple(ref.split(":", 1)), now=NOW)  # type: ignore[arg-type]  # fmt: skip


def queue(setup, *args: str) -> dict[str, dict]:
    listed = somed(setup, "flags", "--json", *args)
    assert listed.returncode == 0, listed.stderr
    return {r["item"]: r for r in json.loads(listed.stdout) if r["in_queue"]}


def test_the_queue_holds_messages_flagged_items_and_individual_cases_not_commercial(setup):
    messages = items_of(setup, "message", "incoming")
    own_messages = items_of(setup, "message", "own")
    comments = items_of(setup, "comment", "incoming")
    assert messages and len(comments) >= 3
    rude, spam, case = comments[:3]
    flag(setup, rude, "profanity")
    flag(setup, spam, "commercial")
    marked = somed(setup, "flags", "case", case, "--reason", "Bygglovsärende, Storgatan 4")
    assert marked.returncode == 0, marked.stderr

    found = queue(setup)
    assert sorted(found) == sorted([*messages, rude, case])
    assert not set(own_messages) & set(found)
    assert found[rude]["why"] == ["profanity"] and found[messages[0]]["why"] == ["message"]
    (case_flag,) = found[case]["flags"]
    assert case_flag["flag"] == "individual_case" and case_flag["created_by"] == os_actor()
    assert "Bygglovsärende, Storgatan 4" in case_flag["text"]
    listed = json.loads(somed(setup, "flags", "--json").stdout)
    (commercial,) = [r for r in listed if r["item"] == spam]
    assert not commercial["in_queue"]  # shown as a flag, but spam is removed, not registered

    table = somed(setup, "--lang", "sv", "flags")
    assert rude in table.stdout and f"{len(found)} i registreringskön" in table.stdout
    (entry,) = [e for e in audit_entries(setup) if e["action"] == "individual_case_marked"]
    assert (entry["target"], entry["reason"]) == (case, "Bygglovsärende, Storgatan 4")


def test_register_takes_an_item_out_of_the_queue_and_into_the_export(setup):
    message = items_of(setup, "message", "incoming")[0]
    done = somed(setup, "register", message, "--number", "KS 2026/123")
    assert done.returncode == 0, done.stderr
    again = somed(setup, "register", message, "--number", "KS 2026/200")
    assert again.returncode == 0, again.stderr
    assert message not in queue(setup)
    record = archived(setup)[message.split(":", 1)[1]]
    assert record["registry_numbers"] == ["KS 2026/123", "KS 2026/200"]
    logged = [e for e in audit_entries(setup) if e["action"] == "registered"]
    assert [(e["target"], e["details"]["number"], e["actor"]) for e in logged] == [
        (message, "KS 2026/123", os_actor()), (message, "KS 2026/200", os_actor()),
    ]  # fmt: skip

    for args, words in (
        (["--number", "  "], "number"),
        (["--number", "KS 1"], "facebook:404"),
    ):
        item = "facebook:404" if "KS 1" in args else message
        refused = somed(setup, "register", item, *args)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    malformed = somed(setup, "register", "12345", "--number", "KS 1")
    assert malformed.returncode == 2 and "PLATFORM:ID" in malformed.stderr


def test_a_dismissed_flag_is_kept_with_who_and_why_and_leaves_the_queue(setup):
    rude = items_of(setup, "comment", "incoming")[0]
    flag_id = flag(setup, rude, "hate")
    assert rude in queue(setup)
    done = somed(setup, "flags", "dismiss", str(flag_id), "--reason", "Ironi, inte hat")
    assert done.returncode == 0, done.stderr
    assert rude not in queue(setup)
    with closing(connect(setup.config.db_path)) as db:
        kept = db["flags"].get(flag_id)
    assert (kept["resolution"], kept["dismissed_by"], kept["resolution_reason"]) == (
        "dismissed", os_actor(), "Ironi, inte hat",
    )  # fmt: skip
    (entry,) = [e for e in audit_entries(setup) if e["action"] == "flag_dismissed"]
    assert (entry["target"], entry["reason"], entry["actor"]) == (
        rude,
        "Ironi, inte hat",
        os_actor(),
    )
    twice = somed(setup, "flags", "dismiss", str(flag_id), "--reason", "igen")
    assert twice.returncode == 1 and "Traceback" not in twice.stderr
    unknown = somed(setup, "flags", "dismiss", "9999", "--reason", "finns inte")
    assert unknown.returncode == 2 and "9999" in unknown.stderr
    blank = somed(setup, "flags", "dismiss", str(flag_id), "--reason", " ")
    assert blank.returncode == 2


def test_open_shows_only_what_is_still_open_and_the_csv_is_a_list_to_work_from(setup):
    rude = items_of(setup, "comment", "incoming")[0]
    flag(setup, rude, "threat")
    with closing(connect(setup.config.db_path)) as db:
        resolve_flag(db, ACCOUNT, "threat", item=tuple(rude.split(":", 1)), now=NOW)  # type: ignore[arg-type]
    assert rude in queue(setup)  # resolved, not dismissed: still to be registered
    assert rude not in queue(setup, "--open")
    assert items_of(setup, "message", "incoming")[0] in queue(setup, "--open")

    exported = somed(setup, "--lang", "sv", "flags", "--export", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert rows[0] == ["Objekt", "Konto", "Typ", "Riktning", "Skapad", "Varför", "Länk"]
    assert {r[0] for r in rows[1:]} == set(queue(setup))
    (threat,) = [r for r in rows[1:] if r[0] == rude]
    assert threat[1] == ACCOUNT and threat[3] == "incoming" and threat[6].startswith("http")
    english = somed(setup, "--lang", "en", "flags", "--export", "csv", "--account", ACCOUNT)
    assert english.stdout.startswith("Item,Account,Kind,Direction,Created,Why,Permalink")


def test_a_formula_in_a_reason_never_reaches_a_spreadsheet_as_one(setup):
    comment = items_of(setup, "comment", "incoming")[0]
    hostile = '=HYPERLINK("http://evil.example/","klicka")'
    assert somed(setup, "flags", "case", comment, "--reason", hostile).returncode == 0
    exported = somed(setup, "--lang", "en", "flags", "--export", "csv").stdout
    for row in csv.reader(io.StringIO(exported)):
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row), row


def audit_entries(setup) -> list[dict]:
    listed = somed(setup, "audit", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_audit_lists_entries_and_verify_catches_a_deleted_one(setup):
    messages = items_of(setup, "message", "incoming")
    for number, message in enumerate(messages[:3]):
        assert somed(setup, "register", message, "--number", f"KS 2026/{number}").returncode == 0
    table = somed(setup, "--lang", "en", "audit")
    assert table.returncode == 0 and "registered" in table.stdout and os_actor() in table.stdout
    ok = somed(setup, "audit", "--verify")
    assert ok.returncode == 0, ok.stderr
    entries = audit_entries(setup)
    victim = next(e for e in entries if e["action"] == "registered")["id"]

    with closing(sqlite3.connect(setup.config.db_path)) as raw:  # as an attacker would
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE id = ?", [victim])
        raw.commit()
    broken = somed(setup, "--lang", "en", "audit", "--verify")
    assert broken.returncode == 1
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 1 and str(victim + 1) in lines[0] and "Traceback" not in broken.stderr
    report = json.loads(somed(setup, "audit", "--verify", "--json").stdout)
    assert report["problems"] == [{"entry_id": victim + 1, "problem": "missing_before"}]
