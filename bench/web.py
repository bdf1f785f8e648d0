"""Web UI latency: `somed web`'s search, thread and overview pages on a 1,000,000-item archive.

The archive is `bench/search.py`'s synthetic one (somed's own opener and migrations, bulk
INSERTs through the real FTS5 triggers: four platforms, 20 accounts, three years of Swedish
texts with a Zipf-like tail), plus one Facebook post with a thread of 500 comments and replies
(some edited, with two versions; some deleted), 200 open flags on its comments, a config that
lists the 20 accounts (the overview reads `somed.status.account_status`) and one local user per
role (`somed.users.add_local_user`). It is cached under `bench/out/` by its parameters, so a
second run starts at once (`--rebuild` builds it again).

The real server is started as a user would: `python -m somed --config X web --listen
127.0.0.1:PORT` in a child process (with `[web] workers` worker processes, one per CPU up to four
unless `--workers N`; the server's CPU time is that of the process and all below it). Every
simulated user signs in through the `/login` form (its own session, as the registrar: the widest
view), then the pages are fetched by 1 and by 20 users at once on loopback, each case bounded
by `--requests` and `--seconds`. Each request comes on a new connection, as the TLS proxy opens
one per request to `somed web` (nginx's `proxy_pass` default); `--keep-alive` keeps one per
user instead (then a worker process keeps the connections it accepted: asyncio accepts those
that wait in a batch, so twenty users starting at once may nearly all land on one worker).

- overview `/`;
- search `/search?q=WORD`, page 1, for a word in many items and one in few;
- thread `/items/facebook/<post>` of the 500-comment post.

Per case: p50 and p95 of the server's own time (the app's `Server-Timing: app;dur=X` header,
from the request's arrival in the app to the response's start) and of the client's wall time,
beside the same queries run directly on the same file with `sqlite3` connections (one per
thread, the same 1 or 20 threads) as the ceiling. Targets: search and thread p95 under 100 ms
with one user and under 500 ms with 20, and no errors. A page that this branch does not have
is reported as "404: page not on this branch".

    .venv/bin/python bench/web.py [--items 1000000] [--requests 200] [--seconds 30]
        [--users 1,20] [--pages thread] [--workers N] [--keep-alive] [--json] [--dir bench/out]
        [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import requests  # noqa: E402
import search as search_bench  # noqa: E402  (bench/search.py: the 1,000,000-item generator)
from proc import descendants  # noqa: E402  (bench/proc.py)

BUILD_VERSION = 1  # raise when the archive's contents change: the cache is then rebuilt
COMMENTS = 500
FLAGS = 200
PASSWORD = "bänk-lösenord-för-mätning"  # noqa: S105 - the bench users' password
SESSION_ENV = "SOMED_BENCH_SESSION_KEY"
THREAD_PLATFORM = "facebook"
THREAD_ACCOUNT = "konto-00-facebook"
THREAD_POST = "bench-thread-post"
USERS = {
    "admin": ("admin", "Ada Admin"),
    "registrar": ("registrar", "Rut Registrator"),
    "editor": ("editor", "Erik Redaktör"),
    "reader": ("reader", "Lars Läsare"),
}
TARGETS_MS = {1: 100.0, 20: 500.0}  # p95 of search and thread pages, by concurrent users
TARGETED = ("search", "thread")
PLATFORMS = ("facebook", "instagram", "x", "youtube")


def account_keys() -> list[str]:
    """The 20 account keys of `bench/search.py`'s archive (item n is in account n % 20)."""
    return [f"konto-{n:02d}-{PLATFORMS[n % 4]}" for n in range(20)]


def config_text(folder: Path) -> str:
    """The somed config of the bench archive: storage, the web section, the 20 accounts."""
    lines = [
        "[storage]", f"dir = {json.dumps(str(folder))}", "",
        "[ui]", 'language = "sv"', "",
        "[web]", "secure_cookies = false", f'session_key_env = "{SESSION_ENV}"', "",
    ]  # fmt: skip
    for n, key in enumerate(account_keys()):
        lines += ["[[accounts]]", f'key = "{key}"', f'platform = "{PLATFORMS[n % 4]}"',
                  f'id = "bench{n:02d}"', f'token_env = "SOMED_BENCH_TOKEN_{n:02d}"']  # fmt: skip
        if key == THREAD_ACCOUNT:
            lines += [f'editor = "{USERS["editor"][1]}"']
        lines.append("")
    return "\n".join(lines)


THREAD_COLUMNS = ("platform", "id", "account", "kind", "parent_id", "thread_id", "direction",
                  "author_id", "author_name", "text", "created_at", "edited_at", "url",
                  "first_seen_at", "last_seen_at", "deleted_at", "sha256",
                  "version_count")  # fmt: skip


def add_thread(db: Any, items: int, comments: int) -> None:
    """One own post with `comments` comments and replies, some edited or deleted, and flags."""
    from storage.db import insert_rows, transaction
    from storage.flags import open_flag

    rng = random.Random(500)
    words = search_bench.vocabulary()
    texts = search_bench.texts(rng, words, comments + 1)
    posted = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a recent post
    stamp = posted.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [(THREAD_PLATFORM, THREAD_POST, THREAD_ACCOUNT, "post", None, THREAD_POST, "own",
             "bench00", "Kommunen", texts[0], stamp, None, f"https://example.org/{THREAD_POST}",
             stamp, stamp, None, f"{items:064x}", 1)]  # fmt: skip
    versions = [(THREAD_PLATFORM, THREAD_POST, 1, stamp, f"{items:064x}", texts[0], None)]
    top: list[str] = []
    for n in range(1, comments + 1):
        item_id = f"bench-thread-c{n:03d}"
        reply = bool(top) and n % 5 == 0  # every fifth answers an earlier comment
        parent = rng.choice(top) if reply else THREAD_POST
        if not reply:
            top.append(item_id)
        at = (posted + timedelta(minutes=3 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        edited = n % 25 == 0
        deleted = at if n % 40 == 0 else None
        digest = f"{items + n:064x}"
        rows.append((THREAD_PLATFORM, item_id, THREAD_ACCOUNT, "reply" if reply else "comment",
                     parent, THREAD_POST, "incoming", f"person{n % 97}", f"Person {n % 97}",
                     texts[n], at, at if edited else None, f"https://example.org/{item_id}", at,
                     at, deleted, digest, 2 if edited else 1))  # fmt: skip
        if edited:
            first = f"{items + comments + n:064x}"
            versions.append((THREAD_PLATFORM, item_id, 1, at, first, texts[n - 1], None))
        versions.append((THREAD_PLATFORM, item_id, 2 if edited else 1, at, digest, texts[n],
                         at if edited else None))  # fmt: skip
    with transaction(db):
        insert_rows(db, "items", THREAD_COLUMNS, rows)
        insert_rows(db, "item_versions", ("platform", "item_id", "version", "seen_at", "sha256",
                                          "text", "edited_at"), versions)  # fmt: skip
    now = posted + timedelta(days=1)
    for n in range(1, min(FLAGS, comments) + 1):
        open_flag(db, THREAD_ACCOUNT, ("profanity", "personal_data", "hate")[n % 3],
                  reason="bench", item=(THREAD_PLATFORM, f"bench-thread-c{n:03d}"),
                  now=now)  # fmt: skip


def pick_words(db: Any) -> dict[str, Any]:
    """A word in many items and one in few (10 to 100 if there is one), with their counts."""
    count = "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?"
    common = "skolan"
    rare, rare_hits = None, 0
    for word, _ in search_bench.rare_queries(200):
        if word.endswith("*"):
            continue
        hits = db.execute(count, [f'"{word}"']).fetchone()[0]
        if hits and (rare is None or (10 <= hits <= 100 and not 10 <= rare_hits <= 100)):
            rare, rare_hits = word, hits
            if 10 <= hits <= 100:
                break
    return {"common": common, "common_hits": db.execute(count, [common]).fetchone()[0],
            "rare": rare or "fjärrvärme", "rare_hits": rare_hits}  # fmt: skip


def build_archive(folder: Path, items: int, comments: int) -> dict[str, Any]:
    """Build (or reuse) the cached bench archive in `folder`; its description."""
    meta_path = folder / "bench-web.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["cached"] = True
        return meta
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    from somed.config import load_config
    from somed.daemon import prepare_archive
    from somed.users import add_local_user
    from storage.db import connect

    started = time.perf_counter()
    built = search_bench.build(folder / "somed.db", items)
    (folder / "somed.toml").write_text(config_text(folder), encoding="utf-8")
    config = load_config(folder / "somed.toml")
    prepare_archive(config)  # the account register, as the daemon records it
    db = connect(config.db_path)
    try:
        add_thread(db, items, comments)
        now = datetime.now(UTC)
        for name, (role, full_name) in USERS.items():
            add_local_user(db, name, role, PASSWORD, full_name=full_name, by="bench", now=now)
        words = pick_words(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    seconds = round(time.perf_counter() - started, 1)
    meta = {"items": items, "comments": comments, "build_s": seconds,
            "db_mb": round(config.db_path.stat().st_size / 1e6, 1), "words": words,
            "items_build_s": built["build_s"], "cached": False}  # fmt: skip
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`somed web` in a child process, as a user starts it."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "web.log"
        env = {**os.environ, SESSION_ENV: "bench-session-key-0123456789abcdefghij"}
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "somed", "--config", str(folder / "somed.toml"), "web",
                 "--listen", f"127.0.0.1:{self.port}",
                 *(["--workers", str(workers)] if workers else [])],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120  # the first start may migrate the cached archive
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"somed web exited: {self.log.read_text()[-2000:]}")
            try:
                requests.get(self.base + "/login", timeout=2)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("somed web did not start in 120 s") from None
                time.sleep(0.2)

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serving_processes(pid: int) -> int:
    """How many processes serve requests: the worker processes under `pid`, else `pid` alone."""
    workers = 0
    for one in descendants(pid):
        try:
            argv = Path(f"/proc/{one}/cmdline").read_bytes()
        except OSError:
            continue
        workers += b"--multiprocessing-fork" in argv and b"resource_tracker" not in argv
    return workers or 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and those below it (all their threads)."""
    total = 0.0
    for one in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(pid: int, limit: float = 120.0) -> float:
    """Wait until the server idles (requests a client gave up on may still run); seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        time.sleep(0.25)
        if cpu_seconds(pid) - before < 0.025:  # under a tenth of a core
            break
    return round(time.monotonic() - started, 1)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(base: str, name: str) -> requests.Session:
    """A `requests` session signed in through the real `/login` form."""
    browser = requests.Session()
    form = browser.get(base + "/login", timeout=30)
    match = CSRF.search(form.text)
    if not match:
        raise RuntimeError(f"no CSRF token on /login ({form.status_code})")
    done = browser.post(base + "/login", data={"username": name, "password": PASSWORD,
                                               "csrf_token": match.group(1), "next": "/"},
                        allow_redirects=False, timeout=30)  # fmt: skip
    if done.status_code != 303:
        raise RuntimeError(f"sign-in as {name} refused: {done.status_code}")
    return browser


SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


def drive(
    work: list[Callable[[], dict[str, Any]]], total: int, seconds: float
) -> list[dict[str, Any]]:
    """Run `work[i]` in thread i in a loop until `total` calls or `seconds`; every result."""
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    issued = 0

    def loop(call: Callable[[], dict[str, Any]]) -> None:
        nonlocal issued
        while True:
            with lock:
                if issued >= total or time.monotonic() > deadline:
                    return
                issued += 1
            result = call()
            with lock:
                results.append(result)

    threads = [threading.Thread(target=loop, args=(call,)) for call in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def page_call(
    browser: requests.Session, url: str, timeout: float = 60.0
) -> Callable[[], dict[str, Any]]:
    """One GET of `url`: status, server ms (Server-Timing), wall ms, bytes."""

    def call() -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = browser.get(url, allow_redirects=False, timeout=timeout)
        except requests.RequestException as exc:
            return {"status": None, "error": type(exc).__name__,
                    "wall_ms": (time.perf_counter() - started) * 1000}  # fmt: skip
        wall = (time.perf_counter() - started) * 1000
        match = SERVER_TIMING.search(response.headers.get("server-timing", ""))
        return {"status": response.status_code, "wall_ms": wall,
                "server_ms": float(match.group(1)) if match else None,
                "bytes": len(response.content)}  # fmt: skip

    return call


class Spy:
    """py-spy sampling the server while one case runs; the hottest frames of our code."""

    def __init__(self, binary: str, pid: int, folder: Path) -> None:
        self.out = folder / f"py-spy-{pid}.raw"
        self.proc = subprocess.Popen(
            [binary, "record", "--pid", str(pid), "--format", "raw", "--output", str(self.out),
             "--rate", "200", "--nonblocking", "--subprocesses"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)  # py-spy attaches

    def stop(self, top: int = 25) -> list[tuple[float, str]]:
        """End the recording; (share of samples in %, frame) of the frames in somed's code."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        inclusive: dict[str, int] = {}
        total = 0
        for line in self.out.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            if not any(OUR_CODE.search(f) for f in frames) or not count.isdigit():
                continue  # the event loop waiting, uvicorn parsing: not the page's work
            total += int(count)
            for frame in set(frames):
                if OUR_CODE.search(frame) or "sqlite" in frame or "jinja" in frame:
                    inclusive[frame] = inclusive.get(frame, 0) + int(count)
        self.out.unlink(missing_ok=True)
        ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
        return [(round(100 * n / max(1, total), 1), frame) for frame, n in ranked]


OUR_CODE = re.compile(r"\((somed|storage|connectors)/(?!cli|__main__)|\.j2:")


# --- the ceilings: the pages' queries straight on SQLite -----------------------------------

ITEM_COLUMNS = (
    "platform, account, kind, id, parent_id, thread_id, direction, author_id, author_name, text,"
    " created_at, edited_at, url, first_seen_at, last_seen_at, deleted_at, sha256,"
    " version_count, extra"
)


def ceiling_calls(folder: Path, words: dict[str, Any], page_size: int) -> dict[str, Any]:
    """Per page, a factory of one query run (on a fresh read-only connection per thread)."""
    from somed.config import load_config
    from somed.duties.windows import current_window
    from somed.status import account_status
    from somed.web.pages.thread import PAGE_ITEMS
    from storage.captures import latest_capture
    from storage.db import connect_readonly
    from storage.queries import assemble_records
    from storage.search import search

    config = load_config(folder / "somed.toml")

    def overview(db: Any) -> None:
        now = datetime.now(UTC)
        rows = account_status(config, db, now=now)
        window = current_window(now, config.capture.windows)
        for row in rows:
            latest_capture(db, row["key"], verdict="valid", since=window.start)
        db.execute(
            "SELECT id, account, kind, requested_by, requested_at, state, started_at,"
            " finished_at FROM run_requests ORDER BY state IN ('queued', 'running') DESC,"
            " id DESC LIMIT 20"
        ).fetchall()

    def searcher(word: str) -> Callable[[Any], None]:
        def run(db: Any) -> None:
            search(db, word, limit=page_size + 1)  # as the page asks: one more, for "next"

        return run

    def thread(db: Any) -> None:
        # the thread page's queries (somed/web/pages/thread.py): the item, the shape of its
        # thread by thread_id, one page's items in full, what `assemble_records` attaches
        # (versions, media, flags, registry numbers, disposals), the seen times of items with
        # versions, the captures of their permalinks; no Python shaping beyond that
        found = db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE platform = ? AND id = ?",
                           [THREAD_PLATFORM, THREAD_POST]).fetchall()  # fmt: skip
        assert found
        shape = "id, parent_id, thread_id, kind, created_at"  # the tree and its pages
        db.execute(
            f"SELECT {shape} FROM items WHERE thread_id = :root AND platform = :platform"
            f" UNION SELECT {shape} FROM items WHERE platform = :platform AND id = :root"
            " ORDER BY created_at, id LIMIT :limit",
            {"root": THREAD_POST, "platform": THREAD_PLATFORM, "limit": 5001},
        ).fetchall()
        cursor = db.execute(  # the first page's items in full (about PAGE_ITEMS of them)
            f"SELECT {ITEM_COLUMNS} FROM items WHERE thread_id = :root AND platform = :platform"
            f" UNION SELECT {ITEM_COLUMNS} FROM items WHERE platform = :platform AND id = :root"
            " ORDER BY created_at, id LIMIT :limit",
            {"root": THREAD_POST, "platform": THREAD_PLATFORM, "limit": PAGE_ITEMS},
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        records = list(assemble_records(db, rows))
        several = [r["id"] for r in records if r["versions"]]
        db.execute(
            "SELECT item_id, version, seen_at FROM item_versions WHERE platform = ?"
            " AND item_id IN (SELECT value FROM json_each(?)) ORDER BY item_id, version",
            [THREAD_PLATFORM, json.dumps(several)],
        ).fetchall()
        urls = json.dumps(sorted({r["url"] for r in records if r["url"]}))
        db.execute(
            "SELECT * FROM captures WHERE url_asked IN (SELECT value FROM json_each(:u))"
            " OR url_fetched IN (SELECT value FROM json_each(:u))"
            " OR final_url IN (SELECT value FROM json_each(:u)) ORDER BY started_at, id",
            {"u": urls},
        ).fetchall()

    queries = {"overview": overview, "search common": searcher(words["common"]),
               "search rare": searcher(words["rare"]), "thread": thread}  # fmt: skip

    def factory(name: str) -> Callable[[], dict[str, Any]]:
        query = queries[name]
        own: list[Any] = []  # this caller's connection (one caller per thread, as the server)

        def call() -> dict[str, Any]:
            if not own:
                own.append(connect_readonly(config.db_path))
            db = own[0]
            started = time.perf_counter()
            try:
                query(db)
            except Exception as exc:  # noqa: BLE001 - counted as an error of the ceiling
                return {"status": None, "error": repr(exc)[:200],
                        "wall_ms": (time.perf_counter() - started) * 1000}  # fmt: skip
            return {"status": 200, "wall_ms": (time.perf_counter() - started) * 1000}

        return call

    return {"factory": factory}


# --- measuring and reporting ---------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of `values`, or None if there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """n, errors, p50/p95 of server and wall time, the median size of the responses."""
    ok = [r for r in results if r.get("status") == 200]
    server = [r["server_ms"] for r in ok if r.get("server_ms") is not None]
    wall = [r["wall_ms"] for r in ok]
    statuses: dict[str, int] = {}
    for r in results:
        if r.get("status") != 200:
            label = str(r.get("status") or r.get("error"))
            statuses[label] = statuses.get(label, 0) + 1
    sizes = [r["bytes"] for r in ok if "bytes" in r]
    return {"n": len(results), "errors": len(results) - len(ok), "error_kinds": statuses,
            "p50_server_ms": pct(server, 0.5), "p95_server_ms": pct(server, 0.95),
            "p50_wall_ms": pct(wall, 0.5), "p95_wall_ms": pct(wall, 0.95),
            "kb": round(statistics.median(sizes) / 1024, 1) if sizes else None}  # fmt: skip


def route_exists(path: str) -> bool:
    """Whether this checkout's web app has a page whose route matches `path`."""
    from starlette.routing import Match, Route

    from somed.web.routing import all_pages

    scope = {"type": "http", "path": path, "method": "GET"}
    for page in all_pages():
        route = Route(page.path, lambda request: None, methods=list(page.methods))
        if route.matches(scope)[0] == Match.FULL:
            return True
    return False


def verdict(page: str, users: int, row: dict[str, Any]) -> str:
    """met / missed against the issue's targets (search and thread), or "-" (no target)."""
    if row.get("missing"):
        return "not on branch"
    kind = page.split()[0]
    if kind not in TARGETED or users not in TARGETS_MS:
        return "no errors" if row["errors"] == 0 else "errors"
    p95 = row["p95_server_ms"]
    ok = row["errors"] == 0 and p95 is not None and p95 < TARGETS_MS[users]
    return f"{'met' if ok else 'missed'} (< {TARGETS_MS[users]:.0f} ms)"


def measure(args: argparse.Namespace, folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Start the server, sign in, time every page at every concurrency, then the ceilings."""
    from somed.config import load_config

    config = load_config(folder / "somed.toml")
    words = meta["words"]
    pages = {  # the overview last: at 20 users it may leave the server busy for minutes
        "search common": f"/search?q={words['common']}",
        "search rare": f"/search?q={words['rare']}",
        "thread": f"/items/{THREAD_PLATFORM}/{THREAD_POST}",
        "overview": "/",
    }
    if args.pages:
        pages = {k: v for k, v in pages.items() if k.split()[0] in args.pages}
    levels = sorted({int(u) for u in args.users.split(",")})
    ceilings = ceiling_calls(folder, words, config.web.page_size)
    rows: list[dict[str, Any]] = []
    load_before = [round(x, 2) for x in os.getloadavg()]
    server = Server(folder, args.workers)
    workers = serving_processes(server.proc.pid)
    try:
        browsers = [signed_in(server.base, args.role) for _ in range(max(levels))]
        if not args.keep_alive:  # a connection per request, as nginx's proxy_pass opens them
            for browser in browsers:
                browser.headers["Connection"] = "close"
        for page, url in pages.items():
            path = url.split("?")[0]
            if not route_exists(path):
                for users in levels:
                    rows.append({"page": page, "url": url, "users": users, "missing": True,
                                 "note": "404: page not on this branch"})  # fmt: skip
                continue
            for _ in range(args.warmup):
                page_call(browsers[0], server.base + url, args.timeout)()
            for users in levels:
                work = [page_call(b, server.base + url, args.timeout) for b in browsers[:users]]
                if users > 1 and args.warmup:  # every user's first request, untimed
                    drive(work, users, args.seconds)
                waited = settle(server.proc.pid)
                row = {"page": page, "url": url, "users": users, "settled_s": waited,
                       "load_1min": round(os.getloadavg()[0], 1)}  # fmt: skip
                spied = args.py_spy and users == 1
                spy = Spy(args.py_spy, server.proc.pid, folder) if spied else None
                cpu = cpu_seconds(server.proc.pid)
                row.update(summary(drive(work, args.requests, args.seconds)))
                # the server's CPU time per answered request: steadier than wall time when the
                # machine is shared (a case's timed-out requests still count their CPU here)
                spent = cpu_seconds(server.proc.pid) - cpu
                answered = row["n"] - row["errors"]
                row["cpu_ms"] = round(1000 * spent / answered, 1) if answered else None
                if spy is not None:
                    row["profile"] = spy.stop()
                # the ceiling right after, on the same machine load, once the server idles
                row["settled_s"] += settle(server.proc.pid)
                queries = [ceilings["factory"](page) for _ in range(users)]
                if args.warmup:  # each connection's page cache warmed, as the server's are
                    drive(queries, users * (args.warmup if users == 1 else 1), args.seconds)
                ceiling = summary(drive(queries, args.requests, args.seconds))
                row["p50_ceiling_ms"] = ceiling["p50_wall_ms"]
                row["p95_ceiling_ms"] = ceiling["p95_wall_ms"]
                row["ceiling_n"] = ceiling["n"]
                row["ceiling_errors"] = ceiling["errors"]
                rows.append(row)
    finally:
        server.stop()
    for row in rows:
        row["verdict"] = verdict(row["page"], row["users"], row)
    return {"archive": meta, "role": args.role, "requests": args.requests,
            "seconds": args.seconds, "rows": rows, "workers": workers,
            "connections": "kept" if args.keep_alive else "one per request",
            "load_before": load_before,
            "load_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
            "server_log_tail": server.log.read_text(errors="replace")[-1500:]}  # fmt: skip


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    head = ("| page | users | n | p50 server ms | p95 server ms | p50 wall ms | p95 wall ms "
            "| p50 SQLite ms | p95 SQLite ms | server CPU ms | KB | errors | load "
            "| target |")  # fmt: skip
    lines = [head, "|" + "---|" * 14]

    def f(value: Any) -> str:
        return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    for r in results["rows"]:
        if r.get("missing"):
            lines.append(f"| {r['page']} | {r['users']} | - | {r['note']} |  |  |  |  |  |  |  "
                         "|  |  | not on branch |")  # fmt: skip
            continue
        errors = str(r["errors"]) + (f" {r['error_kinds']}" if r["errors"] else "")
        lines.append(
            f"| {r['page']} | {r['users']} | {r['n']} | {f(r['p50_server_ms'])} "
            f"| {f(r['p95_server_ms'])} | {f(r['p50_wall_ms'])} | {f(r['p95_wall_ms'])} "
            f"| {f(r.get('p50_ceiling_ms'))} | {f(r.get('p95_ceiling_ms'))} | {f(r['cpu_ms'])} "
            f"| {f(r['kb'])} "
            f"| {errors} | {r['load_1min']} | {r['verdict']} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Build or reuse the archive, measure, print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=COMMENTS, help="Of the thread's post.")
    parser.add_argument("--requests", type=int, default=200, help="Per page and concurrency.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Per page and concurrency.")
    parser.add_argument("--users", default="1,20", help="Concurrent users, comma-separated.")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="Seconds before a request counts as an error.")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=3, help="Untimed requests per page.")
    parser.add_argument("--role", default="registrar", choices=sorted(USERS))
    parser.add_argument("--keep-alive", action="store_true", help="Each user keeps one "
                        "connection (by default each request comes on a new one, as behind the "
                        "proxy; kept connections stay with the worker that accepted them).")
    parser.add_argument("--workers", type=int, help="somed web's worker processes (default: "
                        "[web] workers, one per CPU up to four).")  # fmt: skip
    parser.add_argument("--pages", nargs="*", choices=("overview", "search", "thread"))
    parser.add_argument("--py-spy", metavar="BIN", help="Profile each page's 1-user case with "
                        "this py-spy binary; the hottest frames are printed.")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", type=Path, default=BENCH / "out",
                        help="Where the archive is cached (by its parameters).")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="Build the archive again.")
    parser.add_argument("--no-cache", action="store_true",
                        help="Build in a temporary folder, removed afterwards.")  # fmt: skip
    args = parser.parse_args()
    if args.no_cache:
        args.dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="somed-web-", dir=args.dir))
    else:
        folder = args.dir / f"web-{args.items}-items-{args.comments}-comments-v{BUILD_VERSION}"
    if args.rebuild:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        meta = build_archive(folder, args.items, args.comments)
        results = measure(args, folder, meta)
    finally:
        if args.no_cache:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    words = meta["words"]
    how = "cached" if meta["cached"] else f"built in {meta['build_s']} s"
    print(f"archive: {meta['items']:,} items + a post with {meta['comments']} comments, "
          f"{meta['db_mb']} MB, {how}"
          f"; search words: {words['common']!r} ({words['common_hits']:,} items), "
          f"{words['rare']!r} ({words['rare_hits']:,})")  # fmt: skip
    print(f"somed web with {results['workers']} worker process(es), "
          f"connections {results['connections']}; "
          f"signed in as {results['role']}; per case at most {results['requests']} requests "
          f"or {results['seconds']:g} s; load average {results['load_before']} before, "
          f"{results['load_after']} after, {results['cpus']} CPUs")  # fmt: skip
    print(table(results))
    for row in results["rows"]:
        if row.get("profile"):
            print(f"\npy-spy, {row['page']} (1 user): share of the samples in our code")
            for share, frame in row["profile"]:
                print(f"  {share:5.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
