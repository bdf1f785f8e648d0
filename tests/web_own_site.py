"""An archive of a test module's own (for web tests that write: requests, bundles, a daemon)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.web_support import SESSION_KEY, WebSite, build_archive

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
