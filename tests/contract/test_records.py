"""Every fixture of every platform normalises to a valid record of the record contract."""

from __future__ import annotations

from connectors.model import Record, record_problem
from somed.config import load_config
from tests.contract.conftest import connector_for, write_config

KINDS = {"profile", "post", "comment", "reply", "message", "video"}


def test_every_fixture_normalises_to_a_valid_record(adapter, tmp_path):
    adapter.start(posts=1, comments=0)
    config = load_config(write_config(tmp_path, adapter))
    connector = connector_for(config, adapter.account)
    seen = 0
    try:
        for stream, kind, raw, context in adapter.fixtures():
            record = connector.normalised(stream, kind, raw, context)
            assert isinstance(record, Record), (kind, getattr(record, "error", record))
            assert record_problem(record) is None
            assert record.platform == adapter.platform and record.account == adapter.account
            assert record.kind in KINDS and isinstance(record.id, str) and record.id
            assert record.direction in ("own", "incoming")
            if record.kind != "profile":
                assert record.created_at is not None and record.created_at.utcoffset() is not None
            seen += 1
    finally:
        connector.close()
    assert seen >= 3, "an adapter must offer its platform's fixtures"
