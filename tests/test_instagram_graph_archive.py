"""Instagram in graph mode end to end: facebook-sdk over real HTTP to the emulator, real SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime, timedelta

from instagram_graph_setup import KEY, TOKEN, archived_items, expected_ids, ig_setup  # noqa: F401

from connectors.emulation import FaultPlan
from connectors.instagram.emulator import Comment, TokenInfo, generate_account
from connectors.meta_graph_walks import PART_RECORDS
from connectors.model import RECORD_FIELDS
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage import queries
from storage.db import connect


def archive(setup):
    prepare_archive(setup.config)
    return Runner(setup.config).run_account(KEY)


items = archived_items


def api_requests(emulator, pattern: str = r"/v\d+\.\d+/.*") -> list:
    """The logged API requests (media downloads left out)."""
    return emulator.request_log.matching(pattern)


def test_full_archive_of_500_posts_with_every_comment_and_reply(ig_setup):  # noqa: F811
    account = generate_account(posts=520, comments_per_post=3, replies_per_comment=1,
                               spacing=timedelta(hours=3))  # fmt: skip
    many = account.media[1]  # more comments than a nested page and a further page hold
    many.comments += [Comment(f"98{n}", f"Fråga {n}", many.timestamp, "erik_l", "90002")
                      for n in range(230)]  # fmt: skip
    first = account.media[0].comments[0]  # with more replies than a nested page holds
    first.replies += [Comment(f"99{n}", f"Svar {n}", first.timestamp, "anna.svensson", "90001",
                              parent_id=first.id) for n in range(130)]  # fmt: skip
    setup = ig_setup(account)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    assert expected_ids(account) <= set(archived)
    kinds = Counter(i["kind"] for i in archived.values())
    assert kinds["post"] == 520 and kinds["comment"] == 520 * 3 + 230
    assert kinds["reply"] == 520 * 3 + 130 and kinds["profile"] == 1 and kinds["message"] == 6
    assert all(set(RECORD_FIELDS) <= set(i) for i in archived.values())
    assert {i["platform"] for i in archived.values()} == {"instagram"}
    types = Counter(i["extra"].get("media_product_type") for i in archived.values()
                    if i["kind"] == "post")  # fmt: skip
    assert types["REELS"] == 104 and types["FEED"] == 416
    carousel = next(m for m in account.media if m.media_type == "CAROUSEL_ALBUM")
    stored = archived[carousel.id]
    assert [c["id"] for c in stored["extra"]["children"]] == [c.id for c in carousel.children]
    # every child's file (an image, and a video with its cover) is downloaded and kept
    assert len([m for m in stored["media"] if m["sha256"]]) == 3
    reel = next(m for m in account.media if m.product_type == "REELS" and not m.has_file)
    assert archived[reel.id]["extra"]["media_url_missing"] is True
    assert len(archived[reel.id]["media"]) == 1  # only the cover image
    reply = archived[account.media[0].comments[0].replies[0].id]
    assert reply["parent_id"] == account.media[0].comments[0].id
    assert reply["thread_id"] == account.media[0].id and reply["direction"] == "own"
    comment = archived[account.media[0].comments[0].id]
    assert comment["direction"] == "incoming" and comment["author"]["name"] == "anna.svensson"


def test_hidden_comments_and_missing_authors_are_kept_and_marked(ig_setup):  # noqa: F811
    account = generate_account(posts=40, comments_per_post=3)
    setup = ig_setup(account)
    assert archive(setup).status == "ok"
    archived = items(setup)
    all_comments = [c for m in account.media for c in m.comments]
    hidden = [c for c in all_comments if c.hidden]
    nameless = [c for c in all_comments if c.user_id is None]
    assert hidden and nameless
    assert all(archived[c.id]["extra"]["is_hidden"] is True for c in hidden)
    for c in nameless:
        stored = archived[c.id]
        assert stored["author"] == {"id": None, "name": c.username}
        assert stored["extra"]["author_hidden"] is True


def test_an_idle_poll_costs_one_request_per_stream(ig_setup):  # noqa: F811
    setup = ig_setup(generate_account(posts=60), extra="refetch_window_days = 0")
    assert archive(setup).status == "ok"
    setup.emulator.reset_log()
    outcome = archive(setup)
    assert outcome.status == "ok" and outcome.new == 0
    paths = Counter(r.path.rsplit("/", 1)[-1] for r in api_requests(setup.emulator))
    assert paths["media"] == 1 and paths["conversations"] == 1
    assert sum(paths.values()) <= 3, paths  # profile, posts, messages


def test_new_posts_are_picked_up_by_the_next_poll(ig_setup):  # noqa: F811
    account = generate_account(posts=30)
    setup = ig_setup(account, extra="refetch_window_days = 0")
    assert archive(setup).status == "ok"
    newer = generate_account(
        posts=2, newest=account.media[0].timestamp + timedelta(hours=5), spacing=timedelta(hours=1)
    )
    account.media[:0] = newer.media
    outcome = archive(setup)
    assert outcome.status == "ok"
    assert {m.id for m in newer.media} <= set(items(setup))


def test_twenty_percent_throttling_and_server_errors_still_end_complete(ig_setup):  # noqa: F811
    account = generate_account(posts=120, comments_per_post=4, replies_per_comment=1)
    plan = FaultPlan(rate=0.2, kinds=("throttle", "server_error"), seed=7)
    setup = ig_setup(account, faults=plan)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    assert outcome.retries > 0
    assert expected_ids(account) <= set(items(setup))
    assert setup.emulator.request_log.matching(r".*", fault=True)


def test_an_expired_token_ends_auth_failed_and_loses_nothing(ig_setup):  # noqa: F811
    setup = ig_setup(generate_account(posts=10))
    assert archive(setup).status == "ok"
    count = len(items(setup))
    setup.emulator.expire_token(TOKEN)
    outcome = archive(setup)
    assert outcome.status == "auth_failed"
    assert "Instagram rejected the access token" in outcome.message and "renew" in outcome.message
    assert (outcome.reason, outcome.reason_params) == (
        "auth.token_expired",
        {"code": 190, "subcode": 463},
    )
    assert TOKEN not in outcome.message
    assert len(items(setup)) == count


def test_a_revoked_token_ends_auth_failed(ig_setup):  # noqa: F811
    setup = ig_setup(generate_account(posts=3))
    setup.emulator.revoke_token(TOKEN)
    outcome = archive(setup)
    assert outcome.status == "auth_failed" and outcome.reason == "auth.invalid"


def test_direct_messages_without_permission_are_reported_not_fatal(ig_setup):  # noqa: F811
    account = generate_account(posts=5)
    setup = ig_setup(account, token=TokenInfo(page_id=account.page_id, messages=False))
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    assert outcome.streams["messages"] == "permission_denied"
    assert not any(i["kind"] == "message" for i in items(setup).values())
    db = connect(setup.config.db_path)
    streams = {s["stream"]: s for s in queries.account_overview(db)[0]["streams"]}
    assert streams["messages"]["reason"] == "permission.missing"
    assert streams["messages"]["reason_params"]["permission"] == "instagram_manage_messages"


def test_a_username_as_id_is_resolved_through_the_linked_page(ig_setup, tmp_path):  # noqa: F811
    account = generate_account(posts=4)
    setup = ig_setup(account)
    text = setup.config_path.read_text().replace(f'id = "{account.user_id}"', 'id = "@testkommun"')
    setup.config_path.write_text(text)
    from somed.config import load_config

    setup.config = load_config(setup.config_path)
    assert archive(setup).status == "ok"
    assert account.media[0].id in items(setup)


def test_check_names_the_account_and_the_missing_messaging_permission(ig_setup):  # noqa: F811
    import subprocess
    import sys

    account = generate_account(posts=2)
    expires = int((datetime.now(UTC) + timedelta(days=10)).timestamp())
    setup = ig_setup(account, token=TokenInfo(page_id=account.page_id, messages=False,
                                              expires_at=expires))  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "somed", "--lang", "en", "check"],
                            env=setup.env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"@testkommun ({account.user_id})" in result.stdout
    assert "No permission for messages." in result.stdout
    assert "instagram_manage_messages" in result.stdout
    assert "The token expires" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_asked_for_less_data_the_walk_halves_its_pages_and_completes(ig_setup):  # noqa: F811
    account = generate_account(posts=60)
    setup = ig_setup(account, extra="refetch_window_days = 0")
    setup.emulator.fail_next(2, "too_much_data")
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    assert expected_ids(account) <= set(items(setup))
    limits = [int(r.query["limit"]) for r in api_requests(setup.emulator, r".*/media$")
              if r.status == 200]  # fmt: skip
    assert limits and max(limits) <= 25  # 100, halved twice


def test_pages_handed_on_in_parts_resume_without_gaps_or_duplicates(ig_setup):  # noqa: F811
    # one page of 20 posts of 241 records each: stored in parts (PART_RECORDS) while the
    # comments beyond each nested page are read; a fault once a part is stored makes the walk
    # resume at that page, and what the part stored is found unchanged
    account = generate_account(posts=20, comments_per_post=120, replies_per_comment=1)
    setup = ig_setup(account, latency=0.01)
    prepare_archive(setup.config)

    def fault_once_a_part_is_stored() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with closing(sqlite3.connect(setup.config.db_path)) as db:
                if db.execute("SELECT count(*) FROM items").fetchone()[0] >= PART_RECORDS:
                    setup.emulator.fail_next(2, "server_error")
                    return
            time.sleep(0.005)

    watcher = threading.Thread(target=fault_once_a_part_is_stored)
    watcher.start()
    outcome = Runner(setup.config).run_account(KEY)
    watcher.join()
    assert outcome.status == "ok", outcome.message
    assert outcome.retries > 0
    assert len(api_requests(setup.emulator, r"/media$")) >= 2  # the page, read again
    archived = items(setup)
    assert expected_ids(account) <= set(archived)
    db = connect(setup.config.db_path)
    versions = db.execute("SELECT count(*), count(DISTINCT item_id) FROM item_versions").fetchone()
    assert versions[0] == versions[1] == len(archived)  # each item stored once
    assert outcome.new == len(archived) > 4 * PART_RECORDS
