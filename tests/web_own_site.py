"""An archive of a test module's own (for web tests that write: requests, bundles, a daemon)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from somed.run_requests import daemon_running
from tests.web_support import SESSION_KEY, WebSite, build_archive

ROOT = Path(__file__).resolve().parent.parent
NO_CAPTURES = "\n[capture]\nenabled = false\n"  # no browser at a daemon's start


@contextmanager
def own_site(folder: Path, extra_config: str = NO_CAPTURES) -> Iterator[WebSite]:
    """Every demo account archived into `folder`, the users added; the environment restored."""
    saved = dict(os.environ)
    os.environ["SOMED_TEST_SESSION_KEY"] = SESSION_KEY
    try:
        config, demos = build_archive(folder, extra_config)
        yield WebSite(config, "", demos, folder)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def emulators_serving(site: WebSite) -> Iterator[None]:
    """The demo emulators up again on the ports the config names; stopped on the way out."""
    for demo in site.demos:
        server = demo.emulator.server
        server.port = int(urlparse(server.base_url).port or 0)
        demo.emulator.start()
    try:
        yield
    finally:
        for demo in site.demos:
            demo.emulator.stop()


@contextmanager
def daemon_serving(site: WebSite) -> Iterator[subprocess.Popen[str]]:
    """A real `somed run` on the site's config, once it holds the archive's lock; stopped on
    the way out."""
    daemon = subprocess.Popen(
        [sys.executable, "-m", "somed", "--config", str(site.config.path), "run"],
        env=dict(os.environ), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not daemon_running(site.config.storage_dir):
            assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
            assert time.monotonic() < deadline, "the daemon did not take its lock"
            time.sleep(0.1)
        yield daemon
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()


@contextmanager
def serving_daemon(site: WebSite) -> Iterator[subprocess.Popen[str]]:
    """The demo emulators up and a real `somed run` serving the site's archive."""
    with emulators_serving(site), daemon_serving(site) as daemon:
        yield daemon
