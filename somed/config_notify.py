"""The keys of the response and cadence monitors and of the daily digest (`[notify]`).

An account may set `response_limit_hours`, `business_hours = {start, end, days}`, `holidays`,
`min_posts_per_week` and the addresses its digest goes to (`owner_email`, `editor_email`,
`substitute_email`); `[monitors]` holds the defaults. `[notify]` says how mail is sent: the SMTP
server, STARTTLS, a user name, and the password only through `password_env` or `password_file`
(a secret like a token: never in the TOML, the logs, the database or any output).
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from somed.business_hours import WEEKDAYS, Calendar, calendar_from
from somed.config_errors import _invalid

DEFAULT_RESPONSE_LIMIT_HOURS = 24.0
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


def _clock(value: str, example: str) -> str:
    """Return an "HH:MM" time of day, or raise the config's validation error."""
    if not _HHMM.match(value):
        raise _invalid(
            f"{value[:20]!r} is not a time of day", f'write it as "HH:MM", e.g. "{example}"'
        )
    return value


def env_name_checked(value: str | None, fix: str) -> str | None:
    """Return an environment variable's name, or raise the config's validation error."""
    if value is not None and not _ENV_NAME.match(value):
        raise _invalid("not a valid environment variable name", fix)
    return value


def email_checked(value: str | None) -> str | None:
    """Return one e-mail address (name@example.se), or raise the config's validation error."""
    if value is not None and not _EMAIL.match(value.strip()):
        raise _invalid(f"{value[:60]!r} is not an e-mail address", 'e.g. "anna.andersson@mora.se"')
    return None if value is None else value.strip()


class BusinessHoursConfig(_Strict):
    """`business_hours = {start, end, days}`: when the account's questions are answered."""

    start: str = "08:00"
    end: str = "17:00"
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        return _clock(value, "08:00")

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if name not in WEEKDAYS:
                raise _invalid(f"{name[:20]!r} is not a weekday", f"use {', '.join(WEEKDAYS)}",
                               at=f"[{i}]")  # fmt: skip
        return value

    @model_validator(mode="after")
    def _order(self) -> BusinessHoursConfig:
        if time.fromisoformat(self.end) <= time.fromisoformat(self.start):
            raise _invalid("the working day ends before it starts", "make end later than start",
                           at="end")  # fmt: skip
        return self


def _country(value: str | None) -> str | None:
    """Return a country code the `holidays` package knows ("" or None: no holidays)."""
    import holidays

    if value is None or value == "":
        return None
    if value not in holidays.list_supported_countries():
        raise _invalid(f"no public holidays known for {value[:10]!r}",
                       'give an ISO country code, e.g. "SE", or "" for none')  # fmt: skip
    return value


class ResponseDefaults(_Strict):
    """The `[monitors]` defaults of the response and cadence monitors."""

    response_limit_hours: float = Field(DEFAULT_RESPONSE_LIMIT_HOURS, gt=0, le=10_000)
    business_hours: BusinessHoursConfig = Field(default_factory=BusinessHoursConfig)
    holidays: str | None = "SE"
    min_posts_per_week: float | None = Field(None, ge=0)

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: str | None) -> str | None:
        return _country(value)


class AccountNotifyKeys(_Strict):
    """An account's own response limit, business hours, holidays and digest addresses."""

    response_limit_hours: float | None = Field(None, gt=0, le=10_000)
    business_hours: BusinessHoursConfig | None = None
    holidays: str | None = None
    owner_email: str | None = None
    editor_email: str | None = None
    substitute_email: str | None = None

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: str | None) -> str | None:
        return value if value == "" else _country(value)

    @field_validator("owner_email", "editor_email", "substitute_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return email_checked(value)


def response_calendar(defaults: ResponseDefaults, account: AccountNotifyKeys) -> Calendar:
    """The account's business-hours calendar (its own keys, else `[monitors]`)."""
    hours = account.business_hours or defaults.business_hours
    country = defaults.holidays if account.holidays is None else (account.holidays or None)
    return calendar_from(hours.start, hours.end, hours.days, country)


def response_limit(defaults: ResponseDefaults, account: AccountNotifyKeys) -> float:
    """The account's limit in business hours (its own, else `[monitors]`)."""
    return account.response_limit_hours or defaults.response_limit_hours


class NotifyConfig(_Strict):
    """`[notify]`: the SMTP server the daily digest is sent through, and when."""

    model_config = ConfigDict(populate_by_name=True)

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    ca_file: Annotated[Path, Field(strict=False)] | None = None  # an internal CA's certificates
    username: str | None = None
    password_env: str | None = None
    password_file: Annotated[Path, Field(strict=False)] | None = None
    sender: str | None = Field(None, alias="from")
    digest_at: str = "07:00"  # Stockholm time
    timeout_seconds: float = Field(30.0, gt=0, le=600)

    @field_validator("digest_at")
    @classmethod
    def _digest_at(cls, value: str) -> str:
        return _clock(value, "07:00")

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return email_checked(value)

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        return env_name_checked(value, "give the variable's name, never the password itself")

    @field_validator("password_file", mode="before")
    @classmethod
    def _file_not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise _invalid("must not be empty", "give the path of the file holding the password")
        return value

    @model_validator(mode="after")
    def _complete(self) -> NotifyConfig:
        if self.password_env and self.password_file:
            raise _invalid("both password_env and password_file are set", "keep only one of them")
        if (self.password_env or self.password_file) and not self.username:
            raise _invalid("a password without a user name", "set username", at="username")
        if self.smtp_host is not None and not self.sender:
            raise _invalid("no sender address", 'set from = "somed@mora.se"', at="from")
        return self

    @property
    def digest_time(self) -> time:
        """`digest_at` as a time of day (Stockholm)."""
        return time.fromisoformat(self.digest_at)
