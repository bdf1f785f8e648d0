"""Crash safety: `somed archive` killed with SIGKILL at random moments loses and duplicates nothing.

The emulator runs in this process; somed runs as a real subprocess and is killed without warning
(no handlers run, no transaction is finished). After the kills a run to completion must leave an
archive equal to a clean reference archive made from the same emulator state.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from conftest import NOW, PAGE_ID, TOKEN_ENV, write_config

from connectors.facebook.emulator import generate_page
from storage.db import connect

SEED = 20250917
RUN_TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent


def somed_command() -> list[str]:
    """The somed command line, run by this interpreter."""
    return [sys.executable, "-m", "somed"]


def big_page(posts: int) -> Any:
    """A page whose full archive takes a second or more: comments, replies, images, messages."""
    return generate_page(
        PAGE_ID,
        "Storkommun",
        "storkommun",
        posts=posts,
        comments_per_post=5,
        replies_per_comment=1,
        newest=NOW - timedelta(hours=1),
        spacing=timedelta(hours=3),
        images_every=3,
        conversations=5,
        messages_per_conversation=6,
    )


class Archive:
    """One storage directory with its own config, archived by `somed archive` subprocesses."""

    def __init__(self, directory: Path, endpoint: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.config_path = write_config(directory, endpoint)
        self.storage = directory / "archive"
        self.db_path = self.storage / "somed.db"
        self.env = {
            **os.environ,
            TOKEN_ENV: os.environ[TOKEN_ENV],
            "SOMED_CONFIG": str(self.config_path),
            "SOMED_LANG": "en",
        }
        self.killed_pids: set[int] = set()

    def set_runner(self, key: str, value: str) -> None:
        """Set `[runner] key = value` (a TOML value) in this archive's config."""
        text = self.config_path.read_text(encoding="utf-8")
        line = f"{key} = {value}"
        self.config_path.write_text(
            text.replace("[runner]", f"[runner]\n{line}", 1)
            if "[runner]" in text
            else text + f"\n[runner]\n{line}\n",
            encoding="utf-8",
        )

    def start(self) -> subprocess.Popen[str]:
        """Start `somed archive` in the background."""
        return subprocess.Popen(
            [*somed_command(), "--config", str(self.config_path), "archive"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def complete(self) -> float:
        """Archive to completion; return the wall time it took."""
        started = time.monotonic()
        proc = self.start()
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
        assert proc.returncode == 0, f"somed archive failed:\n{out}\n{err}"
        return time.monotonic() - started

    def kill_after(
        self, delay: float, *, once_db_exists: bool = False, once_running: bool = False
    ) -> float | None:
        """SIGKILL a `somed archive` `delay` s after its start; None, or when it ended by itself.

        With `once_db_exists` the delay counts from the moment the database file appears; with
        `once_running` from the moment the process has opened its run in the run log (so a
        slow interpreter start on a loaded machine does not swallow the kill).
        """
        started = time.monotonic()
        proc = self.start()
        if once_db_exists:
            while not self.db_path.exists() and proc.poll() is None:
                time.sleep(0.001)
        if once_running:
            while proc.poll() is None and not self.has_run_of(proc.pid):
                time.sleep(0.005)
            started = time.monotonic()
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=RUN_TIMEOUT)
        if proc.returncode == -signal.SIGKILL:
            self.killed_pids.add(proc.pid)
            return None
        assert proc.returncode == 0, err
        return time.monotonic() - started

    def kill_repeatedly(
        self, rng: random.Random, duration: float, kills: int, *, inside_runs: bool = False
    ) -> None:
        """SIGKILL `kills` successive runs at random moments spread over `duration`.

        The moments are stratified and ascending, so each rerun gets further than the last.
        A rerun is quicker than the run it follows (what is stored is not stored again): when
        a run ends before its kill, the remaining moments spread afresh over that shorter run.
        """
        landed = attempts = spread_from = 0
        while landed < kills:
            attempts += 1
            assert attempts <= kills * 3, "the runs end too quickly to be killed"
            share = (landed - spread_from + rng.random()) / (kills - spread_from)
            lead = min(0.2, duration / 2)
            delay = lead + (duration - lead) * share
            finished_after = self.kill_after(delay, once_running=inside_runs)
            if finished_after is None:
                landed += 1
            else:  # the kills left spread over the shorter run, from its start
                duration, spread_from = finished_after, landed

    def kill_at_start(self, rng: random.Random) -> None:
        """SIGKILL one run while it opens the new database (migrations), one even earlier."""
        assert not self.db_path.exists()
        assert self.kill_after(rng.uniform(0.0, 0.02), once_db_exists=True) is None
        assert self.kill_after(rng.uniform(0.05, 0.3)) is None

    def export(self) -> list[dict[str, Any]]:
        """Export every item with `somed export` (JSON Lines)."""
        result = subprocess.run(
            [*somed_command(), "--config", str(self.config_path), "export"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=True,
            cwd=ROOT,
        )
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def has_run_of(self, pid: int) -> bool:
        """True once the process `pid` has opened a run in this archive's run log."""
        if not self.db_path.exists():
            return False
        try:  # read-only and without migrations: the process may be creating the schema
            with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
                return db.execute("SELECT 1 FROM runs WHERE pid = ?", [pid]).fetchone() is not None
        except sqlite3.Error:
            return False

    def last_run_seconds(self) -> float:
        """How long the newest run in the run log took (from its own record)."""
        return float(self.query("SELECT duration_seconds FROM runs ORDER BY id DESC LIMIT 1")[0][0])

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on the archive."""
        db = connect(self.db_path)
        try:
            return [tuple(row) for row in db.execute(sql).fetchall()]
        finally:
            db.close()


def comparable(item: dict[str, Any]) -> dict[str, Any]:
    """An exported item without what legitimately differs between two archives of one state."""
    item = {k: v for k, v in item.items() if k not in ("first_seen_at", "last_seen_at")}
    item["deleted"] = item.pop("deleted_at") is not None
    item["media"] = [media_identity(m) for m in item["media"]]
    item["versions"] = [
        {**{k: v for k, v in version.items() if k != "seen_at"},
         "media": [media_identity(m) for m in version["media"]]}
        for version in item["versions"]
    ]  # fmt: skip
    return item


def media_identity(media: dict[str, Any]) -> dict[str, Any]:
    """A media link without its signed CDN query string (it changes on every response)."""
    source = media.get("source_url")
    return {**media, "source_url": source.split("?", 1)[0] if source else source}


def assert_same_archive(victim: Archive, reference: Archive) -> dict[str, dict[str, Any]]:
    """The killed archive equals the clean one: items, versions, media files; no duplicates."""
    got, want = victim.export(), reference.export()
    got_ids = [item["id"] for item in got]
    assert len(got_ids) == len(set(got_ids)), "an item was exported twice"
    assert set(got_ids) == {item["id"] for item in want}
    by_id = {item["id"]: comparable(item) for item in got}
    for item in want:
        expected = comparable(item)
        actual = by_id[item["id"]]
        assert actual["text"] == expected["text"], item["id"]
        assert actual["sha256"] == expected["sha256"], item["id"]
        assert actual["versions"] == expected["versions"], item["id"]
        assert actual == expected, item["id"]

    assert victim.query("PRAGMA integrity_check") == [("ok",)]
    assert victim.query("PRAGMA foreign_key_check") == []
    media_sql = "SELECT sha256, mime_type, size, path FROM media ORDER BY sha256"
    media = victim.query(media_sql)
    assert media and media == reference.query(media_sql)
    for sha256, _mime, size, path in media:
        data = (victim.storage / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha256, path
    # every complete file is in the media table (a kill may leave a `.tmp-*.part` behind)
    files = {
        p.relative_to(victim.storage).as_posix()
        for p in (victim.storage / "media").rglob("*")
        if p.is_file() and not p.name.startswith(".tmp-")
    }
    assert files == {path for _, _, _, path in media}
    link_sql = "SELECT item_id, media_key, sha256 FROM item_media ORDER BY item_id, media_key"
    assert victim.query(link_sql) == reference.query(link_sql)
    return by_id


def assert_runs_recorded(victim: Archive) -> None:
    """Killed runs are "interrupted", never left "running"; every run not killed is "ok"."""
    runs = victim.query("SELECT id, status, pid FROM runs ORDER BY id")
    assert not [r for r in runs if r[1] == "running"], runs
    assert any(status == "ok" for _, status, _ in runs)
    interrupted = [r for r in runs if r[1] == "interrupted"]
    assert interrupted, "no kill landed inside a run"
    for run_id, status, pid in runs:
        if pid in victim.killed_pids:
            assert status in ("interrupted", "ok"), (run_id, status)
        else:
            assert status == "ok", (run_id, status, pid)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=400)])
    setup.emulator.usage_budget = 10**9  # no pacing: many runs within a minute are the point
    endpoint = setup.emulator.base_url
    reference = Archive(tmp_path / "reference", endpoint)
    victim = Archive(tmp_path / "victim", endpoint)

    duration = reference.complete()
    repeat_duration = reference.complete()  # a repeat run: nothing new, the whole window re-read
    rng = random.Random(SEED)
    victim.kill_at_start(rng)
    victim.kill_repeatedly(rng, duration, kills=6)  # the first archive, ever further
    victim.complete()
    victim.kill_repeatedly(rng, repeat_duration, kills=2)  # repeat runs: the re-read window
    victim.complete()

    assert len(victim.killed_pids) == 10
    by_id = assert_same_archive(victim, reference)
    assert len(by_id) > 400 * 11
    assert all(not item["versions"] and not item["deleted"] for item in by_id.values())
    assert_runs_recorded(victim)


def test_sigkill_during_an_incremental_run_after_edits_and_deletions(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=300)])
    emulator = setup.emulator
    emulator.usage_budget = 10**9
    # each answer takes 30 ms, as over a real network: the short incremental run then lasts
    # long enough on a fast machine for five kills to land inside it
    emulator.latency = 0.03
    reference = Archive(tmp_path / "reference", emulator.base_url)
    victim = Archive(tmp_path / "victim", emulator.base_url)
    reference.complete()
    victim.complete()

    before = {item["id"]: item for item in reference.export()}
    posts = sorted((i for i in before.values() if i["kind"] == "post"), key=lambda i: i["id"])
    comments = sorted((i for i in before.values() if i["kind"] == "comment"), key=lambda i: i["id"])
    rng = random.Random(SEED + 1)
    edited = [p["id"] for p in rng.sample(posts, 4)] + [c["id"] for c in rng.sample(comments, 4)]
    for item_id in edited:
        if before[item_id]["kind"] == "post":
            emulator.edit_post(item_id, f"Rättelse av {item_id}: nya öppettider.")
        else:
            emulator.edit_comment(item_id, f"Ändrad kommentar {item_id}.")
    doomed_post = next(p["id"] for p in posts if p["id"] not in edited)
    doomed_comments = [
        c["id"] for c in comments if c["id"] not in edited and c["thread_id"] != doomed_post
    ][:3]
    emulator.delete_post(doomed_post)
    for comment_id in doomed_comments:
        emulator.delete_comment(comment_id)
    new_post = emulator.add_post(PAGE_ID, "Ny information om vinterväghållningen.")
    new_comment = emulator.add_comment(posts[-1]["id"], "Gäller det även gång- och cykelvägar?")
    new_message = emulator.add_message(PAGE_ID, ("777", "Vera Vinter"), "Hej! När plogas det?")
    # a busy day: every post gets a comment, so the change-driven re-read reads each in full
    # and the run lasts long enough to be killed inside it, between its stored batches
    busy = [
        emulator.add_comment(p["id"], "Tack för infon!") for p in posts if p["id"] != doomed_post
    ]

    reference.complete()
    # the kills count from the moment each run is open, so they land inside it however slowly
    # the interpreter starts on a loaded machine
    victim.kill_repeatedly(rng, reference.last_run_seconds(), kills=5, inside_runs=True)
    assert len(victim.killed_pids) == 5
    victim.complete()

    by_id = assert_same_archive(victim, reference)
    for item_id in edited:
        assert [v["text"] for v in by_id[item_id]["versions"]] == [before[item_id]["text"]]
    assert by_id[doomed_post]["deleted"] and all(by_id[c]["deleted"] for c in doomed_comments)
    assert {new_post, new_comment, new_message, *busy} <= set(by_id)
    unchanged = set(before) - set(edited)
    assert all(not by_id[i]["versions"] for i in unchanged)
    assert_runs_recorded(victim)
