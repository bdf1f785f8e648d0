"""The `[moderation]` table: detectors on or off, the municipality's own words and domains."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from somed.config_errors import _invalid
from somed.moderation.findings import WORD_CATEGORIES

WordCategory = str
ListCategories = (*WORD_CATEGORIES, "allow")
LoosePath = Annotated[Path, Field(strict=False)]


class ModerationConfig(BaseModel):
    """`[moderation]`: flags on incoming items; the lists extend the packaged Swedish/English."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)

    enabled: bool = True
    extra_words: dict[str, list[str]] = Field(default_factory=dict)
    word_files: dict[str, list[LoosePath]] = Field(default_factory=dict)
    commercial_domains: list[str] = Field(default_factory=list)
    repeat_threshold: int = Field(3, ge=2, le=1000)  # identical incoming texts that make spam
    capture: bool = True  # ask for a capture of a flagged item's permalink ([capture] enabled)

    @field_validator("extra_words", "word_files")
    @classmethod
    def _known_categories(cls, value: dict[str, list[object]]) -> dict[str, list[object]]:
        for name in value:
            if name not in ListCategories:
                raise _invalid(
                    f"{name[:30]!r} is not a word-list category",
                    f"use one of {', '.join(ListCategories)}",
                    at=name[:30],
                )
        return value

    @field_validator("commercial_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if not name.strip() or " " in name.strip() or "/" in name:
                raise _invalid(
                    f"{name[:40]!r} is not a domain name",
                    'write the domain only, e.g. "example.com"',
                    at=f"[{i}]",
                )
        return value

    def files_from(self, base: Path) -> dict[str, list[Path]]:
        """The word files, relative ones read from `base` (the config file's folder)."""
        return {c: [p if p.is_absolute() else base / p for p in paths]
                for c, paths in self.word_files.items()}  # fmt: skip
