"""The YouTube keys of an `[[accounts]]` table (the connector's `options_model`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


class YouTubeOptions(BaseModel):
    """The YouTube keys of an `[[accounts]]` table."""

    model_config = ConfigDict(strict=True, extra="forbid")

    download_video: bool = False  # download each video file (needs video_url), size-capped
    video_url: str | None = None  # where the files are: a URL template with {id}
    captions: bool = False  # read caption tracks' metadata (captions.list: 50 units a video)

    @field_validator("video_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and "{id}" not in value:
            raise ValueError("must contain {id}, where the video's id goes")
        return value

    @model_validator(mode="after")
    def _needs_url(self) -> YouTubeOptions:
        if self.download_video and not self.video_url:
            raise ValueError(
                "download_video = true needs video_url: YouTube's API gives no file to download"
            )
        return self
