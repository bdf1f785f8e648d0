"""Moderation on a real emulator archive: flags, evidence copies, capture requests, re-checks."""

from __future__ import annotations

import json

from somed.runner import Runner
from storage import moderated
from storage.db import connect
from storage.flags import flag_history
from tests.conftest import PAGE_ID, small_page


def archive(setup):
    """One run of the test account (the runner's hook checks the new items at its end)."""
    from somed.daemon import prepare_archive

    prepare_archive(setup.config)
    return Runner(setup.config).run_account("test-fb")


def moderation_flags(setup):
    """Every moderation flag of the archive, by (item id, flag name)."""
    db = connect(setup.config.db_path)
    try:
        return {(f["item_id"], f["flag"]): f for f in flag_history(db) if f["item_id"]}
    finally:
        db.close()


def test_generated_archive_is_checked_without_flags(fb_setup):
    setup = fb_setup()
    assert archive(setup).status == "ok"
    db = connect(setup.config.db_path)
    try:
        assert moderated.pending(db) == []
        checked = db.execute("SELECT count(*) FROM moderated").fetchone()[0]
        incoming = db.execute("SELECT count(*) FROM items WHERE direction = 'incoming'").fetchone()
    finally:
        db.close()
    assert checked == incoming[0] > 0
    print(moderation_flags(setup))
