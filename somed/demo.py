"""`somed demo`: the Facebook emulator with two demo pages, archived into a local folder."""

from __future__ import annotations

import os
import random
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import click

from connectors.facebook.emulator import FacebookEmulator, demo_pages
from somed.config import load_config
from somed.i18n import Translator
from somed.logs import setup_logging
from somed.reasons import display_name

DEMO_TOKENS = {
    "SOMED_DEMO_MORA_TOKEN": "demo-token-mora",
    "SOMED_DEMO_FRITID_TOKEN": "demo-token-fritid",
}
DEMO_INTERVAL_MINUTES = 1
CONFIG_NAME = "somed-demo.toml"
CONFIG_MARKER = "# Written by `somed demo`"
# What a demo leaves in its folder; only these are removed when the next demo starts.
OWN_FILES = ("somed.db", "somed.db-wal", "somed.db-shm", "daemon.lock", CONFIG_NAME)
OWN_DIRS = ("media", "locks")

CONFIG_TEMPLATE = """\
{marker}: the two demo pages on the bundled Facebook emulator.
[storage]
dir = "{storage}"

[logging]
format = "plain"
level = "info"

[ui]
language = "{lang}"

[daemon]
jitter_seconds = 5

[runner]
backoff_base_seconds = 0.5
backoff_max_seconds = 5.0

[platforms.facebook]
api_version = "v21.0"
endpoint = "{endpoint}"

[[accounts]]
key = "mora-fb"
platform = "facebook"
id = "100200300"
url = "https://www.facebook.com/morakommun.demo"
token_env = "SOMED_DEMO_MORA_TOKEN"
owner = "Kommunledningskontoret"
editor = "Anna Andersson"
substitute = "Erik Eriksson"
interval_minutes = {interval}

[[accounts]]
key = "fritidsgarden-fb"
platform = "facebook"
id = "100200400"
url = "https://www.facebook.com/fritidsgardenmora.demo"
token_env = "SOMED_DEMO_FRITID_TOKEN"
owner = "Kultur- och fritidsförvaltningen"
editor = "Sara Lind"
substitute = "Johan Berg"
interval_minutes = {interval}
"""

VISITOR_QUESTIONS = (
    "Hej! Vilka tider har återvinningscentralen i helgen?",
    "Varför är gatubelysningen släckt på Vasagatan?",
    "Tack för informationen om skolvalet!",
    "Kommer det att plogas på Hemulsvägen i dag?",
)


def _live_activity(emulator: FacebookEmulator, stop: threading.Event) -> None:
    """Now and then a visitor comments on the newest post, so the daemon has news to find."""
    rng = random.Random(7)
    while not stop.wait(45):
        post_id = emulator.newest_post_id("100200300")
        if post_id:
            emulator.add_comment(post_id, rng.choice(VISITOR_QUESTIONS))


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


def run_demo(directory: Path, *, once: bool, port: int, lang: str | None) -> int:
    """Start the emulator, write a config, archive both pages, then run the daemon."""
    from somed.daemon import Daemon, prepare_archive
    from somed.runner import Runner
    from somed.status import account_status, print_status
    from somed.summary import print_outcomes

    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        clear_previous_demo(directory)  # a fresh start: see the docstring
    except NotADemoFolder as exc:
        click.echo(f"somed: error: {exc}", err=True)
        return 2
    pages, tokens = demo_pages(datetime.now(UTC))
    emulator = FacebookEmulator(pages, tokens=tokens, port=port)
    base_url = emulator.start()
    os.environ.update(DEMO_TOKENS)
    t = Translator(lang)
    config_path = directory / CONFIG_NAME
    config_path.write_text(
        CONFIG_TEMPLATE.format(
            marker=CONFIG_MARKER,
            storage=directory,
            endpoint=base_url,
            interval=DEMO_INTERVAL_MINUTES,
            lang=t.language,
        ),
        encoding="utf-8",
    )
    config = load_config(config_path)
    platform = display_name(config.accounts[0].platform)
    click.echo(t("demo.banner", platform=platform, url=base_url, dir=directory))
    click.echo(t("demo.fresh"))
    click.echo(t("demo.config", path=config_path))
    click.echo()
    setup_logging("plain", "error", secrets=config.secret_values())  # the tables say it all
    prepare_archive(config)
    outcomes = Runner(config).run_accounts([a.key for a in config.accounts], trigger="demo")
    print_outcomes(config, t, outcomes)
    click.echo()
    print_status(config, t, account_status(config))
    if once:
        emulator.stop()
        return 1 if any(o.failed for o in outcomes) else 0
    click.echo()
    click.echo(t.n("demo.daemon", DEMO_INTERVAL_MINUTES))
    setup_logging("plain", "info", secrets=config.secret_values())
    stop = threading.Event()
    threading.Thread(target=_live_activity, args=(emulator, stop), daemon=True).start()
    try:
        return Daemon(config).run()
    finally:
        stop.set()
        emulator.stop()
