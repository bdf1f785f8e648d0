"""Who is acting: the name the audit log records for a change made from the command line."""

from __future__ import annotations

import getpass
import os


def os_actor() -> str:
    """The person behind sudo if any, else the OS user running somed (the web UI names its own)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()
