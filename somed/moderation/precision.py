"""Precision and recall of the detectors on a labelled sample (JSON Lines: text, categories).

Every line of the sample holds a short comment and the categories a moderator gives it; the
detectors' categories are compared per category: a true positive is a category both name, a
false positive one only the detectors name, a false negative one only the label names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from somed.moderation.detectors import Detectors
from somed.moderation.findings import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "fixtures" / "moderation" / "labelled.jsonl"


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    """The labelled sample: one dict per line with `text`, `categories` (and `lang`)."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def evaluate(detectors: Detectors, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per category: true and false positives, false negatives, precision, recall; and misses."""
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CATEGORIES}
    wrong: list[dict[str, Any]] = []
    for row in rows:
        expected = set(row["categories"])
        found = set(detectors.detect(row["text"]))
        for category in CATEGORIES:
            key = ("tp" if category in expected else "fp") if category in found else (
                "fn" if category in expected else None)  # fmt: skip
            if key:
                counts[category][key] += 1
        if found != expected:
            wrong.append({"text": row["text"], "expected": sorted(expected),
                          "found": sorted(found)})  # fmt: skip
    report: dict[str, Any] = {}
    for category, c in counts.items():
        flagged, labelled = c["tp"] + c["fp"], c["tp"] + c["fn"]
        report[category] = {
            **c,
            "precision": round(c["tp"] / flagged, 3) if flagged else None,
            "recall": round(c["tp"] / labelled, 3) if labelled else None,
        }
    return {"items": len(rows), "categories": report, "wrong": wrong}
