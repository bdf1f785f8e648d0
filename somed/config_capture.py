"""Config sections of the snapshots: `[capture]` (when captures are due), `[browser]` (how)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from somed.config_errors import _invalid
from somed.duties.windows import DEFAULT_WINDOWS, parse_start

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class CaptureConfig(_Section):
    """`[capture]`: the half-year windows, the grace period and the retries of captures."""

    enabled: bool = True  # false: no scheduled captures (`somed capture` still works)
    windows: list[str] = Field(default_factory=lambda: list(DEFAULT_WINDOWS), min_length=1)
    grace_days: int = Field(30, ge=0, le=366)
    retry_minutes: int = Field(30, ge=1, le=10_080)
    retry_max_minutes: int = Field(1440, ge=1, le=43_200)

    @field_validator("windows")
    @classmethod
    def _start_dates(cls, value: list[str]) -> list[str]:
        for i, text in enumerate(value):
            try:
                parse_start(text)
            except ValueError:
                raise _invalid(
                    f"{text[:20]!r} is not a start date MM-DD of every year",
                    'write e.g. windows = ["03-01", "10-01"]',
                    at=f"[{i}]",
                ) from None
        if len(set(value)) != len(value):
            raise _invalid("a start date is given twice", "give each window once")
        return value

    @model_validator(mode="after")
    def _retry_order(self) -> CaptureConfig:
        if self.retry_max_minutes < self.retry_minutes:
            raise _invalid(
                "must not be smaller than retry_minutes",
                "raise it, or lower retry_minutes",
                at="retry_max_minutes",
            )
        return self


def _default_executable() -> str | None:
    """The system Chromium when it is installed, else None (Playwright's own browser)."""
    return str(SYSTEM_CHROMIUM) if os.access(SYSTEM_CHROMIUM, os.X_OK) else None


class BrowserConfig(_Section):
    """`[browser]`: the Chromium that takes snapshots, its window, and how long a page may take."""

    executable: str | None = Field(default_factory=_default_executable)
    page_timeout_seconds: float = Field(180.0, gt=0, le=3600)  # a whole capture, then killed
    viewport_width: int = Field(1280, ge=320, le=4096)
    viewport_height: int = Field(900, ge=320, le=4096)
    max_tiles: int = Field(24, ge=1, le=200)  # pieces of at most 16,384 px: the height cap
    scroll_seconds: float = Field(60.0, gt=0, le=1800)  # how long to scroll for lazy content

    @field_validator("executable")
    @classmethod
    def _executable(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise _invalid("must not be empty", "leave it out to use /usr/bin/chromium")
        if not os.access(value, os.X_OK):
            raise _invalid(
                f"{value[:80]!r} is not an executable file",
                "install Chromium (apt-get install chromium) or give its path",
            )
        return value
