"""Logging: one line per event on stdout (plain or JSON), with secrets redacted."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from typing import IO

from pythonjsonlogger.json import JsonFormatter

from connectors.scrub import REDACTED, Scrubber

__all__ = ["REDACTED", "RedactingFilter", "UtcFormatter", "setup_logging", "update_secrets"]


class RedactingFilter(logging.Filter):
    """Redact every known secret from a log record's text, as a last line of defence.

    It uses the network layer's scrubber, so a secret is found raw, URL-encoded or JSON-escaped,
    and credential query parameters (`access_token=...`) are blanked whatever their value.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.scrubber = Scrubber(secrets)

    @property
    def secrets(self) -> list[str]:
        """The secrets redacted so far."""
        return self.scrubber.secrets

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these secrets (tokens read by a reload)."""
        self.scrubber.add(secrets)

    def _clean(self, text: str) -> str:
        return self.scrubber.text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback text) without secrets."""
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class UtcFormatter(logging.Formatter):
    """Plain text lines with UTC ISO timestamps: `2026-11-22T10:00:00Z INFO somed.runner: ...`.

    A traceback is folded onto the same line (` | ` between its lines), so journald keeps one
    entry per event.
    """

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        """Format the record as exactly one line."""
        return " | ".join(line for line in super().format(record).splitlines() if line.strip())


_REDACTOR = RedactingFilter(())


def update_secrets(secrets: Iterable[str]) -> None:
    """Add secrets (e.g. tokens of a reloaded config) to what every log line is cleaned of."""
    _REDACTOR.add(secrets)


def setup_logging(
    fmt: str = "plain",
    level: str = "info",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Send somed's log lines to `stream` (stdout by default), one line per event."""
    handler = logging.StreamHandler(stream or sys.stdout)
    if fmt == "json":
        formatter: logging.Formatter = JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%SZ",
        )
        formatter.converter = time.gmtime  # type: ignore[attr-defined]
    else:
        formatter = UtcFormatter()
    handler.setFormatter(formatter)
    handler.addFilter(_REDACTOR)
    _REDACTOR.add(secrets)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "urllib3", "filelock", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
