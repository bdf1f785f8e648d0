"""X paging the walks must not trust: a next_token that is no string, a token handed out again."""

from __future__ import annotations

import pytest

from somed.config import load_config
from tests.hostile.harness import archived, run
from tests.hostile.server import json_response
from tests.hostile.x import TOKEN, TOKEN_ENV, XHostile


@pytest.fixture
def hostile_x(monkeypatch):
    adapter = XHostile()
    endpoint = adapter.start()
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    yield adapter, endpoint
    adapter.stop()


def config_for(tmp_path, adapter, endpoint):
    lines = ["[storage]", f'dir = "{tmp_path / "archive"}"', "[runner]",
             "backoff_base_seconds = 0.01", "backoff_max_seconds = 0.05", "max_attempts = 3",
             *adapter.config_lines(endpoint)]  # fmt: skip
    (tmp_path / "somed.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(tmp_path / "somed.toml")


@pytest.mark.parametrize("next_token", [{"url": 1}, 7, ["a"]])
def test_a_next_token_that_is_no_string_fails_the_stream_instead_of_ending_it(
    hostile_x, tmp_path, next_token
):
    adapter, endpoint = hostile_x
    adapter.add_posts(3)
    page = {"data": adapter.x.tweets, "meta": {"result_count": 3, "next_token": next_token}}
    adapter.server.override(adapter.api_pattern, lambda r, m: json_response(page))
    outcome = run(config_for(tmp_path, adapter, endpoint), adapter.account)
    assert outcome.streams["posts"] == "failed"
    assert outcome.stream_reasons["posts"]["params"]["cause"] == "net.malformed"
    assert outcome.streams["mentions"] == "ok"  # the other streams are read


def test_a_next_token_handed_out_again_ends_the_walk_as_a_loop(hostile_x, tmp_path):
    adapter, endpoint = hostile_x
    adapter.add_posts(3)
    page = {"data": adapter.x.tweets, "meta": {"result_count": 3, "next_token": "same"}}
    adapter.server.override(adapter.api_pattern, lambda r, m: json_response(page))
    config = config_for(tmp_path, adapter, endpoint)
    outcome = run(config, adapter.account)
    assert outcome.streams["posts"] in ("failed", "partial")
    assert len(adapter.server.requests_to(adapter.api_pattern)) <= 12
    assert {t["id"] for t in adapter.x.tweets} <= set(archived(config))  # what was read stays
