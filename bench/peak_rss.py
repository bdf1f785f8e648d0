"""Peak memory of a first archive with photos of several sizes: `somed archive` in a subprocess.

A Graph page on loopback (the hostile-server toolkit of the tests, serving planted JSON) has
text posts with comments, and on a few posts one photo each; the photos of one run all have the
same size, streamed by the server from a generator (never held whole on either side of the
socket except where somed holds them). Each size is archived into a fresh folder by
`somed --config ... archive` in its own process, and that process's peak resident set size is
read from the kernel (`wait4` rusage `ru_maxrss`, the VmHWM of the child).

    .venv/bin/python bench/peak_rss.py [--sizes-mb 1,16,64] [--photos 8] [--json]
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' hostile-server toolkit lives in tests/hostile

from werkzeug.wrappers import Request, Response  # noqa: E402

from tests.hostile.graph import TOKEN, TOKEN_ENV, HostileGraph, comment, post  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHUNK = 1 << 20
TARGET_MB = 200


def _photo(request: Request, match: Any) -> Response:
    """A PNG of the size the name asks for (`photo-<bytes>-<n>.png`), streamed in 1 MB chunks."""
    _, size_text, n = match.group(1).removesuffix(".png").split("-")
    size = int(size_text)
    head = PNG_MAGIC + f"somed-bench-photo-{n}-{size}".encode()  # distinct bytes per photo

    def body() -> Iterator[bytes]:
        yield head
        left = size - len(head)
        block = bytes(CHUNK)
        while left > 0:
            yield block[: min(CHUNK, left)]
            left -= CHUNK

    return Response(body(), status=200, content_type="image/png", direct_passthrough=True,
                    headers={"Content-Length": str(size)})  # fmt: skip


def plant(graph: HostileGraph, posts: int, comments: int, photos: int, size: int) -> None:
    """Text posts with comments; the first `photos` posts carry one photo of `size` bytes."""
    graph.page_size = 100
    for n in range(posts):
        raw = post(n)
        raw["comments"] = {"data": [comment(raw["id"], n * comments + c) for c in range(comments)]}
        if n < photos:
            url = graph.cdn_url(f"photo-{size}-{n}.png")
            raw["attachments"] = {"data": [{"media_type": "photo", "type": "photo",
                                            "target": {"id": f"77{n:06d}"},
                                            "media": {"image": {"src": url}}}]}  # fmt: skip
        graph.posts.append(raw)
    graph.server.override(r"/cdn/(photo-\d+-\d+\.png)", _photo)


def archive_in_child(config: Path) -> tuple[int, float, int, str]:
    """Run `somed archive` in a child process; return its exit code, wall time, peak RSS (kB)."""
    env = {**os.environ, TOKEN_ENV: TOKEN}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "somed", "--config", str(config), "archive"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert child.stdout is not None
    output = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - started, int(usage.ru_maxrss), output


def measure(sizes_mb: list[float], posts: int, comments: int, photos: int,
            parent: str | None) -> dict[str, Any]:  # fmt: skip
    """Archive the page once per photo size (and once without photos); peak RSS of each run."""
    work = Path(tempfile.mkdtemp(prefix="somed-rss-", dir=parent))
    runs: list[dict[str, Any]] = []
    try:
        for size_mb in [0.0, *sizes_mb]:
            graph = HostileGraph()
            size = int(size_mb * (1 << 20))
            plant(graph, posts, comments, photos if size else 0, size)
            endpoint = graph.start()
            storage = work / f"archive-{size}"
            config = work / f"somed-{size}.toml"
            config.write_text("\n".join(["[storage]", f'dir = "{storage}"',
                                         *graph.config_lines(endpoint)]) + "\n",
                              encoding="utf-8")  # fmt: skip
            try:
                code, wall, rss_kb, output = archive_in_child(config)
            finally:
                graph.stop()
            stored = sum(p.stat().st_size for p in (storage / "media").rglob("*") if p.is_file())
            runs.append({"photo_mb": size_mb, "photos": photos if size else 0, "exit": code,
                         "wall_s": wall, "peak_rss_mb": rss_kb / 1024,
                         "media_stored_mb": stored / (1 << 20),
                         "output": output.strip().splitlines()[-3:]})  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    peak = max(r["peak_rss_mb"] for r in runs)
    return {"posts": posts, "comments_per_post": comments, "runs": runs, "peak_rss_mb": peak,
            "spread_mb": peak - min(r["peak_rss_mb"] for r in runs), "target_mb": TARGET_MB,
            "pass": peak < TARGET_MB and all(r["exit"] == 0 for r in runs)}  # fmt: skip


def render(result: dict[str, Any]) -> str:
    """The runs as a small table."""
    lines = [f"peak RSS of `somed archive` ({result['posts']} posts x "
             f"{result['comments_per_post']} comments; photos as below)", "",
             "photo size   photos  exit  wall s  stored MB  peak RSS MB"]  # fmt: skip
    for r in result["runs"]:
        lines.append(f"{r['photo_mb']:>7.1f} MB  {r['photos']:>6}  {r['exit']:>4}  "
                     f"{r['wall_s']:>6.2f}  {r['media_stored_mb']:>9.1f}  "
                     f"{r['peak_rss_mb']:>11.1f}")  # fmt: skip
    verdict = "PASS" if result["pass"] else "MISS"
    lines.append(f"\npeak {result['peak_rss_mb']:.0f} MB, spread {result['spread_mb']:.0f} MB "
                 f"(target: flat, under {result['target_mb']} MB) {verdict}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes-mb",
        default="1,16,48,64",
        help="photo sizes in MiB (1,16,48,64; the default image cap is 50)",
    )
    parser.add_argument("--photos", type=int, default=8, help="photos per run (8)")
    parser.add_argument("--posts", type=int, default=300, help="posts on the page (300)")
    parser.add_argument("--comments", type=int, default=5, help="comments per post (5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--dir", help="parent folder for the temporary archives (system temp)")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes_mb.split(",") if s.strip()]
    result = measure(sizes, args.posts, args.comments, args.photos, args.dir)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
