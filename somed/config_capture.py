"""Config sections of the snapshots: `[capture]` (when captures are due) and their neighbours."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from somed.config_errors import _invalid
from somed.duties.windows import DEFAULT_WINDOWS, parse_start


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
