"""What a detector finds in a text: a category, where (character spans) and why (list words)."""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES = ("personal_data", "profanity", "hate", "threat", "commercial")
WORD_CATEGORIES = ("profanity", "hate", "threat", "commercial")  # the ones with word lists


@dataclass
class Finding:
    """One category found in one text: the detector, the spans [start, end) and the list terms."""

    category: str
    detector: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    def add(self, span: tuple[int, int], term: str) -> None:
        """Record one more place (and the list word or kind that matched there)."""
        if span not in self.spans:
            self.spans.append(span)
        if term not in self.terms:
            self.terms.append(term)

    def params(self, sha256: str) -> dict[str, object]:
        """The flag's params: where and why, never a copy of the text."""
        return {
            "spans": [list(s) for s in sorted(self.spans)],
            "terms": sorted(self.terms),
            "detector": self.detector,
            "sha256": sha256,
        }


def merge(findings: list[Finding]) -> dict[str, Finding]:
    """One finding per category (several detectors of one category joined, names sorted)."""
    merged: dict[str, Finding] = {}
    for found in findings:
        into = merged.setdefault(found.category, Finding(found.category, found.detector))
        if found.detector not in into.detector.split("+"):
            into.detector = "+".join(sorted([*into.detector.split("+"), found.detector]))
        into.spans.extend(s for s in found.spans if s not in into.spans)
        into.terms.extend(t for t in found.terms if t not in into.terms)
    return merged
