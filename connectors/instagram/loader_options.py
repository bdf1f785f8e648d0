"""The account keys of Instagram mode `instaloader` (InstagramOptions includes them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoaderOptions(BaseModel):
    """What an `[[accounts]]` table of mode `instaloader` may set (docs/configuration.md)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    # instaloader's session file (`instaloader --login USER` writes it): comments, and posts
    # beyond the newest 12, need a login
    session_file: str | None = None
    session_user: str | None = None  # the session's user name (default: from the file name)
    # where the recent request times are kept (default: the account's state folder)
    pace_file: str | None = None
    pace_factor: float = Field(default=1.0, gt=0, le=1000)  # scales instaloader's windows
    pause_after_429_seconds: float = Field(default=900.0, ge=0)
    pause_after_wait_seconds: float = Field(default=1800.0, ge=0)
