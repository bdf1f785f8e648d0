"""`[platforms.NAME] consent_selectors` and `storage_state_file`: the capture's config keys."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from connectors.registry import connector_class
from somed.capture_hints import account_hints, account_page, identity, storage_state
from somed.config import ConfigError, TokenError, load_config
from somed.logs import setup_logging

COOKIE = "AUTH-cookie-value-5f2a9c"
STATE = {
    "cookies": [{"name": "c_user", "value": COOKIE, "domain": ".facebook.com", "path": "/",
                 "expires": -1, "httpOnly": True, "secure": True, "sameSite": "None"}],
    "origins": [{"origin": "https://www.facebook.com", "localStorage": []}],
}  # fmt: skip


def config_file(tmp_path: Path, platform_keys: str = "") -> Path:
    path = tmp_path / "somed.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "archive"}"\n[platforms.facebook]\n{platform_keys}\n'
        '[[accounts]]\nkey = "mora-fb"\nplatform = "facebook"\nid = "100200300"\n'
        'token_env = "SOMED_FB_TOKEN"\n',
        encoding="utf-8",
    )
    return path


def test_configured_consent_selectors_are_tried_after_the_platforms_own(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, 'consent_selectors = ["#kommun-cookies"]'), {})
    hints = account_hints(config, "mora-fb")
    defaults = connector_class("facebook").capture_hints
    assert hints is not None and defaults is not None
    assert hints.consent_selectors == (*defaults.consent_selectors, "#kommun-cookies")
    assert account_hints(load_config(config_file(tmp_path), {}), "mora-fb") == defaults
    assert account_page(config, "mora-fb") == "https://www.facebook.com/profile.php?id=100200300"


@pytest.mark.parametrize("value", ['[""]', '["a\\nb"]', '"#one"'])
def test_a_bad_consent_selector_is_one_config_error_line(tmp_path: Path, value: str) -> None:
    path = config_file(tmp_path, f"consent_selectors = {value}")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    message = str(info.value)
    assert "platforms.facebook.consent_selectors" in message and "\n" not in message


def test_without_a_state_file_the_capture_is_anonymous(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path), {})
    assert storage_state(config, "mora-fb") is None
    assert identity(config, "mora-fb") == "anonymous"


def test_the_state_file_is_read_from_the_credentials_directory(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "fb-browser.json").write_text(json.dumps(STATE), encoding="utf-8")
    config = load_config(config_file(tmp_path, 'storage_state_file = "fb-browser.json"'),
                         {"CREDENTIALS_DIRECTORY": str(credentials)})  # fmt: skip
    assert storage_state(config, "mora-fb") == STATE
    assert identity(config, "mora-fb") == "fb-browser"
    assert COOKIE not in repr(config) and COOKIE not in config.model_dump_json()


def test_a_read_state_is_never_logged(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(STATE), encoding="utf-8")
    config = load_config(config_file(tmp_path, f'storage_state_file = "{state}"'), {})
    storage_state(config, "mora-fb")
    stream = io.StringIO()
    setup_logging(stream=stream)
    logging.getLogger("somed.test").warning("the page answered with %s", COOKIE)
    assert COOKIE not in stream.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "config.storage_state_missing"),
        (b"{not json " + COOKIE.encode(), "config.storage_state_invalid"),
        (json.dumps({"cookies": [{"name": "c_user"}]}).encode(), "config.storage_state_invalid"),
        (b" " * (5 << 20), "config.storage_state_too_large"),
    ],
    ids=["missing", "not-json", "not-a-state", "too-large"],
)
def test_a_bad_state_file_fails_naming_the_file_never_its_content(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    state = tmp_path / "state.json"
    if content is not None:
        state.write_bytes(content)
    config = load_config(config_file(tmp_path, f'storage_state_file = "{state}"'), {})
    with pytest.raises(TokenError) as info:
        storage_state(config, "mora-fb")
    assert info.value.reason == reason
    message = str(info.value)
    assert str(state) in message and COOKIE not in message and "\n" not in message
    assert "platforms.facebook.storage_state_file" in message


def test_the_capture_uses_the_state_file_from_the_credentials_directory(tmp_path: Path) -> None:
    from somed.capture import CaptureRequest
    from somed.capture.targets import resolve
    from somed.daemon import prepare_archive
    from storage.db import connect

    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "fb-browser.json").write_text(json.dumps(STATE), encoding="utf-8")
    path = config_file(tmp_path, 'storage_state_file = "fb-browser.json"')
    config = load_config(path, {"CREDENTIALS_DIRECTORY": str(credentials)})
    prepare_archive(config)
    db = connect(config.db_path)
    target = resolve(config, db, CaptureRequest("mora-fb"))
    assert target.problem is None
    assert (target.storage_state, target.identity) == (STATE, "fb-browser")
    assert COOKIE not in repr(target)  # the state only ever goes to the browser
    (credentials / "fb-browser.json").write_text("{not a state", encoding="utf-8")
    broken = resolve(config, db, CaptureRequest("mora-fb"))
    assert broken.problem is not None and broken.problem[0] == "config.storage_state_invalid"
    assert broken.problem[1]["where"] == str(credentials / "fb-browser.json")
