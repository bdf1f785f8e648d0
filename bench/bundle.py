"""Bundle benchmark: `somed bundle` over a large synthetic archive, beside `tar` + `sha256sum`.

A synthetic archive of `--items` items (default 100,000: posts, comments, replies and messages
over two years on four accounts, one per platform, 2 % with an edit) and `--media-mb` of media
(default 2,048 MB: files of 50 KB to 5 MB of random bytes, named by their real SHA-256, each
linked to one post) is built with bulk SQL into a database made by somed's own opener and
migrations. Then `somed bundle --all-accounts` runs in a child process once per format; its
wall time, the package's size, and the peak resident memory of the somed process and of its
whole process tree (the sum over the tree, sampled every 50 ms: PDF workers included) are
reported beside the ceiling measured in the same run on the package's own files: `tar -cf`
of the package folder plus `sha256sum` of every file in it (one read and one write, then one
more read, of the same bytes). Targets: the bundle's MB/s at least half the ceiling's; peak
RSS under 300 MB and flat as the bundle grows (`--scale 0.1` runs the same at a tenth).

    .venv/bin/python bench/bundle.py [--items 100000] [--media-mb 2048] [--scale 1,0.1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proc import descendants, kb, status  # noqa: E402

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 86400
PLATFORMS = ("facebook", "instagram", "x", "youtube")
RSS_TARGET_MB = 300
MIN_FILE, MAX_FILE = 50_000, 5_000_000


def config_text(root: Path) -> str:
    """A config with one account per platform and the organisation a bundle needs."""
    accounts = "".join(
        f'\n[[accounts]]\nkey = "bench-{p}"\nplatform = "{p}"\nid = "{p}-id"\n'
        f'url = "https://example.test/{p}"\ntoken_env = "SOMED_BENCH_{p.upper()}"\n'
        for p in PLATFORMS
    )
    return (
        f'[storage]\ndir = "{root}"\n\n[organisation]\nname = "Mora kommun"\n'
        f'identification_code = "212000-2171"\n{accounts}'
    )


def build(root: Path, items: int, media_bytes: int, seed: int = 9) -> Path:
    """Build the synthetic archive under `root`; the config's path."""
    media_bytes = int(media_bytes)
    from somed.config import load_config
    from somed.daemon import prepare_archive
    from storage.db import connect

    config_path = root / "somed.toml"
    config_path.write_text(config_text(root), encoding="utf-8")
    prepare_archive(load_config(config_path))
    db = connect(root / "somed.db")
    conn = db.conn
    now = int(NOW.timestamp())
    series = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
    conn.execute("BEGIN")
    conn.execute(
        f"{series} INSERT INTO items (platform, id, account, kind, parent_id, thread_id,"
        " direction, author_id, author_name, text, created_at, url, first_seen_at, last_seen_at,"
        " sha256, version_count, extra)"
        " SELECT p, p || '-' || i, 'bench-' || p, k, CASE WHEN k = 'post' THEN NULL"
        " ELSE p || '-' || (i - i % 40) END, p || '-' || (i - i % 40),"
        " CASE WHEN k = 'post' THEN 'own' ELSE 'incoming' END, 'u' || (i % 7919),"
        " 'Användare ' || (i % 7919), 'Inlägg ' || i || ' om bygglov, skolan och vägarna i Mora"
        " kommun. Öppettider och kontaktuppgifter finns på webbplatsen.', c,"
        " 'https://example.test/' || p || '/' || i, c, c, printf('%064x', i), 1, '{}'"
        " FROM (SELECT i, CASE (i / 40) % 4 WHEN 0 THEN 'facebook' WHEN 1 THEN 'instagram'"
        " WHEN 2 THEN 'x' ELSE 'youtube' END AS p, CASE WHEN i % 40 = 0 THEN 'post'"
        " WHEN i % 40 > 35 THEN 'reply' ELSE 'comment' END AS k,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', ? - ((i / 40) * 2654435761) % ? + i % 40 * 60,"
        " 'unixepoch') AS c FROM n)",
        [items - 1, now, SPAN_SECONDS],
    )
    posts = [r[0] for r in conn.execute("SELECT platform || char(31) || id FROM items"
                                        " WHERE kind = 'post' ORDER BY rowid")]  # fmt: skip
    rng = random.Random(seed)
    written, n = 0, 0
    rows_media, rows_links = [], []
    while written < media_bytes and posts:
        size = min(rng.randint(MIN_FILE, MAX_FILE), media_bytes - written)
        data = os.urandom(max(size, 1))
        digest = hashlib.sha256(data).hexdigest()
        rel = f"media/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        platform, item_id = posts[n % len(posts)].split("\x1f")
        rows_media.append((digest, "image/jpeg", len(data), rel, "2026-01-01T00:00:00Z"))
        rows_links.append((platform, item_id, f"m{n}", f"https://cdn.test/{n}.jpg", "photo",
                           digest, n // len(posts)))  # fmt: skip
        written += len(data)
        n += 1
    conn.executemany("INSERT INTO media (sha256, mime_type, size, path, first_seen_at)"
                     " VALUES (?, ?, ?, ?, ?)", rows_media)  # fmt: skip
    conn.executemany("INSERT INTO item_media (platform, item_id, media_key, source_url, kind,"
                     " sha256, position) VALUES (?, ?, ?, ?, ?, ?, ?)", rows_links)  # fmt: skip
    conn.execute(
        "INSERT INTO item_versions (platform, item_id, version, seen_at, sha256, text, media,"
        "  extra, raw) SELECT platform, id, 1, first_seen_at, sha256, text, coalesce((SELECT"
        " json_group_array(media_key) FROM item_media AS l WHERE l.platform = items.platform"
        " AND l.item_id = items.id), '[]'), extra, json_object('id', id, 'message', text)"
        " FROM items"
    )
    conn.execute(
        "INSERT INTO item_versions (platform, item_id, version, seen_at, sha256, text, media,"
        " extra, raw) SELECT platform, id, 2, last_seen_at, printf('%063xe', rowid),"
        " text || ' (rättad)', '[]', extra, json_object('id', id) FROM items WHERE rowid % 50 = 7"
    )
    conn.execute(
        "UPDATE items SET version_count = 2, text = text || ' (rättad)' WHERE rowid % 50 = 7"
    )
    conn.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return config_path


# --- memory of a process tree ------------------------------------------------------------------


class TreeSampler:
    """Peak VmHWM of one process and peak summed VmRSS of its whole tree, every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.self_kb = 0
        self.tree_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.self_kb = max(self.self_kb, kb(status(self.pid).get("VmHWM")))
            tree = [self.pid, *descendants(self.pid)]
            total = sum(kb(status(p).get("VmRSS")) for p in tree)
            self.tree_kb = max(self.tree_kb, total)


# --- the runs ----------------------------------------------------------------------------------


def folder_bytes(path: Path) -> tuple[int, int]:
    """(bytes, files) of everything under `path`."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def run_bundle(config: Path, fmt: str, out: Path) -> dict[str, Any]:
    """`somed bundle --all-accounts --format FMT --out OUT` in a child: wall, size, memory."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "somed", "--config", str(config), "bundle", "--all-accounts",
               "--format", fmt, "--out", str(out)]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)  # fmt: skip
    sampler = TreeSampler(child.pid)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    if child.returncode != 0:
        why = stderr.strip()
        raise SystemExit(f"somed bundle --format {fmt} failed ({child.returncode}): {why}")
    package = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    size, files = folder_bytes(package)
    return {"format": fmt, "wall_s": wall, "bytes": size, "files": files, "path": str(package),
            "mb_s": size / 1e6 / wall, "self_mb": sampler.self_kb / 1024,
            "tree_mb": sampler.tree_kb / 1024, "printed": stdout.strip()[-300:]}  # fmt: skip


def ceiling(package: Path, work: Path) -> dict[str, Any]:
    """`tar -cf` of the package, then `sha256sum` of each of its files: wall and MB/s."""
    size, _ = folder_bytes(package)
    tar_path = work / "ceiling.tar"
    started = time.perf_counter()
    subprocess.run(["tar", "-cf", str(tar_path), "-C", str(package.parent), package.name],
                   check=True)  # fmt: skip
    tar_s = time.perf_counter() - started
    files = [str(p) for p in package.rglob("*") if p.is_file()]
    started = time.perf_counter()
    for start in range(0, len(files), 2000):
        subprocess.run(["sha256sum", *files[start:start + 2000]], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    sum_s = time.perf_counter() - started
    tar_path.unlink()
    wall = tar_s + sum_s
    return {"wall_s": wall, "tar_s": tar_s, "sha256sum_s": sum_s, "mb_s": size / 1e6 / wall}


def rendition_times(config_path: Path, work: Path) -> dict[str, float]:
    """The rendition alone, as the bundle makes it: HTML only, and HTML with PDF/A (seconds)."""
    from somed.bundle.rendition import write_renditions
    from somed.bundle.staging import Staging
    from somed.config import load_config
    from storage.db import connect_readonly
    from storage.register import register_rows

    config = load_config(config_path)
    db = connect_readonly(config.db_path)
    try:
        accounts = [dict(row) for row in register_rows(db).values()]
        times = {}
        for name, pdf in (("html_s", False), ("html_pdf_s", True)):
            staging = Staging(work / f"rendition-{name}", "r")
            started = time.perf_counter()
            write_renditions(staging, db, accounts, None, None, payload="data", media_paths={},
                             pdf=pdf)  # fmt: skip
            times[name] = time.perf_counter() - started
            staging.abort()
        return times
    finally:
        db.close()


def measure(items: int, media_mb: float, formats: list[str], work: Path) -> dict[str, Any]:
    """Build an archive of this size, bundle it in each format, and measure the ceiling."""
    root = work / f"archive-{items}"
    root.mkdir(parents=True)
    started = time.perf_counter()
    config = build(root, items, int(media_mb * 1e6))
    result: dict[str, Any] = {"items": items, "media_mb": media_mb,
                              "build_s": time.perf_counter() - started, "runs": []}  # fmt: skip
    for fmt in formats:
        out = work / f"out-{items}-{fmt}"
        run = run_bundle(config, fmt, out)
        run["ceiling"] = ceiling(Path(run["path"]), work)
        run["ratio"] = run["mb_s"] / run["ceiling"]["mb_s"]
        result["runs"].append(run)
        shutil.rmtree(out)
    result["rendition"] = rendition_times(config, work)
    shutil.rmtree(root)
    return result


def render(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table."""
    lines = ["| items | media MB | format | package MB | files | somed s | somed MB/s | ceiling s"
             " | ceiling MB/s | ratio | somed RSS MB | tree RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for result in results:
        for run in result["runs"]:
            c = run["ceiling"]
            lines.append(
                f"| {result['items']:,} | {result['media_mb']:,.0f} | {run['format']} |"
                f" {run['bytes'] / 1e6:,.0f} | {run['files']:,} | {run['wall_s']:.1f} |"
                f" {run['mb_s']:.0f} | {c['wall_s']:.1f} | {c['mb_s']:.0f} | {run['ratio']:.2f} |"
                f" {run['self_mb']:.0f} | {run['tree_mb']:.0f} |"
            )
    lines.append("\n| items | rendition, HTML only s | rendition, HTML + PDF/A s |\n|---|---|---|")
    for result in results:
        r = result.get("rendition") or {}
        lines.append(f"| {result['items']:,} | {r.get('html_s', 0):.1f} |"
                     f" {r.get('html_pdf_s', 0):.1f} |")  # fmt: skip
    lines.append(f"\nTargets: ratio >= 0.5; RSS < {RSS_TARGET_MB} MB and flat across sizes.")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark at each scale and print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--media-mb", type=float, default=2048)
    parser.add_argument("--scale", default="1,0.1", help="comma-separated fractions of the size")
    parser.add_argument("--formats", default="fgs,bagit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=ROOT / "bench" / "out") as tmp:
        for fraction in (float(f) for f in args.scale.split(",")):
            results.append(measure(max(40, int(args.items * fraction)), args.media_mb * fraction,
                                   args.formats.split(","), Path(tmp)))  # fmt: skip
    print(render(results))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
