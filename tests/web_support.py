"""A running `somed web` over an archive of every demo platform, with one user per role.

`web_site` (session scope) archives the demo accounts from their emulators into its own folder,
adds the users of `USERS`, and serves the app with uvicorn on a free loopback port in a thread;
`signed_in(site, role)` gives a Starlette TestClient signed in through the real form. Modules
using it put `pytestmark = WEB_GROUP` so the archive is built once per test process.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from connectors.emulation.demo import DemoAccount, demo_accounts
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config
from somed.runner import Runner
from somed.users import add_local_user
from somed.web.app import create_app
from storage.db import connect
from tests.public_pages_support import NOW

WEB_GROUP = pytest.mark.xdist_group("web")
PASSWORD = "rätt häst batteri häfta"  # noqa: S105 - a test password, with åä
SESSION_KEY = "test-session-key-0123456789abcdef"
# name -> (role, full name); the editor is the editor of the demo's Facebook account
USERS = {
    "admin": ("admin", "Ada Admin"),
    "registrar": ("registrar", "Rut Registrator"),
    "editor": ("editor", "Anna Andersson"),
    "reader": ("reader", "Lars Läsare"),
}
WEB_CONFIG = """
[web]
secure_cookies = false
session_key_env = "SOMED_TEST_SESSION_KEY"
"""


@dataclass
class WebSite:
    """The archive, its config, the running server's URL and the demo accounts behind it."""

    config: Config
    base_url: str
    demos: list[DemoAccount]
    folder: Path
    server: uvicorn.Server | None = field(default=None, repr=False)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_archive(folder: Path, extra_config: str = "") -> tuple[Config, list[DemoAccount]]:
    """Archive every demo account into `folder` (emulators stopped after) and add the users."""
    demos = demo_accounts(NOW)
    served = [(demo, demo.emulator.start()) for demo in demos]
    try:
        for demo in demos:
            os.environ.update(demo.tokens)
        path = folder / "somed.toml"
        text = demo_config(served, storage=folder, lang="sv") + WEB_CONFIG + extra_config
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        prepare_archive(config)
        Runner(config).run_accounts([a.key for a in config.accounts], trigger="demo")
    finally:
        for demo, _ in served:
            demo.emulator.stop()
    db = connect(config.db_path)
    try:
        for name, (role, full_name) in USERS.items():
            add_local_user(db, name, role, PASSWORD, full_name=full_name, by="test", now=NOW)
    finally:
        db.close()
    return config, demos


def serve(config: Config) -> tuple[uvicorn.Server, str]:
    """Start the web app for `config` with uvicorn in a thread; (server, base URL)."""
    port = free_port()
    app = create_app(config, session_key=SESSION_KEY)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("somed web did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def web_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    """The demo archive served by `somed web`'s app on loopback."""
    folder = tmp_path_factory.mktemp("web")
    saved = dict(os.environ)
    os.environ["SOMED_TEST_SESSION_KEY"] = SESSION_KEY
    try:
        config, demos = build_archive(folder)
        server, url = serve(config)
        yield WebSite(config, url, demos, folder, server)
        server.should_exit = True
    finally:
        os.environ.clear()
        os.environ.update(saved)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def client(site: WebSite) -> TestClient:
    """A TestClient of a fresh app over the site's archive (not signed in)."""
    app = create_app(site.config, session_key=SESSION_KEY)
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def sign_in(browser: TestClient, name: str, password: str = PASSWORD) -> object:
    """Post the sign-in form as a person would (GET the form, send it with its token)."""
    form = browser.get("/login")
    return browser.post("/login", data={"username": name, "password": password,
                                        "csrf_token": csrf_of(form.text), "next": "/"})  # fmt: skip


def signed_in(site: WebSite, name: str) -> TestClient:
    """A TestClient signed in as the user `name` of `USERS`."""
    browser = client(site)
    response = sign_in(browser, name)
    assert response.status_code == 303, response.text[:500]
    return browser
