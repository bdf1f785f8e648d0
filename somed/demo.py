"""`somed demo`: every platform's emulator with its demo accounts, archived into a local folder.

The demos come from the platforms' emulator packages (`connectors.emulation.demo`), so this
module names no platform: a new connector with a `demo_account()` joins the demo by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from connectors.emulation.demo import DemoAccount, demo_accounts
from somed.config import load_config
from somed.i18n import Translator
from somed.logs import setup_logging
from somed.reasons import display_name

DEMO_INTERVAL_MINUTES = 1
ACTIVITY_SECONDS = 45  # how often the platforms' demo accounts change while the daemon runs
CONFIG_NAME = "somed-demo.toml"
CONFIG_MARKER = "# Written by `somed demo`"
# What a demo leaves in its folder; only these are removed when the next demo starts.
OWN_FILES = ("somed.db", "somed.db-wal", "somed.db-shm", "daemon.lock", CONFIG_NAME)
OWN_DIRS = ("media", "locks", "browser-states")
STATES_DIR = "browser-states"  # the demos' logged-in browser states (`storage_state_file`)

CONFIG_HEAD = """\
{marker}: the demo accounts on the bundled platform emulators.
[storage]
dir = "{storage}"

[logging]
format = "plain"
level = "info"

[ui]
language = "{lang}"

[organisation]
name = "Mora kommun (demo)"
identification_code = "212000-2080"

[daemon]
jitter_seconds = 5

[runner]
backoff_base_seconds = 0.5
backoff_max_seconds = 5.0

[monitors]
sender_text = "En verksamhet inom Mora kommun"
sender_link = "https://www.mora.se"
"""


def _toml(value: Any) -> str:
    """A TOML value for the demo config (strings, numbers, booleans, lists of those)."""
    return json.dumps(value, ensure_ascii=False)


def demo_config(demos: list[tuple[DemoAccount, str]], *, storage: Path, lang: str) -> str:
    """Return the demo config text: the common tables, then each platform and its accounts."""
    lines = [CONFIG_HEAD.format(marker=CONFIG_MARKER, storage=storage, lang=lang)]
    for demo, endpoint in demos:
        lines.append(f"[platforms.{demo.platform}]")
        lines += [f"{key} = {_toml(value)}" for key, value in demo.settings.items()]
        if demo.browser_state is not None:
            state = browser_state_file(storage, demo.platform)
            lines.append(f"storage_state_file = {_toml(str(state))}")
        lines += [f"endpoint = {_toml(endpoint)}", ""]
    for demo, _ in demos:
        for account in demo.accounts:
            lines += ["[[accounts]]", f"platform = {_toml(demo.platform)}"]
            lines += [f"{key} = {_toml(value)}" for key, value in account.items()]
            lines += [f"interval_minutes = {DEMO_INTERVAL_MINUTES}", ""]
    return "\n".join(lines)


def browser_state_file(storage: Path, platform: str) -> Path:
    """Where the demo keeps a platform's logged-in browser state."""
    return storage / STATES_DIR / f"demo-{platform}.json"


def write_browser_states(directory: Path, demos: list[DemoAccount]) -> list[Path]:
    """Write the demos' browser states (only the owner may read them) and return their paths."""
    written = []
    for demo in demos:
        if demo.browser_state is not None:
            path = browser_state_file(directory, demo.platform)
            path.parent.mkdir(exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(demo.browser_state), encoding="utf-8")
            written.append(path)
    return written


def _live_activity(demos: list[DemoAccount], stop: threading.Event) -> None:
    """Now and then every demo account changes (an edit, a deletion, then new comments)."""
    tick = 0
    while not stop.wait(ACTIVITY_SECONDS):
        tick += 1
        for demo in demos:
            if demo.activity is not None:
                demo.activity(tick)


class NotADemoFolder(Exception):
    """The folder holds a somed archive that an earlier demo did not write."""


def clear_previous_demo(directory: Path) -> list[str]:
    """Remove somed's own files left by an earlier demo in `directory`; nothing else is touched.

    The demo pages are generated relative to now, so archiving them again into an old demo
    archive would report every item as edited. Raises `NotADemoFolder` (removing nothing) when
    the folder holds a somed database but no demo config, so a real archive is never wiped.
    """
    config = directory / CONFIG_NAME
    is_demo = config.is_file() and config.read_text(encoding="utf-8", errors="replace").startswith(
        CONFIG_MARKER
    )
    ours = [directory / name for name in (*OWN_FILES, *OWN_DIRS)]
    if not is_demo and any(path.exists() or path.is_symlink() for path in ours):
        raise NotADemoFolder(
            f"{directory} holds somed files that no earlier demo wrote (no {CONFIG_NAME}); "
            f"choose an empty or new folder with --dir"
        )
    removed = []
    for name in OWN_FILES:
        path = directory / name
        if path.is_symlink() or path.is_file():
            path.unlink()
            removed.append(name)
    for name in OWN_DIRS:
        path = directory / name
        if path.is_symlink():
            path.unlink()  # the link only, never what it points at
            removed.append(name)
        elif path.is_dir():
            shutil.rmtree(path)
            removed.append(name)
    return removed


def demo_token_names() -> list[str]:
    """Return the environment variables the demo accounts read their fake tokens from."""
    return [name for demo in demo_accounts(datetime.now(UTC)) for name in demo.tokens]


def run_demo(directory: Path, *, once: bool, port: int, lang: str | None) -> int:
    """Start the emulators, write a config, archive every demo account, then run the daemon.

    `port` (0: any free one) is the first emulator's port; the next ones take the ports after.
    """
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        clear_previous_demo(directory)  # a fresh start: see the docstring
    except NotADemoFolder as exc:
        click.echo(f"somed: error: {exc}", err=True)
        return 2
    demos = demo_accounts(datetime.now(UTC))
    served: list[tuple[DemoAccount, str]] = []
    try:
        for index, demo in enumerate(demos):
            demo.emulator.server.port = port + index if port else 0
            served.append((demo, demo.emulator.start()))
            os.environ.update(demo.tokens)
        return _archive_and_serve(directory, served, once=once, lang=lang)
    finally:
        for demo, _ in served:
            demo.emulator.stop()


DEMO_WEB_USER = "demo"
DEMO_WEB_PORT = 8080


def _start_web(config: Any) -> tuple[str, str]:
    """Serve the web UI beside the demo daemon (port 8080, else a free one) with an admin user."""
    import secrets
    import socket

    import uvicorn

    from somed.users import add_local_user
    from somed.web.app import create_app
    from storage.db import connect

    password = secrets.token_urlsafe(12)
    db = connect(config.db_path)
    try:
        add_local_user(db, DEMO_WEB_USER, "admin", password, full_name="Demo Admin", by="demo",
                       now=datetime.now(UTC))  # fmt: skip
    finally:
        db.close()
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", DEMO_WEB_PORT))
            port = DEMO_WEB_PORT
        except OSError:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
    web = config.web.model_copy(update={"secure_cookies": False, "listen": f"127.0.0.1:{port}"})
    app = create_app(config.model_copy(update={"web": web}), session_key=secrets.token_urlsafe(32))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))  # fmt: skip
    threading.Thread(target=server.run, name="somed-web", daemon=True).start()
    return f"http://127.0.0.1:{port}/", password


def _monitor(config: Any) -> None:
    """Run the monitors once on the fresh demo archive (the daemon runs them from then on)."""
    from somed.monitors import run_monitors
    from storage.db import connect

    db = connect(config.db_path)
    try:
        run_monitors(db, config, datetime.now(UTC))
    finally:
        db.close()


def _archive_and_serve(
    directory: Path,
    served: list[tuple[DemoAccount, str]],
    *,
    once: bool,
    lang: str | None,
) -> int:
    """Write the config, archive every account once, print the tables, then run the daemon."""
    from somed.daemon import Daemon, prepare_archive
    from somed.runner import Runner
    from somed.status import account_status, print_status
    from somed.summary import print_outcomes

    t = Translator(lang)
    write_browser_states(directory, [demo for demo, _ in served])
    config_path = directory / CONFIG_NAME
    config_path.write_text(
        demo_config(served, storage=directory, lang=t.language), encoding="utf-8"
    )
    config = load_config(config_path)
    for demo, url in served:
        click.echo(t("demo.banner", platform=display_name(demo.platform), url=url, dir=directory))
    click.echo(t("demo.fresh"))
    click.echo(t("demo.config", path=config_path))
    click.echo()
    setup_logging("plain", "error", secrets=config.secret_values())  # the tables say it all
    prepare_archive(config)
    outcomes = Runner(config).run_accounts([a.key for a in config.accounts], trigger="demo")
    print_outcomes(config, t, outcomes)
    click.echo()
    _monitor(config)  # the flags the status shows: the quiet page, the profile without sender
    print_status(config, t, account_status(config))
    if once:
        return 1 if any(o.failed for o in outcomes) else 0
    click.echo()
    web_url, password = _start_web(config)
    click.echo(t("demo.web", url=web_url, user=DEMO_WEB_USER, password=password))
    click.echo(t.n("demo.daemon", DEMO_INTERVAL_MINUTES))
    setup_logging("plain", "info", secrets=[*config.secret_values(), password])
    stop = threading.Event()
    demos = [demo for demo, _ in served]
    threading.Thread(target=_live_activity, args=(demos, stop), daemon=True).start()
    try:
        return Daemon(config).run()
    finally:
        stop.set()
