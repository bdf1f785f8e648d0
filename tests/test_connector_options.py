"""A connector's own account keys and extra credentials, as a third-party connector declares them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from connectors import registry
from connectors.base import Connector, StreamSpec
from somed.config import ConfigError, TokenError, load_config

STORAGE = '[storage]\ndir = "/var/lib/somed"\n'


class PluginOptions(BaseModel):
    """The plugin's own keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    mode: Literal["api", "scrape"] = "api"
    download_video: bool = False


class PluginConnector(Connector):
    """A connector installed from a plugin, with keys and a credential of its own."""

    platform = "youtube"
    streams = (StreamSpec("posts", cursor="time", default_interval=timedelta(minutes=30)),)
    hosts = ("plugin.example",)
    options_model = PluginOptions
    secret_names = ("user_token",)

    @classmethod
    def token_required(cls, options: dict) -> bool:  # type: ignore[override]
        """Scraping needs no token."""
        return options.get("mode") != "scrape"


@pytest.fixture(autouse=True)
def plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    module = type(registry)("somed_test_plugin")
    module.PluginConnector = PluginConnector  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "somed_test_plugin", module)
    monkeypatch.setitem(registry.BUILTIN, "youtube", "somed_test_plugin:PluginConnector")


def config(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "config.toml"
    account = '[[accounts]]\nkey = "kanal"\nplatform = "youtube"\nid = "UC1"\n'
    path.write_text(STORAGE + account + lines, encoding="utf-8")
    return path


def error_of(path: Path, env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, env)
    return str(info.value)


def test_the_connector_keys_reach_the_account_spec_with_defaults(tmp_path: Path) -> None:
    path = config(tmp_path, 'token_env = "T"\ndownload_video = true\n')
    spec = load_config(path, {"T": "tok"}).account_spec("kanal")
    assert spec.options["download_video"] is True and spec.options["mode"] == "api"
    assert spec.options["refetch_window_days"] == 90 and spec.secrets == {}


def test_a_wrong_connector_key_value_is_one_line_naming_the_key(tmp_path: Path) -> None:
    message = error_of(config(tmp_path, 'token_env = "T"\nmode = "crawl"\n'), {"T": "tok"})
    assert "accounts[0].mode" in message and "'api' or 'scrape'" in message
    assert "\n" not in message
    unknown = error_of(config(tmp_path, 'token_env = "T"\nmodus = "api"\n'), {"T": "tok"})
    assert "modus" in unknown and "\n" not in unknown


def test_an_extra_credential_is_read_lazily_and_scrubbed(tmp_path: Path) -> None:
    path = config(tmp_path, 'token_env = "T"\nuser_token_env = "U"\n')
    loaded = load_config(path, {"T": "tok", "U": "user-secret-42"})
    spec = loaded.account_spec("kanal")
    assert spec.secrets["user_token"].reveal() == "user-secret-42"
    assert "user-secret-42" in loaded.secret_values()
    assert "user-secret-42" not in repr(spec) and "user-secret-42" not in repr(loaded)
    missing = load_config(path, {"T": "tok"})
    with pytest.raises(TokenError) as info:
        missing.account_spec("kanal")
    assert "accounts[0].user_token_env" in str(info.value) and info.value.reason == (
        "config.token_unset"
    )
    both = error_of(config(tmp_path, 'token_env = "T"\nuser_token_env = "U"\n'
                                      'user_token_file = "/x"\n'), {})  # fmt: skip
    assert "user_token_env and user_token_file" in both


def test_a_mode_without_a_token_needs_no_token_source(tmp_path: Path) -> None:
    spec = load_config(config(tmp_path, 'mode = "scrape"\n'), {}).account_spec("kanal")
    assert spec.token.reveal() == "" and spec.options["mode"] == "scrape"
    message = error_of(config(tmp_path, 'mode = "api"\n'), {})
    assert "no token source" in message


def test_the_holders_of_connector_keys_cannot_be_written(tmp_path: Path) -> None:
    message = error_of(config(tmp_path, 'token_env = "T"\nsecret_sources = {}\n'), {"T": "t"})
    assert "secret_sources" in message
