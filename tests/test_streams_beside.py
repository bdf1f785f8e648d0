"""Streams walked beside each other (`StreamSpec.beside`, `[runner] streams_beside`): the same
archive as one stream after another, killed runs resume without gaps or duplicates, and what
ends a run in a stream beside ends the whole run."""

from __future__ import annotations

import random
import threading
import time

from conftest import PAGE_ID, TOKEN, TOKEN_ENV
from test_crash_safety import SEED, Archive, assert_same_archive, big_page

from somed.daemon import prepare_archive
from somed.runner import Runner

ACCOUNT = {"key": "test-fb", "id": PAGE_ID, "token_env": TOKEN_ENV,
           "streams": ["profile", "visitor_posts"]}  # the visitors' posts walk beside alone
VISITORS = 150  # with the page's own posts, the feed listing takes several pages


def with_visitors(setup, count: int = VISITORS) -> list[str]:  # noqa: ANN001 - a test helper
    """Let members of the public post on the page's wall; their post ids."""
    return [setup.emulator.add_visitor_post(PAGE_ID, (f"90{n:04d}", f"Besökare {n}"),
                                            f"Hej kommunen, fråga nummer {n}")
            for n in range(count)]  # fmt: skip


def test_streams_beside_archive_what_one_after_another_archives(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=120)])
    setup.emulator.usage_budget = 10**9
    visitors = with_visitors(setup)
    reference = Archive(tmp_path / "reference", setup.emulator.base_url)
    reference.set_runner("streams_beside", "false")  # one stream after another
    beside = Archive(tmp_path / "beside", setup.emulator.base_url)
    reference.complete()
    beside.complete()
    assert_same_archive(beside, reference)
    stored = {item_id for (item_id,) in beside.query("SELECT id FROM items")}
    assert set(visitors) <= stored
    states = dict(beside.query("SELECT stream, status FROM stream_state"))
    assert states["visitor_posts"] == "ok" and states["messages"] == "ok"


def test_killed_runs_with_streams_beside_resume_without_gaps_or_duplicates(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=300)])
    setup.emulator.usage_budget = 10**9
    with_visitors(setup)
    setup.emulator.latency = 0.01  # every stream is still walking when the kills come
    reference = Archive(tmp_path / "reference", setup.emulator.base_url)
    reference.set_runner("streams_beside", "false")  # one stream after another
    victim = Archive(tmp_path / "victim", setup.emulator.base_url)
    duration = reference.complete()
    victim.kill_repeatedly(random.Random(SEED), duration, kills=4, inside_runs=True)
    victim.complete()
    assert_same_archive(victim, reference)


def test_a_token_refused_beside_ends_the_run(fb_setup):
    setup = fb_setup([big_page(posts=30)], accounts=[ACCOUNT])
    with_visitors(setup, 400)  # four listing pages
    setup.emulator.latency = 0.05
    prepare_archive(setup.config)

    def expire_once_listed() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any("/feed" in r.path for r in setup.emulator.http_requests()):
                setup.emulator.expire_token(TOKEN)
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=expire_once_listed)
    watcher.start()
    outcome = Runner(setup.config).run_account("test-fb")
    watcher.join()
    assert outcome.status == "auth_failed", outcome
    assert outcome.reason == "auth.token_expired"
    assert not [t for t in threading.enumerate() if t.name == "somed-visitor_posts"]
