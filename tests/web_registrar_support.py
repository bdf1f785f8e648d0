"""Shared by the tests of the registrar's and admin's web pages: an archive of their own per
module (these tests write), browsers signed in through the real form, and forms posted with
the page's CSRF token as a person's browser would post them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from connectors.emulation.demo import DemoAccount
from somed.config import Config
from somed.web.app import create_app
from storage.db import connect, connect_readonly
from tests.web_support import SESSION_KEY, build_archive, csrf_of, sign_in


@contextmanager
def own_archive(folder: Path, extra_config: str = "") -> Iterator[tuple[Config, list[DemoAccount]]]:
    """The demo archive with the test users, built in `folder`; the environment put back after."""
    saved = dict(os.environ)
    os.environ["SOMED_TEST_SESSION_KEY"] = SESSION_KEY
    try:
        yield build_archive(folder, extra_config)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def browser(config: Config, name: str | None,
            clock: Callable[[], datetime] | None = None) -> TestClient:  # fmt: skip
    """A TestClient of a fresh app over `config`'s archive, signed in as `name` (None: not)."""
    app = create_app(config, session_key=SESSION_KEY, **({"clock": clock} if clock else {}))
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    if name is not None:
        response = sign_in(client, name)
        assert response.status_code == 303, response.text[:500]
    return client


def post_form(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    """GET `page`, then POST `data` to `action` with the page's CSRF token (no redirect follow)."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token})


def rows(config: Config, sql: str, values: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the archive."""
    with closing(connect_readonly(config.db_path)) as db:
        return [tuple(row) for row in db.execute(sql, values or []).fetchall()]


def write(config: Config, change: Callable[[Any], Any]) -> Any:
    """Run `change(db)` on a read-write connection of the archive (test setup only)."""
    with closing(connect(config.db_path)) as db:
        return change(db)
