"""Every platform's first archive and idle poll beside its own plain-fetch ceiling.

Each platform brings a `bench/platform_<name>.py` whose `measure(work, items)` serves a
generated account of about `items` items from its emulator (in a child process), archives it
with somed, polls it again with nothing new, and measures in the same run its two ceilings
(`store_ceiling`): the plain fetch (the same walk with plain `requests`, JSON decoded, plus the
media files somed downloaded, nothing stored) and the same-schema insert of the rows somed
stored. The ratio is somed's rate to the lower of the two. This module finds those modules,
runs each in turn and renders one table; `archive_throughput.py --platforms N` appends it
to its report.

    .venv/bin/python bench/all_platforms.py [--items N] [--rounds R] [--json]

With `--rounds R` each platform is measured R times, the platforms taking turns, and the
fastest first archive is held against the best of each ceiling (the figures of one noisy
round on a shared 2-core machine swing by a fifth); every round's own ratio is printed too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from as_deployed import compile_sources

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 0.5


def modules() -> list[str]:
    """The platform benchmark modules in this folder, by name."""
    return sorted(path.stem for path in HERE.glob("platform_*.py"))


def measure_all(work: Path, items: int, rounds: int = 1) -> list[dict[str, Any]]:
    """Run every platform's `measure` `rounds` times, the platforms taking turns (so a slow
    spell of the machine falls on all of them); a platform that fails is reported, not fatal."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    taken: dict[str, list[dict[str, Any]]] = {name: [] for name in modules()}
    for turn in range(max(1, rounds)):
        for name, results in taken.items():
            folder = work / f"{name}-{turn}"
            folder.mkdir(parents=True, exist_ok=True)
            try:
                result = importlib.import_module(name).measure(folder, items)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - one platform must not hide the rest
                result = {"error": f"{type(exc).__name__}: {exc}",
                          "trace": traceback.format_exc(limit=3)}  # fmt: skip
            results.append({"module": name, **result})
    return [best_of(results) for results in taken.values()]


def best_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One platform's rounds as one result: the fastest first archive beside the best of each
    ceiling (as `archive_throughput.py --repeat` reports Facebook), each round's ratio kept."""
    good = [r for r in rounds if "error" not in r and r.get("ceilings")]
    if len(good) < 2:
        return good[0] if good else rounds[0]
    fastest = max(good, key=lambda r: row(r)["items_per_s"] or 0.0)
    fetch = max(r["ceilings"]["fetch_items_per_s"] for r in good)
    insert = max(r["ceilings"]["insert_items_per_s"] for r in good)
    lower = min(fetch, insert)
    ceilings = {
        **fastest["ceilings"], "fetch_items_per_s": fetch, "insert_items_per_s": insert,
        "lower_items_per_s": lower, "lower": "fetch" if lower == fetch else "insert",
    }  # fmt: skip
    return {**fastest, "ceilings": ceilings, "ratio": (row(fastest)["items_per_s"] or 0) / lower,
            "round_ratios": [round(row(r)["ratio"] or 0.0, 2) for r in good]}  # fmt: skip


def _pick(data: dict[str, Any] | None, *names: str) -> Any:
    """The first of `names` that `data` has (the platform modules name a few figures apart)."""
    for name in names:
        if data and data.get(name) is not None:
            return data[name]
    return None


def row(result: dict[str, Any]) -> dict[str, Any]:
    """One platform's figures under common names."""
    first = result.get("first_archive") or {}
    idle = result.get("idle_poll") or {}
    ceilings = result.get("ceilings") or {}
    rate = _pick(first, "items_per_s", "items_per_second")
    ceiling_rate = ceilings.get("lower_items_per_s")
    ratio = _pick(result, "ratio")
    if ratio is None and rate and ceiling_rate:
        ratio = rate / ceiling_rate
    per_stream = _pick(idle, "requests_per_stream")
    return {
        "platform": result.get("platform") or result["module"].removeprefix("platform_"),
        "mode": result.get("mode"),
        "items": _pick(first, "items"),
        "items_per_s": rate,
        "requests_per_1000": _pick(first, "requests_per_1000_items"),
        "units_per_1000": _pick(first, "quota_units_per_1000_items"),
        "fetch_items_per_s": ceilings.get("fetch_items_per_s"),
        "insert_items_per_s": ceilings.get("insert_items_per_s"),
        "ceiling_items_per_s": ceiling_rate,
        "ratio": ratio,
        "ratio_pass": ratio is not None and ratio >= TARGET_RATIO,
        "idle_requests_per_stream": per_stream,
        "idle_pass": per_stream is not None and per_stream <= 1.0,
        "error": result.get("error"),
    }


def render(results: list[dict[str, Any]]) -> str:
    """The platforms' table, with a verdict per target."""
    lines = ["", "every platform: first archive and idle poll beside the lower of two ceilings, "
             "plain fetch (API walk + the media somed downloaded) and same-schema insert",
             f"{'platform':<22} {'items':>7} {'items/s':>9} {'req/1000':>9} {'units/1000':>10} "
             f"{'fetch/s':>9} {'insert/s':>9} {'ratio':>6} {'idle req/stream':>16}"]  # fmt: skip
    for result in results:
        r = row(result)
        name = r["platform"] + (f" ({r['mode']})" if r["mode"] else "")
        if r["error"]:
            lines.append(f"{name:<22} failed: {r['error']}")
            continue
        lines.append(
            f"{name:<22} {_n(r['items'], 0):>7} {_n(r['items_per_s'], 0):>9} "
            f"{_n(r['requests_per_1000'], 1):>9} {_n(r['units_per_1000'], 1):>10} "
            f"{_n(r['fetch_items_per_s'], 0):>9} {_n(r['insert_items_per_s'], 0):>9} "
            f"{_n(r['ratio'], 2):>6} "
            f"{_n(r['idle_requests_per_stream'], 2):>16}"
        )
        if result.get("round_ratios"):
            lines.append(f"{'':<22} rounds' own ratios: "
                         + ", ".join(f"{x:.2f}" for x in result["round_ratios"]))  # fmt: skip
    verdicts = []
    for result in results:
        r = row(result)
        if r["error"]:
            continue
        ratio = "PASS" if r["ratio_pass"] else "MISS"
        idle = "PASS" if r["idle_pass"] else "MISS"
        name = r["platform"] + (f" ({r['mode']})" if r["mode"] else "")
        verdicts.append(
            f"{name}: ratio >= {TARGET_RATIO} {ratio}, idle poll <= 1 request per stream {idle}"
        )
    return "\n".join([*lines, *verdicts])


def _n(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    compile_sources()  # as installed (see as_deployed)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000, help="items per account (20000)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds per platform, taking turns; the best of each figure is "
                             "reported with each round's ratio (1)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="somed-bench-platforms-") as work:
        results = measure_all(Path(work), args.items, args.rounds)
    print(json.dumps(results, indent=2, default=str) if args.json else render(results))
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
