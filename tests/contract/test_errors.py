"""The error contract: throttling, server errors and bad tokens, as typed errors and outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import AuthError, RateLimited
from somed.check import check_account
from somed.config import load_config
from tests.contract.conftest import connector_for, write_config
from tests.hostile.harness import archived, run


def walk_all(connector, stream: str) -> int:
    """Drain one stream walk; return how many records it gave."""
    return sum(len(batch.records) for batch in connector.fetch(stream, None))


def test_throttling_raises_rate_limited_and_a_run_waits_it_out(adapter, tmp_path):
    adapter.start(posts=6, comments=1)
    config = load_config(write_config(tmp_path, adapter))
    connector = connector_for(config, adapter.account)
    try:
        adapter.throttle_next(1)
        with pytest.raises(RateLimited) as raised:
            walk_all(connector, adapter.posts_stream)
        assert raised.value.reason and raised.value.reason != "error"
        assert raised.value.retry_after is None or raised.value.retry_after >= 0
    finally:
        connector.close()
    adapter.throttle_next(2)
    adapter.fail_next(2)
    outcome = run(config, adapter.account)
    assert outcome.status == "ok", outcome.message
    assert adapter.expected_ids() <= set(archived(config))


def test_a_bad_token_raises_auth_error_and_check_says_so(adapter, tmp_path):
    adapter.start(posts=3, comments=1)
    config = load_config(write_config(tmp_path, adapter))
    adapter.expire_token()
    connector = connector_for(config, adapter.account)
    try:
        with pytest.raises(AuthError) as raised:
            walk_all(connector, adapter.posts_stream)
        assert raised.value.reason.startswith("auth.")
        with pytest.raises(AuthError):
            connector.check()
    finally:
        connector.close()
    checked = check_account(config, adapter.account, clock=lambda: datetime.now(UTC))
    assert checked.status == "auth_failed" and checked.reason.startswith("auth.")
    assert adapter.token not in (checked.message or "")
    outcome = run(config, adapter.account)
    assert outcome.status == "auth_failed" and adapter.token not in (outcome.message or "")


def test_a_fifth_of_requests_failing_at_random_still_archives_everything_once(adapter, tmp_path):
    adapter.start(posts=25, comments=2)
    config = load_config(write_config(tmp_path, adapter, page_size=5, attempts=8))
    adapter.random_faults(rate=0.2, seed=11)
    outcome = run(config, adapter.account)
    adapter.random_faults(rate=0, seed=0)
    assert outcome.status == "ok", outcome.message
    assert outcome.retries > 0  # the faults were met and waited out
    items = archived(config)
    missing = adapter.expected_ids() - set(items)
    assert not missing, f"{len(missing)} items not archived, e.g. {sorted(missing)[:5]}"
    assert all(i["versions"] == [] for i in items.values())  # no retried page made a version
