"""Every detector over one text, for the categories of the municipality's rules.

`Detectors.detect(text)` is pure: it returns one `Finding` per category found (personal data,
profanity, hate, threat, commercial) with the character spans and the list terms. The repeated
text test needs the archive and lives in `somed.moderation.scan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from somed.moderation.commercial import Domains, commercial_finding
from somed.moderation.findings import CATEGORIES, Finding, merge
from somed.moderation.fold import prepared
from somed.moderation.lexicon import Lexicon, build, packaged_domains
from somed.moderation.personal import personal_findings
from somed.moderation.words import word_findings

__all__ = ["CATEGORIES", "Detectors", "Finding"]


class Detectors:
    """All detectors over one lexicon and one list of commercial domains."""

    def __init__(self, lexicon: Lexicon, domains: Domains) -> None:
        self.lexicon = lexicon
        self.domains = domains

    @classmethod
    def from_lists(
        cls,
        extra_words: Mapping[str, Sequence[str]] | None = None,
        word_files: Mapping[str, Iterable[Path]] | None = None,
        commercial_domains: Iterable[str] = (),
    ) -> Detectors:
        """The packaged word lists and domains, extended by the config's."""
        lexicon = build(extra_words, word_files)
        return cls(lexicon, Domains([*packaged_domains(), *commercial_domains]))

    def detect(self, text: str | None) -> dict[str, Finding]:
        """One finding per category found in the text (none for an empty text)."""
        if not text:
            return {}
        lowered = prepared(text)
        found = personal_findings(text)
        sales: Finding | None = None
        for finding in word_findings(lowered, self.lexicon):
            if finding.category == "commercial":
                sales = finding
            else:
                found.append(finding)
        commercial = commercial_finding(lowered, sales, self.domains)
        if commercial is not None:
            found.append(commercial)
        return merge(found)
