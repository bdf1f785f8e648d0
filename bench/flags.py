"""Moderation detectors: items per second beside one combined regex, and precision per category.

The texts are the labelled sample (tests/fixtures/moderation/labelled.jsonl) repeated to
`--items` items. The ceiling is a single regex of every list entry (as written: words,
beginnings, compound ends, phrases with their alternatives) and the personal-data patterns
(identity number, phone, e-mail, link), compiled once and run with `finditer` over each text
in lower case: what a plain regex scan of the same lists costs, without inflections, folding,
check digits or phone validation. Target: detectors >= 1/2 of the regex rate.
`--dictionary FILE` also counts how many words of a word list (e.g. /usr/share/dict/svenska)
the detectors flag, to show what a list entry catches beyond itself.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from somed.moderation.detectors import Detectors  # noqa: E402
from somed.moderation.findings import WORD_CATEGORIES  # noqa: E402
from somed.moderation.lexicon import LANGUAGES, packaged_lines  # noqa: E402
from somed.moderation.precision import evaluate, load_labelled  # noqa: E402

TARGET = 0.5
PERSONAL = [
    r"(?<!\d)(?:19|20)?\d{6}[-+ ]?\d{4}(?!\d)",
    r"(?<![\w+])(?:\+|00|0)\d[\d\- ()]{5,16}\d(?!\d)",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}",
    r"(?:https?://|www\.)[^\s<>\"']+",
]


def _entry_pattern(entry: str) -> str:
    """One list line as a regex (alternatives kept, `=`/`*` marks read as their meaning)."""
    words = []
    for slot in entry.split():
        options = []
        for alternative in slot.split("|"):
            word = re.escape(alternative.strip("=*"))
            if alternative.endswith("*"):
                word += r"\w*"
            if alternative.startswith("*"):
                word = r"\w*" + word
            options.append(word)
        words.append("(?:" + "|".join(options) + ")")
    return r"\s+".join(words)


def combined_regex() -> tuple[re.Pattern[str], int]:
    """The ceiling: one regex of every list entry and the personal-data patterns."""
    entries = set()
    for category in WORD_CATEGORIES:
        for lang in LANGUAGES:
            for line in packaged_lines(category, lang):
                line = line.split("#", 1)[0].strip().lower()
                if line:
                    entries.add(line)
    words = "|".join(_entry_pattern(e) for e in sorted(entries, key=len, reverse=True))
    pattern = r"\b(?:" + words + r")\b|" + "|".join(PERSONAL)
    return re.compile(pattern), len(entries)


def rate(texts: list[str], scan: Any) -> dict[str, Any]:
    """Items per second of `scan` over the texts (and how many had a hit)."""
    started = time.process_time()  # CPU time: the machine is shared, wall time is noisy
    hits = sum(1 for t in texts if scan(t))
    seconds = time.process_time() - started
    return {"items": len(texts), "seconds": round(seconds, 3),
            "items_per_s": round(len(texts) / seconds) if seconds else None,
            "with_hits": hits}  # fmt: skip


def dictionary_hits(detectors: Detectors, path: Path) -> dict[str, Any]:
    """How many words of a dictionary file the detectors flag, and which."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    words = [w.strip() for w in text.splitlines() if w.strip()]
    flagged = [w for w in words if detectors.detect(w)]
    return {"file": str(path), "words": len(words), "flagged": len(flagged),
            "flagged_share": round(len(flagged) / len(words), 5) if words else None,
            "examples": flagged[:40]}  # fmt: skip


def main() -> int:
    """Run the benchmark and print the results (a table, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--dictionary", type=Path, action="append", default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rows = load_labelled()
    texts = [rows[i % len(rows)]["text"] for i in range(args.items)]
    detectors = Detectors.from_lists()
    regex, entries = combined_regex()

    def regex_scan(text: str) -> bool:
        return any(True for _ in regex.finditer(text.lower()))

    best: dict[str, dict[str, Any]] = {}
    for _ in range(max(1, args.repeat)):
        for name, scan in (("detectors", detectors.detect), ("regex", regex_scan)):
            result = rate(texts, scan)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    ratio = best["detectors"]["items_per_s"] / best["regex"]["items_per_s"]
    results: dict[str, Any] = {
        "throughput": {
            **best,
            "regex_entries": entries,
            "ratio": round(ratio, 3),
            "target": TARGET,
            "pass": ratio >= TARGET,
        },  # fmt: skip
        "precision": evaluate(detectors, rows),
        "dictionaries": [dictionary_hits(detectors, p) for p in args.dictionary],
    }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    t = results["throughput"]
    print(f"detectors: {t['detectors']['items_per_s']:>9,} items/s  "
          f"regex ceiling ({entries} entries): {t['regex']['items_per_s']:>9,} items/s  "
          f"ratio {t['ratio']:.2f} (target {TARGET}) "
          f"{'PASS' if t['pass'] else 'FAIL'}")  # fmt: skip
    p = results["precision"]
    print(f"\nlabelled sample: {p['items']} items")
    print(f"{'category':<15}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}")
    for category, c in p["categories"].items():
        print(f"{category:<15}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}"
              f"{c['precision'] if c['precision'] is not None else '-':>11}"
              f"{c['recall'] if c['recall'] is not None else '-':>8}")  # fmt: skip
    for d in results["dictionaries"]:
        print(
            f"\n{d['file']}: {d['flagged']} of {d['words']} words flagged: "
            + ", ".join(d["examples"])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
