"""Shared set-up of the instaloader-mode tests: the web emulator, a session file, a config."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.instagram.emulator.web import VALID_SESSION, WebEmulator
from connectors.instagram.emulator.web_data import WebAccount
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage import queries
from storage.db import connect

KEY = "test-il"
CSRF = "csrfTOKEN0123456789abcdef"


@dataclass
class LoaderSetup:
    """An emulator, a config pointing at it, and the environment a CLI run needs."""

    emulator: WebEmulator
    account: WebAccount
    config: Config
    config_path: Path
    env: dict[str, str]
    session_file: Path | None


def write_session(path: Path, sessionid: str = VALID_SESSION) -> Path:
    """An instaloader session file (a pickled dict of cookies), as `instaloader --login` writes."""
    path.write_bytes(pickle.dumps({"sessionid": sessionid, "csrftoken": CSRF,
                                   "ds_user_id": "7700000001", "mid": "ZemulatorMid"}))  # fmt: skip
    return path


def write_config(directory: Path, endpoint: str, account: WebAccount, *, session: Path | None,
                 options: dict[str, object] | None = None, runner: str = "") -> Path:  # fmt: skip
    """A somed config for one instaloader account on the emulator; fast backoff, wide pacing."""
    keys: dict[str, object] = {"mode": "instaloader", "pace_factor": 100,
                               "pause_after_429_seconds": 0, "pause_after_wait_seconds": 0}  # fmt: skip
    if session is not None:
        keys["session_file"] = str(session)
    keys.update(options or {})
    lines = [
        "[storage]", f'dir = "{directory / "archive"}"',
        "[runner]", "backoff_base_seconds = 0.01", "backoff_max_seconds = 0.05",
        "max_attempts = 12", runner,
        "[platforms.instagram]", f'endpoint = "{endpoint}"',
        "[[accounts]]", f'key = "{KEY}"', 'platform = "instagram"', f'id = "{account.username}"',
        *(f"{k} = {json.dumps(v)}" for k, v in keys.items()),
    ]  # fmt: skip
    path = directory / "somed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def il_setup(tmp_path: Path) -> Iterator[Callable[..., LoaderSetup]]:
    """Build a web emulator serving `account` and a config for it; stopped after the test."""
    started: list[WebEmulator] = []

    def build(account: WebAccount, *, logged_in: bool = True, options: dict[str, object] | None = None,
              runner: str = "", **emulator_options: object) -> LoaderSetup:  # fmt: skip
        emulator = WebEmulator(account, **emulator_options)  # type: ignore[arg-type]
        endpoint = emulator.start()
        started.append(emulator)
        session = write_session(tmp_path / "session-somed.viewer") if logged_in else None
        path = write_config(tmp_path, endpoint, account, session=session, options=options,
                            runner=runner)  # fmt: skip
        env = {**os.environ, "SOMED_CONFIG": str(path), "SOMED_LANG": "en"}
        return LoaderSetup(emulator, account, load_config(path), path, env, session)

    yield build
    for emulator in started:
        emulator.stop()


def archive(setup: LoaderSetup):
    """One run of the account, as the daemon makes it."""
    prepare_archive(setup.config)
    return Runner(setup.config).run_account(KEY)


def items(setup: LoaderSetup) -> dict[str, dict[str, object]]:
    """Every archived item by id, as `somed export` gives it."""
    db = connect(setup.config.db_path)
    try:
        return {str(i["id"]): i for i in queries.export_items(db)}
    finally:
        db.close()


def expected_ids(account: WebAccount) -> set[str]:
    """Every live post, comment and reply id of the emulated profile."""
    ids: set[str] = set()
    for post in account.timeline():
        ids.add(str(post.pk))
        ids.update(str(c.pk) for c in post.comments if not c.deleted)
    return ids
