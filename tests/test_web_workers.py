"""`somed web` with `[web] workers = 2`, started as a user starts it: a supervising process and two
worker processes serve one signed session, the bundle worker builds each job exactly once (in the
supervisor), and SIGTERM ends every process cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from storage import bundle_jobs
from storage.db import connect
from tests.public_pages_support import NOW
from tests.web_own_site import NO_CAPTURES, own_site
from tests.web_support import PASSWORD, SESSION_KEY, WebSite, free_port

pytestmark = pytest.mark.xdist_group("web-workers")  # its own archive: a worker of its own
ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Served:
    """The site, the `somed web` process, its URL and its log file."""

    site: WebSite
    proc: subprocess.Popen[bytes]
    base: str
    log: Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children...), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo archive served by `python -m somed web` with two worker processes."""
    folder = tmp_path_factory.mktemp("web-workers")
    with own_site(folder, "workers = 2\n" + NO_CAPTURES) as site:
        port = free_port()
        log = folder / "web.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "somed", "--config", str(site.config.path), "web",
                 "--listen", f"127.0.0.1:{port}"],
                cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(base + "/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        try:
            yield Served(site, proc, base, log)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)


def workers(served: Served) -> list[int]:
    """The pids of the worker processes (spawned by multiprocessing, each serving the app)."""
    found = []
    for pid in descendants(served.proc.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--multiprocessing-fork" in argv and not any(b"resource_tracker" in a for a in argv):
            found.append(pid)
    return found


def signed_in(base: str, name: str) -> requests.Session:
    """A session signed in through the real form; every request on a new connection (so the
    requests spread over the worker processes, as a proxy's do)."""
    browser = requests.Session()
    browser.headers["Connection"] = "close"
    token = CSRF.search(browser.get(base + "/login", timeout=30).text)
    assert token
    done = browser.post(base + "/login", data={"username": name, "password": PASSWORD,
                                               "csrf_token": token.group(1), "next": "/"},
                        allow_redirects=False, timeout=30)  # fmt: skip
    assert done.status_code == 303, done.text[:500]
    return browser


def test_two_workers_serve_one_session_and_no_secret_is_in_their_argv(served) -> None:
    pids = workers(served)
    assert len(pids) == 2, descendants(served.proc.pid)
    browser = signed_in(served.base, "registrar")
    for _ in range(12):  # whichever worker answers, the session cookie is good there
        page = browser.get(served.base + "/", allow_redirects=False, timeout=30)
        assert page.status_code == 200 and "Rut Registrator" in page.text
    parent_env = set(Path(f"/proc/{served.proc.pid}/environ").read_bytes().split(b"\0"))
    for pid in [served.proc.pid, *pids]:
        assert SESSION_KEY.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        # the key reaches a worker through spawn's pipe: its environment is its parent's
        assert set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")) <= parent_env


def follow(browser: requests.Session, url: str, timeout: float = 180) -> str:
    """GET `url` as the refreshing bundles page does until it stops refreshing."""
    deadline = time.monotonic() + timeout
    while True:
        html = browser.get(url, timeout=30).text
        if 'http-equiv="refresh"' not in html:
            return html
        assert time.monotonic() < deadline, "the bundle was not finished in time"
        time.sleep(0.3)


def test_each_bundle_job_is_built_once_by_the_supervising_process(served) -> None:
    browser = signed_in(served.base, "registrar")
    key = served.site.config.accounts[0].key
    since = (NOW - timedelta(days=7)).date()
    made = []
    for _ in range(3):  # each POST served by either worker: the jobs wait in the database
        token = CSRF.search(browser.get(served.base + "/bundles", timeout=30).text)
        assert token
        asked = browser.post(served.base + "/bundles", allow_redirects=False, timeout=30,
                             data={"csrf_token": token.group(1), "account": key,
                                   "since": str(since), "until": "", "format": "fgs"})  # fmt: skip
        assert asked.status_code == 303, asked.text[:500]
        made.append(int(asked.headers["location"].split("job=")[1]))
    follow(browser, f"{served.base}/bundles?job={made[-1]}")
    db = connect(served.site.config.db_path)
    try:
        jobs = [bundle_jobs.get_job(db, job_id) for job_id in made]
    finally:
        db.close()
    for job in jobs:
        assert job is not None and job.state == "done" and job.verify_ok, job
        assert job.worker_pid == served.proc.pid  # the supervisor's worker, not a web worker's
    zips = sorted((served.site.config.storage_dir / "bundles").rglob("*.zip"))
    assert len(zips) == len(made) == len({job.path for job in jobs if job})
    log = served.log.read_text(errors="replace")
    for job_id in made:
        assert len(re.findall(rf"bundle job {job_id}: \S+ made", log)) == 1, log[-3000:]


def test_sigterm_ends_the_supervisor_and_every_worker(served) -> None:
    everyone = descendants(served.proc.pid)
    assert len(workers(served)) == 2
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(30) == 0, served.log.read_text()[-3000:]
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in everyone):
        assert time.monotonic() < deadline, [p for p in everyone if alive(p)]
        time.sleep(0.1)
    log = served.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    with pytest.raises(requests.ConnectionError):
        requests.get(served.base + "/login", timeout=5)


def test_the_workers_listening_socket_says_tcp_so_asyncio_sets_nodelay() -> None:
    import socket

    from somed.web.serve import tcp_socket

    made = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn's bind_socket makes it
    assert made.proto == 0
    sock = tcp_socket(made)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # accepted connections inherit it
    finally:
        sock.close()
