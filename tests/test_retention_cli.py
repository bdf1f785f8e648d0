"""`somed retention plan|apply` and `somed hold` through the command line, against a real
archive of the Facebook emulator: what the plan shows is what apply removes, a wrong id is
refused, holds are audited, and the next poll does not bring a disposed comment back."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from conftest import small_page

from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent
RULES = """
[retention]
not_current_after = "1d"
[[retention.rules]]
name = "egna"
decision = "KS 2023/1285 §4"
direction = "own"
keep = true
[[retention.rules]]
name = "kommentarer"
decision = "KS 2023/1285 §5"
direction = "incoming"
kind = ["comment", "reply"]
dispose_when_not_current = true
"""


def somed(setup, *args):
    return subprocess.run([sys.executable, "-m", "somed", "--lang", "en", *args],
                          env=setup.env, capture_output=True, text=True, cwd=ROOT,
                          timeout=300)  # fmt: skip


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def comments(setup) -> dict[str, tuple]:
    with closing(connect(setup.config.db_path)) as db:
        return {row[0]: tuple(row[1:]) for row in db.execute(
            "SELECT i.id, i.text, i.disposed_at, (SELECT count(*) FROM item_versions v"
            " WHERE v.platform = i.platform AND v.item_id = i.id) FROM items AS i"
            " WHERE i.kind IN ('comment', 'reply')")}  # fmt: skip


def test_plan_apply_and_a_later_poll_through_the_cli(fb_setup):
    setup = fb_setup([small_page(posts=6)], extra=RULES)
    ok(somed(setup, "archive"))
    plan = json.loads(ok(somed(setup, "retention", "plan", "--json")))
    shown = {entry["item"].split(":", 1)[1] for entry in plan["items"]}
    assert shown and plan["dispose"] == len(shown)
    before = comments(setup)
    assert shown < set(before)  # the newest comments are still current
    table = ok(somed(setup, "retention", "plan"))
    assert "kommentarer" in table and plan["id"] in table

    refused = somed(setup, "retention", "apply", "--plan", "0123456789abcdef0123")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "no longer the plan" in refused.stderr and "Traceback" not in refused.stderr
    assert comments(setup) == before

    ok(somed(setup, "retention", "apply", "--plan", plan["id"]))
    after = comments(setup)
    disposed = {key for key, (text, when, versions) in after.items() if when}
    assert disposed == shown
    assert all(after[key][0] is None and after[key][2] == 0 for key in disposed)
    assert all(after[key] == before[key] for key in set(after) - disposed)

    ok(somed(setup, "archive"))  # the emulator still shows every comment
    assert comments(setup) == after
    exported = [json.loads(line) for line in ok(somed(setup, "export")).splitlines()]
    tombstones = {r["id"]: r["disposal"] for r in exported if r["disposal"]}
    assert set(tombstones) == shown
    assert {t["rule"] for t in tombstones.values()} == {"kommentarer"}
    again = json.loads(ok(somed(setup, "retention", "plan", "--json")))
    assert again["dispose"] == 0


def test_hold_add_list_release_are_audited_and_block_disposal(fb_setup):
    setup = fb_setup([small_page(posts=4)], extra=RULES)
    ok(somed(setup, "archive"))
    assert json.loads(ok(somed(setup, "retention", "plan", "--json")))["dispose"] > 0
    assert "Hold 1 added" in ok(
        somed(
            setup,
            "hold",
            "add",
            "--reason",
            "Tvist om bygglov",
            "--account",
            "test-fb",
            "--from",
            "2000-01-01",
        )
    )
    plan = json.loads(ok(somed(setup, "retention", "plan", "--json")))
    assert plan["dispose"] == 0 and plan["held"] > 0
    holds = json.loads(ok(somed(setup, "hold", "list", "--json")))
    assert [(h["id"], h["account"], h["from_date"], h["released_at"]) for h in holds] == [
        (1, "test-fb", "2000-01-01", None)
    ]
    assert "Tvist om bygglov" in ok(somed(setup, "hold", "list"))
    bad = somed(setup, "hold", "add", "--reason", "x", "--query", '"*( )')
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    missing = somed(setup, "hold", "release", "7", "--reason", "fel")
    assert missing.returncode == 2 and "no hold 7" in missing.stderr
    ok(somed(setup, "hold", "release", "1", "--reason", "Tvisten avgjord"))
    assert json.loads(ok(somed(setup, "retention", "plan", "--json")))["dispose"] > 0
    with closing(connect(setup.config.db_path)) as db:
        audit = [
            tuple(r)
            for r in db.execute(
                "SELECT action, target, reason FROM audit_log WHERE action LIKE 'hold_%'"
            )
        ]
    assert audit == [("hold_added", "hold:1", "Tvist om bygglov"),
                     ("hold_released", "hold:1", "Tvisten avgjord")]  # fmt: skip
