"""Live progress of an archive run: the events the runner reports, and a terminal renderer.

The runner calls a `Progress` observer (`Runner(progress=...)`) as it works: a run starts, a batch
is stored, a retry starts waiting, a stream is done, the run ends. The base `Progress` (the
default, for the daemon and scripts) ignores them; `TerminalProgress` shows them on a terminal:
one live line per account that is rewritten as batches arrive, and a line that stays for every
retry with its wait, so a dead network is visible within seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import IO, Any

import click

from somed.i18n import Translator
from somed.reasons import render, stream_name

# the runner's stage names that are not stream names
_STAGES = {"re-read": "sweep"}


@dataclass(frozen=True)
class Reason:
    """Why something failed: a reason code with its params, on a platform (for its name)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    platform: str | None = None


class Progress:
    """What the runner tells an observer while it archives; this base ignores it (a service logs,
    it does not draw). Every method must return fast."""

    def run_started(self, account: str) -> None:
        """An account's run has started."""

    def batch_stored(self, account: str, stage: str, items: int, requests: int) -> None:
        """A batch was stored: `items` entries and `requests` HTTP requests so far in this run."""

    def retry_wait(
        self, account: str, stage: str, reason: Reason, wait: float, attempt: int
    ) -> None:
        """A request failed for `reason`; the runner waits `wait` seconds before retry `attempt`."""

    def stream_done(self, account: str, stage: str, status: str) -> None:
        """A stream (or the re-read) ended with `status` (ok, permission_denied, failed)."""

    def run_finished(self, account: str, status: str, items: int, requests: int) -> None:
        """The account's run ended with `status`."""


class TerminalProgress(Progress):
    """Draws progress on a terminal (stderr): a live line per account, lasting retry lines."""

    def __init__(self, t: Translator, stream: IO[str] | None = None) -> None:
        self.t = t
        self.stream = stream or click.get_text_stream("stderr")
        self._live = False

    def log_filter(self) -> logging.Filter:
        """A filter for a log handler on the same terminal: it ends the live line first."""
        progress = self

        class _EndLiveLine(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                if progress._live:
                    progress.stream.write("\n")
                    progress._live = False
                return True

        return _EndLiveLine()

    def _stage(self, stage: str) -> str:
        return stream_name(self.t, _STAGES.get(stage, stage))

    def _draw(self, text: str, *, keep: bool) -> None:
        """Rewrite the live line with `text`; with `keep`, end it so it stays on screen."""
        prefix = "\r\x1b[K" if self._live else ""
        self.stream.write(prefix + text + ("\n" if keep else ""))
        self.stream.flush()
        self._live = not keep

    def batch_stored(self, account: str, stage: str, items: int, requests: int) -> None:
        """Rewrite the live line with the counts so far."""
        text = self.t(
            "progress.stream", account=account, stream=self._stage(stage), items=items,
            requests=requests,
        )  # fmt: skip
        self._draw(text, keep=False)

    def retry_wait(
        self, account: str, stage: str, reason: Reason, wait: float, attempt: int
    ) -> None:
        """A line that stays: what failed, in plain words, and when the next try is."""
        why = render(self.t, reason.code, reason.params, platform=reason.platform)
        text = self.t(
            "progress.retry", account=account, stream=self._stage(stage), reason=why,
            attempt=attempt, wait=wait,
        )  # fmt: skip
        self._draw(text, keep=True)

    def run_finished(self, account: str, status: str, items: int, requests: int) -> None:
        """End the account's live line with its outcome."""
        text = self.t(
            "progress.done", account=account, status=self.t(f"status.{status}"), items=items,
            requests=requests,
        )  # fmt: skip
        self._draw(text, keep=True)
