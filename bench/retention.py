"""Retention benchmark: plan and apply over a large synthetic archive, beside a plain DELETE.

A synthetic archive of `--items` items (default 1,000,000) on four platforms is built with bulk
SQL into a database made by somed's own opener and migrations (WAL, every index, the FTS5
triggers, append-only versions): one version each with raw JSON, one attachment link per 50
items (each file shared by two items), 1 % of the items flagged `hate`. Its rules are the
example's defaults in spirit: own items and messages kept, flagged items kept, comments and
replies disposed of when no longer current (1 year), so about half the archive goes.

Each phase runs in a child process of its own, so its peak resident memory (`wait4` rusage
`ru_maxrss`) is its own: `plan` (`plan_from_archive`), `apply` (`apply_plan`: the plan
recomputed inside the transaction, tombstones, content cleared, versions, links and orphaned
media deleted, files removed, the FTS index merged), and the ceiling `delete` on a copy of the
same archive: a plain SQL `DELETE` of the same items and their versions and links (the
append-only triggers dropped first; the FTS delete trigger still runs, as it must).
The target: apply's items/s at least a quarter of the plain delete's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400  # items created over the three years before NOW
RULES = {
    "not_current_after": "1y",
    "rules": [
        {"name": "egna", "decision": "KS 1 §1", "direction": "own", "keep": True},
        {"name": "meddelanden", "decision": "KS 1 §2", "kind": "message", "keep": True},
        {"name": "kommentarer", "decision": "KS 1 §3", "kind": ["comment", "reply"],
         "direction": "incoming", "dispose_when_not_current": True},
        {"name": "flaggade", "decision": "KS 1 §4", "priority": 10, "flags": ["hate"],
         "keep": True},
    ],
}  # fmt: skip


def build(root: Path, items: int) -> Path:
    """Build the synthetic archive under `root` with bulk SQL; the database path."""
    from storage.db import connect

    db = connect(root / "somed.db")
    now = int(NOW.timestamp())
    series = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
    conn = db.conn
    conn.execute("BEGIN")
    conn.execute(
        f"{series} INSERT INTO items (platform, id, account, kind, parent_id, thread_id,"
        " direction, author_id, author_name, text, created_at, url, first_seen_at, last_seen_at,"
        " sha256, version_count, extra)"
        " SELECT p, p || '-' || i, p || '-konto-' || (i % 5), k, CASE WHEN k = 'post' THEN NULL"
        " ELSE p || '-' || (i - i % 10) END, p || '-' || (i - i % 10),"
        " CASE WHEN k = 'post' THEN 'own' ELSE 'incoming' END, 'u' || (i % 7919),"
        " 'Användare ' || (i % 7919), 'Kommentar ' || i || ' om bygglov och skolan ord'"
        " || (i % 50021) || ' i Mora kommun', c, 'https://example.test/' || i, c, c,"
        " printf('%064x', i), 1, '{\"likes\":' || (i % 13) || '}'"
        " FROM (SELECT i, CASE i % 4 WHEN 0 THEN 'facebook' WHEN 1 THEN 'instagram'"
        " WHEN 2 THEN 'x' ELSE 'youtube' END AS p, CASE i % 10 WHEN 0 THEN 'post' WHEN 9 THEN"
        " 'message' WHEN 7 THEN 'reply' WHEN 8 THEN 'reply' ELSE 'comment' END AS k,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', ? - (i * 2654435761) % ?, 'unixepoch') AS c FROM n)",
        [items - 1, now, SPAN_SECONDS],
    )
    conn.execute(
        "INSERT INTO item_versions (platform, item_id, version, seen_at, sha256, text, media,"
        " extra, raw) SELECT platform, id, 1, first_seen_at, sha256, text, '[]', extra,"
        " json_object('id', id, 'message', text, 'from', json_object('id', author_id, 'name',"
        " author_name), 'created_time', created_at) FROM items"
    )
    files = max(1, items // 100)
    media_dir = root / "media" / "ab" / "cd"
    media_dir.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        (media_dir / f"{n:064x}.jpg").write_bytes(b"\xff\xd8 bench photo %d" % n)
    conn.execute(
        f"{series} INSERT INTO media (sha256, mime_type, size, path, first_seen_at)"
        " SELECT printf('%064x', i), 'image/jpeg', 20, 'media/ab/cd/' || printf('%064x', i)"
        " || '.jpg', '2026-01-01T00:00:00Z' FROM n",
        [files - 1],
    )
    conn.execute(
        "INSERT INTO item_media (platform, item_id, media_key, source_url, kind, sha256,"
        " position) SELECT platform, id, 'm' || (rowid / 100), 'https://cdn.test/' || rowid,"
        " 'image', printf('%064x', (rowid / 100) % ?), 0 FROM items WHERE rowid % 50 = 2",
        [files],
    )
    conn.execute(
        "INSERT INTO flags (platform, item_id, account, flag, reason, details, created_at)"
        " SELECT platform, id, account, 'hate', 'moderation.hate', '{}', created_at FROM items"
        " WHERE rowid % 100 = 3"
    )
    conn.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return root / "somed.db"


def phase(name: str, root: Path) -> dict[str, Any]:
    """Run one phase in this process (the child side); what it measured."""
    from somed.config_retention import RetentionConfig
    from somed.retention.apply import apply_plan
    from somed.retention.plan import plan_from_archive
    from storage.db import connect

    config = RetentionConfig.model_validate(RULES)
    db = connect(root / "somed.db")
    if name == "plan":
        start = time.perf_counter()
        plan = plan_from_archive(db, config, NOW)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "examined": plan.examined, "dispose": len(plan.disposals),
                "items_per_s": plan.examined / seconds, "id": plan.id}  # fmt: skip
    if name == "apply":
        plan = plan_from_archive(db, config, NOW, with_bytes=False)
        start = time.perf_counter()
        done = apply_plan(db, config, plan.id, by="bench", now=NOW, storage_root=root)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "disposed": done.disposed, "files_removed":
                done.files_removed, "items_per_s": done.disposed / seconds}  # fmt: skip
    # the ceiling: the same items, deleted with plain SQL
    plan = plan_from_archive(db, config, NOW, with_bytes=False)
    keys = [(d.platform, d.item_id) for d in plan.disposals]
    for trigger in ("item_versions_no_delete", "item_raw_legacy_no_delete"):
        db.execute(f"DROP TRIGGER {trigger}")
    start = time.perf_counter()
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("CREATE TEMP TABLE k (platform TEXT, item_id TEXT,"
                 " PRIMARY KEY (platform, item_id)) WITHOUT ROWID")  # fmt: skip
    conn.executemany("INSERT INTO temp.k VALUES (?, ?)", keys)
    where = "(platform, {c}) IN (SELECT platform, item_id FROM temp.k)"
    conn.execute(f"DELETE FROM item_media WHERE {where.format(c='item_id')}")
    conn.execute(f"DELETE FROM item_versions WHERE {where.format(c='item_id')}")
    conn.execute(f"DELETE FROM items WHERE {where.format(c='id')}")
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "deleted": len(keys), "items_per_s": len(keys) / seconds}


def child(name: str, root: Path) -> dict[str, Any]:
    """Run a phase in a child process; its result with its own peak RSS."""
    proc = subprocess.Popen([sys.executable, __file__, "--phase", name, "--dir", str(root)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"phase {name} failed (exit {proc.returncode})")
    result = json.loads(out)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main() -> None:
    """Build, then plan, apply and the plain delete, each in a child; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items (1,000,000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--dir", help="parent folder for the temporary archives (system temp)")
    parser.add_argument("--phase", choices=["plan", "apply", "delete"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, Path(args.dir))))
        return
    work = Path(tempfile.mkdtemp(prefix="somed-retention-", dir=args.dir))
    try:
        somed_root, plain_root = work / "somed", work / "plain"
        somed_root.mkdir()
        start = time.perf_counter()
        db_path = build(somed_root, args.items)
        built = time.perf_counter() - start
        shutil.copytree(somed_root, plain_root)
        results: dict[str, Any] = {
            "items": args.items, "build_seconds": round(built, 1),
            "database_mb": round(db_path.stat().st_size / 1e6, 1),
        }  # fmt: skip
        results["plan"] = child("plan", somed_root)
        results["apply"] = child("apply", somed_root)
        results["delete"] = child("delete", plain_root)
        ratio = results["apply"]["items_per_s"] / results["delete"]["items_per_s"]
        results["apply_vs_delete"] = round(ratio, 3)
        results["target_met"] = ratio >= 0.25
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name in ("plan", "apply", "delete"):
        r = results[name]
        count = r.get("examined") or r.get("disposed") or r.get("deleted")
        print(f"{name:7} {r['seconds']:8.2f} s  {r['items_per_s']:>10,.0f} items/s"
              f"  ({count:,} items)  peak RSS {r['peak_rss_mb']} MB")  # fmt: skip
    print(f"apply / plain delete: {results['apply_vs_delete']:.2f} (target 0.25)")


if __name__ == "__main__":
    main()
