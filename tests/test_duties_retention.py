"""The retention duty: nothing without `auto_apply`; with it, plan and apply once a day."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta

from retention_support import NOW, build_archive

from somed.config import load_config
from somed.duties.retention import RetentionDuty
from storage.db import connect

RULES = """
[[retention.rules]]
name = "kommentarer"
decision = "KS 2023/1285 §5"
kind = ["comment", "reply"]
direction = "incoming"
dispose_when_not_current = true
"""


def duty_for(tmp_path, auto_apply: bool) -> RetentionDuty:
    path = tmp_path / "somed.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path}"\n[retention]\n'
        f"auto_apply = {str(auto_apply).lower()}\n{RULES}",
        encoding="utf-8",
    )
    return RetentionDuty(load_config(path, {}), clock=lambda: NOW)


def test_without_auto_apply_the_daemon_never_disposes(tmp_path):
    build_archive(tmp_path)
    assert duty_for(tmp_path, False).due(NOW) == []


def test_with_auto_apply_it_disposes_daily_as_somed_and_a_restart_does_not_repeat(tmp_path):
    build_archive(tmp_path)
    duty = duty_for(tmp_path, True)
    tasks = duty.due(NOW)
    assert len(tasks) == 1
    duty.run(tasks[0])
    with closing(connect(tmp_path / "somed.db")) as db:
        gone = {tuple(r) for r in db.execute("SELECT item_id, disposed_by FROM disposals")}
        assert {who for _, who in gone} == {"somed"} and len(gone) == 3
    assert duty.due(NOW + timedelta(hours=23)) == []
    restarted = duty_for(tmp_path, True)
    assert restarted.due(NOW + timedelta(hours=23)) == []
    assert len(restarted.due(NOW + timedelta(days=1))) == 1
