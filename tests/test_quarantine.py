"""One malformed item never stops an account: it is quarantined raw (or stored repaired), the
walk goes on, the cursor moves, and `somed quarantine [retry]` shows and retries it.

Written against the connector contract through `tests/hostile/harness.py`: every platform
with a harness runs these tests.
"""

from __future__ import annotations

import json

import pytest

from somed.config import load_config
from storage import quarantine, queries
from storage.db import connect, transaction
from tests.hostile.harness import DAMAGES, archived, run, somed_cli, write_config


def held(config) -> list[dict]:
    db = connect(config.db_path)
    try:
        return quarantine.entries(db)
    finally:
        db.close()


@pytest.mark.parametrize("damage", DAMAGES)
def test_one_malformed_item_never_stops_the_account(hostile, tmp_path, damage):
    hostile.plant_good()
    bad = hostile.plant_malformed(damage)
    if bad is None:
        pytest.skip(f"{type(hostile).__name__}: {hostile.platform} has nothing {damage} applies to")
    path = write_config(tmp_path, hostile)
    config = load_config(path)

    first = run(config, hostile.account)
    assert first.status == "ok", first.message
    expected = (
        hostile.good_ids() - bad.held - ({bad.item_id} if bad.expect != "repaired" else set())
    )
    assert expected <= set(archived(config))  # every other post, its comments, the threads
    db = connect(config.db_path)
    assert queries.get_cursor(db, hostile.account, bad.stream) is not None  # the cursor moved
    run_row = queries.last_runs(db, hostile.account, limit=1)[0]
    db.close()
    entries = held(config)
    if bad.expect == "quarantined":
        assert first.quarantined == 1 and run_row["quarantined"] == 1
        assert len(entries) == 1
        entry = entries[0]
        assert (entry["stream"], entry["item_id"]) == (bad.stream, bad.item_id)
        assert entry["raw"] == bad.raw  # kept exactly as the platform served it
        assert entry["error"] and entry["resolved_at"] is None
        assert bad.item_id is None or bad.item_id not in archived(config)
    else:  # stored, with the text made valid UTF-8 and the repair noted
        assert first.quarantined == 0 and entries == []
        item = archived(config)[bad.item_id]
        assert "\ufffd" in item["text"]
        db = connect(config.db_path)
        extra, raw = db.execute(
            "SELECT extra, raw FROM item_versions WHERE item_id = ? ORDER BY version DESC",
            [bad.item_id],
        ).fetchone()
        db.close()
        assert json.loads(extra)["repaired"] == ["text"]
        assert json.loads(raw) == bad.raw  # the raw payload keeps what was sent, losslessly

    second = run(config, hostile.account)
    assert second.status == "ok", second.message
    assert len(held(config)) == len(entries)  # one entry per item, however often it is seen

    listed = somed_cli(path, hostile, "quarantine", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(e["stream"], e["item_id"]) for e in json.loads(listed.stdout)] == [
        (e["stream"], e["item_id"]) for e in entries
    ]
    retried = somed_cli(path, hostile, "quarantine", "retry")
    assert "Traceback" not in retried.stderr
    assert retried.returncode == (1 if entries else 0), retried.stdout + retried.stderr
    assert len(held(config)) == len(entries)  # today's code still refuses them: kept, not lost


def test_retry_moves_what_todays_code_can_normalise_into_the_archive(hostile, tmp_path):
    hostile.plant_good(posts=3)
    bad = hostile.plant_malformed("text_object")
    path = write_config(tmp_path, hostile)
    config = load_config(path)
    assert run(config, hostile.account).status == "ok"
    # an entry an older somed could not normalise, though today's can: the raw of a good post
    good = next(e for e in held(config))
    fine = hostile.with_text(bad.raw, "Nu går det bra")
    db = connect(config.db_path)
    with transaction(db):
        db.execute("UPDATE quarantine SET raw = ? WHERE id = ?", [json.dumps(fine), good["id"]])
    db.close()

    listed = somed_cli(path, hostile, "--lang", "sv", "quarantine")
    assert listed.returncode == 0 and "1 post i karantän" in listed.stdout, listed.stdout
    status = somed_cli(path, hostile, "--lang", "en", "status")
    assert "1 item could not be archived" in status.stdout, status.stdout

    retried = somed_cli(path, hostile, "quarantine", "retry")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "into the archive: 1; still in quarantine: 0" in retried.stdout
    assert archived(config)[bad.item_id]["text"] == "Nu går det bra"
    assert held(config) == []
    everything = somed_cli(path, hostile, "quarantine", "--json")
    assert json.loads(everything.stdout) == []
    db = connect(config.db_path)
    resolution = db.execute("SELECT resolution FROM quarantine").fetchone()[0]
    db.close()
    assert resolution == "retried"  # the entry is kept, marked, never deleted
