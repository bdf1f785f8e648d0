"""What a capture is asked to do and what it gives back (the API duties and register call)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRIGGERS = ("scheduled", "manual", "profile_change", "close", "retry")
VERDICTS = ("valid", "invalid", "failed")


@dataclass(frozen=True)
class CaptureRequest:
    """Capture one account's public page (or, with `url`, one post permalink of it)."""

    account: str  # account key
    url: str | None = None  # a post permalink; None = the account's public page
    trigger: str = "manual"  # scheduled | manual | profile_change | close | retry
    request_id: int | None = None  # the run request it serves, if any


@dataclass(frozen=True)
class CaptureResult:
    """The outcome of one capture request: its `captures` row, verdict, reason and manifest."""

    capture_id: int  # row in `captures`
    account: str
    verdict: str  # "valid" | "invalid" | "failed"
    reason: str | None  # e.g. capture.login_wall, capture.timeout, capture.no_expected_text
    params: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when the capture counts as a snapshot."""
        return self.verdict == "valid"
