"""Search latency: `somed search`'s query (storage.search) on a synthetic 1,000,000-item archive.

The archive is built by somed's own opener and migrations (the Swedish FTS5 index of
`m022_search_swedish`, its triggers), then filled in bulk: multi-row INSERTs of synthetic items
(4 platforms, 20 accounts, posts, comments, replies and messages over three years) whose texts are
drawn from a Swedish vocabulary with a Zipf-like tail, so some words are in a tenth of all items
and most in very few. Then a fixed mix of queries like people type them (a common word, a rare
one, a prefix such as `skol*`, two words, a phrase, the same with --account, --since or
--direction), each timed end to end through `storage.search.search` with the CLI's limit (50
newest hits with snippets) on a warm page cache; p50, p95 and the slowest are reported against
the target of a p95 under 50 ms. CPU time per query (the thread's) is given beside the wall
time: on a shared machine it is the steadier figure.

    .venv/bin/python bench/search.py [--items 1000000] [--rounds 5] [--json] [--dir D] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.db import connect, insert_rows, transaction  # noqa: E402
from storage.search import search  # noqa: E402

TARGET_P95_MS = 50.0
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
WORDS = """
skolan skolans skolor skola förskolan kommunen kommunens vatten vattnet avstängt gatan gator
storgatan bygglov bygget väg vägen vägarbete snöröjning snön sopor soporna återvinning
biblioteket biblioteks öppettider öppet stängt sommar sommaren vinter vintern år året åren
budget budgeten skatt skatten äldreomsorg hemtjänst vården vårdcentral simhall simhallen
idrottshall fotboll parken lekplats lekplatsen buss bussen busshållplats tåg tåget pendling
parkering parkeringen trafik trafiken olycka brand räddningstjänsten polisen krisen kris
information informationen möte mötet fullmäktige nämnden beslut beslutet förslag förslaget
tack hej fråga frågan svar svaret varför när hur vem vad imorgon idag igår vecka veckan
barn barnen föräldrar elever lärare rektor personal personalen mat maten lunch matsal
ström strömavbrott elen värme värmen fjärrvärme avlopp avloppet kokning koka dricksvatten
""".split()  # noqa: SIM905 - a word list reads best as text


STOP = "och i att det som på är för en med till av om inte har vi de ni kan ska".split()  # noqa: SIM905


def vocabulary(size: int = 50_000) -> list[str]:
    """Words by rank: function words first, the real words next, then a long made-up tail."""
    rng = random.Random(7)
    letters = "abcdefghijklmnoprstuvyåäö"
    tail = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)}
    return STOP + WORDS + sorted(tail - set(WORDS) - set(STOP))


def texts(rng: random.Random, words: list[str], count: int) -> list[str]:
    """Texts of 6 to 30 words, ranks log-uniform (Zipf-like: rank r drawn ~ 1/r), some '?'."""
    top = math.log(len(words))
    out = []
    for _ in range(count):
        picked = [words[int(math.exp(rng.random() * top)) - 1]
                  for _ in range(rng.randint(6, 30))]  # fmt: skip
        text = " ".join(picked).capitalize()
        out.append(text + ("?" if rng.random() < 0.2 else "."))
    return out


COLUMNS = ("platform", "id", "account", "kind", "parent_id", "thread_id", "direction",
           "author_id", "author_name", "text", "created_at", "url", "first_seen_at",
           "last_seen_at", "sha256", "version_count")  # fmt: skip


def build(path: Path, items: int) -> dict[str, Any]:
    """A fresh archive at `path` with `items` synthetic items; the time it took."""
    rng = random.Random(42)
    words = vocabulary()
    db = connect(path)
    started = time.perf_counter()
    platforms = ("facebook", "instagram", "x", "youtube")
    kinds = ("post", "comment", "comment", "comment", "reply", "reply", "message")
    chunk = 20_000
    for first in range(0, items, chunk):
        count = min(chunk, items - first)
        rows = []
        for n, text in zip(range(first, first + count), texts(rng, words, count), strict=True):
            kind = kinds[n % len(kinds)]
            platform = platforms[n % 4]
            created = START + SPAN * (n / items) + timedelta(seconds=rng.randint(0, 3600))
            stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append((platform, str(n), f"konto-{n % 20:02d}-{platform}", kind, None, str(n),
                         "own" if kind == "post" else "incoming", "1", "Namn", text, stamp,
                         f"https://example.org/{n}", stamp, stamp, f"{n:064x}", 1))  # fmt: skip
        with transaction(db):
            insert_rows(db, "items", COLUMNS, rows)
    seconds = time.perf_counter() - started
    db.execute("ANALYZE")
    db.close()
    return {"items": items, "build_s": round(seconds, 1),
            "db_mb": round(path.stat().st_size / 1e6, 1)}  # fmt: skip


QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("skolan", {}),
    ("skol*", {}),
    ("vatten*", {}),
    ("år", {}),
    ("strömavbrott", {}),
    ("fjärrvärme", {}),
    ("bygglov storgatan", {}),
    ('"dricksvatten koka"', {}),
    ("brand räddningstjänsten", {}),
    ("simhall*", {"direction": "incoming"}),
    ("kommunen", {"accounts": ["konto-02-x"]}),
    ("snö*", {"since": START + timedelta(days=900)}),
    ("polisen", {"kinds": ["message"]}),
    ("tack", {"since": START + timedelta(days=1000), "until": START + timedelta(days=1030)}),
]


def rare_queries(count: int) -> list[tuple[str, dict[str, Any]]]:
    """Words from the vocabulary's tail (each in a handful of items), and prefixes of them."""
    tail = vocabulary()[len(STOP) + len(WORDS) + 5000 :]
    rng = random.Random(3)
    picked = rng.sample(tail, count)
    half = count // 2
    return [(w, {}) for w in picked[:half]] + [(w[:4] + "*", {}) for w in picked[half:]]


def measure(path: Path, rounds: int) -> dict[str, Any]:
    """Time every query `rounds` times (after one warm-up pass): p50, p95, max in ms."""
    from storage.db import connect_readonly

    db = connect_readonly(path)
    mix = QUERIES + rare_queries(16)
    for query, filters in mix:  # warm the page cache, as a running server would be
        search(db, query, limit=50, **filters)
    times: list[float] = []
    cpu: list[float] = []
    per_query: dict[str, list[float]] = {}
    per_query_cpu: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for _ in range(rounds):
        for query, filters in mix:
            label = query + (f" {sorted(filters)}" if filters else "")
            started, started_cpu = time.perf_counter(), time.thread_time()
            found = search(db, query, limit=50, **filters)
            spent = (time.perf_counter() - started) * 1000
            cpu.append((time.thread_time() - started_cpu) * 1000)
            per_query_cpu.setdefault(label, []).append(cpu[-1])
            times.append(spent)
            per_query.setdefault(label, []).append(spent)
            hits[label] = len(found)
    from storage.search import fts_query

    count = "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?"
    matches = {q: db.execute(count, [fts_query(q)]).fetchone()[0] for q, _ in QUERIES}
    db.close()
    times.sort()
    cpu.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    cpu_p95 = cpu[max(0, int(len(cpu) * 0.95) - 1)]
    slowest = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    return {
        "queries": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(times[-1], 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(cpu_p95, 2),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "target_p95_ms": TARGET_P95_MS,
        "met": p95 < TARGET_P95_MS,
        "slowest_median_ms": {k: round(statistics.median(v), 2) for k, v in slowest},
        "cpu_median_ms": {k: round(statistics.median(v), 2) for k, v in per_query_cpu.items()},
        "matching_items": matches,
        "hits_returned": hits,
    }


def main() -> int:
    """Build, measure, print (a table, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="Where the archive is built.")
    parser.add_argument("--keep", action="store_true", help="Keep the archive afterwards.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="somed-search-", dir=args.dir))
    try:
        built = build(folder / "somed.db", args.items)
        results = {"archive": built, **measure(folder / "somed.db", args.rounds)}
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(f"archive: {built['items']:,} items built in {built['build_s']} s, {built['db_mb']} MB")
    print(f"search: {results['queries']} queries, p50 {results['p50_ms']} ms, p95 "
          f"{results['p95_ms']} ms (target < {TARGET_P95_MS:.0f} ms: "
          f"{'met' if results['met'] else 'missed'}), slowest {results['max_ms']} ms; CPU p50 "
          f"{results['cpu_p50_ms']} ms, p95 {results['cpu_p95_ms']} ms; load "
          f"{results['load_average']}")  # fmt: skip
    for label, ms in results["slowest_median_ms"].items():
        print(f"  {ms:8.2f} ms  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
