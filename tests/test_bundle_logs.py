"""The register, run log and events of a real `somed bundle` of the Facebook emulator's archive:
a disposal, a hold, a registration and a moderation flag made in the period are in
`events.jsonl` with their audit entries, the runs of the period in `runs.jsonl`, the account and
its history in `register.json`; what happened before or after the period is left out."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import small_page

from storage.db import connect
from storage.disposals import Disposal, dispose
from storage.flags import dismiss_flag, open_flag
from storage.holds import add_hold
from storage.registrations import register
from storage.runlog import RunLog
from tests.test_bundle_cli import ORGANISATION
from tests.test_retention_cli import RULES

ROOT = Path(__file__).resolve().parent.parent
DATA = "representations/rep1/data"
ACCOUNT = "test-fb"
EXTRA = ORGANISATION + RULES  # comments are disposed of a day after they stop being current
BEFORE = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)  # well before the bundle's period
AFTER = datetime.now(UTC) + timedelta(days=30)  # after it


def somed(setup, *args: str) -> str:
    """The real CLI on the setup's config; its stdout (it must succeed)."""
    result = subprocess.run([sys.executable, "-m", "somed", "--lang", "en", *args],
                            env=setup.env, capture_output=True, text=True, cwd=ROOT,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _outside_the_period(db) -> dict[str, int]:  # noqa: ANN001 - a sqlite_utils Database
    """A disposal, a registration, a moderation flag and a run before the period, a hold before
    and one after it; the ids that must not be in the bundle."""
    posts = [r[0] for r in db.execute("SELECT id FROM items WHERE kind = 'post' ORDER BY id")]
    comment, sha = db.execute("SELECT id, sha256 FROM items WHERE kind = 'comment'"
                              " AND disposed_at IS NULL ORDER BY id LIMIT 1").fetchone()  # fmt: skip
    dispose(db, [Disposal("facebook", comment, "comment", ACCOUNT, "kommentarer",
                          "KS 2023/1285 §5", sha)], plan_id="plan-before", by="arkivarie",
            now="2025-01-15T09:00:00Z", details={"items": 1})  # fmt: skip
    register(db, ("facebook", posts[1]), "KS 2025/1", by="registrator", now=BEFORE)
    flag = open_flag(db, ACCOUNT, "hate", reason="moderation.hate", item=("facebook", posts[1]),
                     now=BEFORE)  # fmt: skip
    runs = RunLog(db, lambda: BEFORE)
    run = runs.start_run(ACCOUNT, "facebook", "manual")
    runs.finish_run(run, "ok", new=0, changed=0, deleted=0, requests=1)
    return {
        "hold_before": add_hold(db, reason="Gammal tvist", by="jurist", now=BEFORE),
        "hold_after": add_hold(db, reason="Framtida tvist", by="jurist", now=AFTER),
        "flag": flag,
        "run": run,
        "post": posts[1],
    }


def test_events_runs_and_register_of_the_period_with_their_audit_entries(fb_setup, tmp_path):
    setup = fb_setup([small_page(posts=6)], extra=EXTRA)
    somed(setup, "archive")
    plan = json.loads(somed(setup, "retention", "plan", "--json"))
    assert plan["dispose"] > 0
    somed(setup, "retention", "apply", "--plan", plan["id"])  # before any hold stops it
    with closing(connect(setup.config.db_path)) as db:
        outside = _outside_the_period(db)
        post = db.execute("SELECT id FROM items WHERE kind = 'post' ORDER BY id").fetchone()[0]
    somed(setup, "hold", "add", "--reason", "Begäran om utlämnande", "--account", ACCOUNT)
    somed(setup, "register", f"facebook:{post}", "--number", "KS 2026/7")
    with closing(connect(setup.config.db_path)) as db:
        now = datetime.now(UTC)
        flag = open_flag(db, ACCOUNT, "threat", reason="moderation.threat",
                         item=("facebook", post), now=now)  # fmt: skip
        dismiss_flag(db, flag, by="redaktör", reason="Ett citat, inget hot", now=now)

    today = datetime.now(UTC).date()
    period = ("--from", (today - timedelta(days=1)).isoformat(),
              "--to", (today + timedelta(days=2)).isoformat())  # fmt: skip
    printed = somed(setup, "bundle", "--account", ACCOUNT, *period, "--out", str(tmp_path))
    data = Path(printed.splitlines()[0]) / DATA

    events = lines(data / "events.jsonl")
    kinds = [e["event"] for e in events]
    assert sorted(kinds) == sorted(["disposal", "hold_added", "registered", "moderation_flag",
                                    "flag_dismissed"]), kinds  # fmt: skip
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    by_kind = {e["event"]: e for e in events}
    disposal = by_kind["disposal"]
    assert disposal["plan_id"] == plan["id"] and disposal["items"] == plan["dispose"]
    assert disposal["rules"] == {"kommentarer": plan["dispose"]}
    assert by_kind["hold_added"]["reason"] == "Begäran om utlämnande"
    assert by_kind["hold_added"]["hold_id"] not in (outside["hold_before"], outside["hold_after"])
    assert (by_kind["registered"]["item_id"], by_kind["registered"]["number"]) == (
        post,
        "KS 2026/7",
    )
    assert by_kind["moderation_flag"]["flag_id"] == flag
    assert by_kind["moderation_flag"]["audit"] is None  # somed's own flags are not audited
    assert by_kind["flag_dismissed"]["reason"] == "Ett citat, inget hot"
    expected = {
        "disposal": ("disposal_applied", f"plan:{plan['id']}"),
        "hold_added": ("hold_added", f"hold:{by_kind['hold_added']['hold_id']}"),
        "registered": ("registered", f"facebook:{post}"),
        "flag_dismissed": ("flag_dismissed", f"facebook:{post}"),
    }
    for kind, (action, target) in expected.items():
        entry = by_kind[kind]["audit"]
        assert (entry["action"], entry["target"]) == (action, target), kind
        assert len(entry["sha256"]) == 64 and entry["at"] == by_kind[kind]["at"], kind
    assert by_kind["flag_dismissed"]["audit"]["actor"] == "redaktör"

    runs = lines(data / "runs.jsonl")
    assert runs and outside["run"] not in {r["id"] for r in runs}
    assert {r["account"] for r in runs} == {ACCOUNT} and all(r["status"] == "ok" for r in runs)

    register_json = json.loads((data / "register.json").read_text(encoding="utf-8"))
    assert [a["key"] for a in register_json["accounts"]] == [ACCOUNT]
    assert register_json["history"] and all(
        h["account"] == ACCOUNT for h in register_json["history"]
    )
