"""The Facebook connector end to end: facebook-sdk over real HTTP to the emulator, real SQLite."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import NOW, PAGE_ID, TOKEN, small_page

from connectors.facebook.emulator import FaultPlan, TokenInfo, generate_page
from connectors.model import RECORD_FIELDS
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage import queries
from storage.db import connect, integrity_ok


def archive(setup, key: str = "test-fb"):
    prepare_archive(setup.config)
    return Runner(setup.config).run_account(key)


def items(setup, **filters):
    db = connect(setup.config.db_path)
    try:
        return {i["id"]: i for i in queries.export_items(db, **filters)}
    finally:
        db.close()


def expected_ids(emulator, page_id: str = PAGE_ID) -> set[str]:
    """Every post, comment and reply id the emulator holds for a page (via the public API)."""
    import requests

    base = emulator.base_url
    ids: set[str] = set()
    url = f"{base}/v21.0/{page_id}/published_posts"
    params = {
        "access_token": TOKEN,
        "limit": 100,
        "fields": "id,comments.filter(stream).limit(100){id}",
    }
    while url:
        body = requests.get(url, params=params, timeout=10).json()
        for post in body["data"]:
            ids.add(post["id"])
            ids.update(c["id"] for c in (post.get("comments") or {}).get("data", []))
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            break
        params = {
            "access_token": TOKEN,
            "limit": 100,
            "fields": "id,comments.filter(stream).limit(100){id}",
            "after": body["paging"]["cursors"]["after"],
        }
    return ids


def test_full_archive_of_a_large_page(fb_setup):
    page = generate_page(
        PAGE_ID,
        "Storkommun",
        "storkommun",
        posts=1000,
        comments_per_post=3,
        replies_per_comment=1,
        newest=NOW - timedelta(hours=1),
        spacing=timedelta(hours=3),
        conversations=3,
        messages_per_conversation=4,
    )
    setup = fb_setup([page])
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    want = expected_ids(setup.emulator)
    assert len(want) >= 1000 * 7
    assert want <= set(archived)
    kinds = {i["kind"] for i in archived.values()}
    assert {"profile", "post", "comment", "reply", "message"} <= kinds
    replies = [i for i in archived.values() if i["kind"] == "reply"]
    assert all(archived[r["parent_id"]]["kind"] == "comment" for r in replies)
    assert {i["direction"] for i in archived.values()} == {"own", "incoming"}
    assert all(i["created_at"].endswith("Z") for i in archived.values() if i["kind"] != "profile")
    assert any(i["media"] and i["media"][0]["sha256"] for i in archived.values())
    db = connect(setup.config.db_path)
    assert integrity_ok(db)
    assert queries.get_cursor(db, "test-fb", "posts") is not None


def test_requests_carry_the_configured_graph_version(fb_setup):
    setup = fb_setup()
    archive(setup)
    api_paths = [r.path for r in setup.emulator.request_log if not r.path.startswith("/media/")]
    assert api_paths and all(p.startswith("/v21.0/") or p == "/v21.0" for p in api_paths)


def test_endpoint_override_carries_media_downloads(fb_setup):
    setup = fb_setup([small_page(images_every=1)])
    archive(setup)
    media_requests = [r for r in setup.emulator.request_log if r.path.startswith("/media/")]
    assert media_requests
    db = connect(setup.config.db_path)
    stored = db.execute("SELECT path, sha256 FROM media").fetchall()
    assert stored and all((setup.config.storage_dir / p).exists() for p, _ in stored)


def test_idle_poll_costs_three_requests_without_the_sweep(fb_setup):
    setup = fb_setup(
        accounts=[
            {
                "key": "test-fb",
                "id": PAGE_ID,
                "token_env": "SOMED_TEST_FB_TOKEN",
                "refetch_window_days": 0,
            }
        ]
    )
    assert archive(setup).status == "ok"
    setup.emulator.reset_log()
    outcome = archive(setup)
    assert outcome.status == "ok" and outcome.new == 0 and outcome.changed == 0
    assert outcome.requests <= 4  # one per stream: profile, posts, visitor posts, messages


def test_edits_become_versions_and_history_is_kept(fb_setup):
    setup = fb_setup()
    archive(setup)
    before = items(setup)
    post = next(i for i in before.values() if i["kind"] == "post")
    comment = next(i for i in before.values() if i["kind"] == "comment")
    setup.emulator.edit_post(post["id"], "Rättelse: badhuset öppnar tisdag.")
    setup.emulator.edit_comment(comment["id"], "Jag ändrade mig.")
    outcome = archive(setup)
    assert outcome.changed >= 2
    after = items(setup)
    assert after[post["id"]]["text"] == "Rättelse: badhuset öppnar tisdag."
    assert [v["text"] for v in after[post["id"]]["versions"]] == [post["text"]]
    assert [v["text"] for v in after[comment["id"]]["versions"]] == [comment["text"]]
    assert archive(setup).changed == 0  # a repeat run adds nothing


def test_deletions_keep_everything_and_add_deleted_at(fb_setup):
    setup = fb_setup()
    archive(setup)
    before = items(setup)
    posts = [i for i in before.values() if i["kind"] == "post"]
    comment = next(
        i for i in before.values() if i["kind"] == "comment" and i["thread_id"] != posts[0]["id"]
    )
    doomed_post = posts[0]
    children = [
        i for i in before.values() if i["thread_id"] == doomed_post["id"] and i["kind"] != "post"
    ]
    setup.emulator.delete_comment(comment["id"])
    setup.emulator.delete_post(doomed_post["id"])
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    after = items(setup)
    assert after[comment["id"]]["deleted_at"] is not None
    assert after[comment["id"]]["text"] == comment["text"]
    assert after[doomed_post["id"]]["deleted_at"] is not None
    assert all(after[c["id"]]["deleted_at"] for c in children)
    untouched = [
        i
        for i in after.values()
        if i["id"] not in {comment["id"], doomed_post["id"]}
        and i["thread_id"] != doomed_post["id"]
        and i["kind"] in ("post", "comment")
    ]
    assert all(i["deleted_at"] is None for i in untouched)


def test_new_comments_on_older_posts_inside_the_window_are_found(fb_setup):
    setup = fb_setup([small_page(posts=40, spacing=timedelta(days=1))])
    archive(setup)
    old_post = min(
        (i for i in items(setup).values() if i["kind"] == "post"), key=lambda i: i["created_at"]
    )
    new_id = setup.emulator.add_comment(old_post["id"], "Gäller detta fortfarande?")
    reply_id = setup.emulator.add_comment(
        new_id, "Ja, det gör det. /Anna", author=(PAGE_ID, "Testkommun")
    )
    outcome = archive(setup)
    after = items(setup)
    assert outcome.new >= 2
    assert after[new_id]["kind"] == "comment" and after[new_id]["direction"] == "incoming"
    assert after[reply_id]["kind"] == "reply" and after[reply_id]["direction"] == "own"


def test_a_fifth_of_responses_failing_still_archives_everything(fb_setup):
    setup = fb_setup([small_page(posts=300, comments_per_post=4)])
    setup.emulator.set_faults(FaultPlan(rate=0.2, seed=7))
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    setup.emulator.set_faults(None)
    assert expected_ids(setup.emulator) <= set(items(setup))
    statuses = {r.status for r in setup.emulator.request_log}
    assert any(s >= 400 for s in statuses)  # faults really happened


def test_empty_pages_with_next_do_not_end_the_walk(fb_setup):
    setup = fb_setup([small_page(posts=250)])
    setup.emulator.empty_pages_next(3)
    assert archive(setup).status == "ok"
    assert expected_ids(setup.emulator) <= set(items(setup))


def test_expired_token_ends_auth_failed_and_loses_nothing(fb_setup):
    setup = fb_setup()
    archive(setup)
    count = len(items(setup))
    setup.emulator.expire_token(TOKEN)
    outcome = archive(setup)
    assert outcome.status == "auth_failed"
    assert "expired" in outcome.message  # the English detail, for the log
    assert outcome.reason == "auth.token_expired"
    assert outcome.reason_params == {"code": 190, "subcode": 463}
    assert len(items(setup)) == count
    db = connect(setup.config.db_path)
    health = queries.account_overview(db)[0]["health"]
    assert health["status"] == "auth_failed" and health["reason"] == "auth.token_expired"
    assert queries.last_runs(db, "test-fb", limit=1)[0]["reason"] == "auth.token_expired"


def test_one_account_failing_auth_does_not_stop_the_other(fb_setup, monkeypatch):
    other = generate_page(
        "222000222", "Andra sidan", "andra", posts=5, newest=NOW - timedelta(days=1)
    )
    monkeypatch.setenv("SOMED_TEST_OTHER_TOKEN", "EMU-other-token-77")
    tokens = {
        TOKEN: TokenInfo(page_ids=(PAGE_ID,)),
        "EMU-other-token-77": TokenInfo(page_ids=("222000222",)),
    }
    setup = fb_setup(
        [small_page(), other],
        tokens=tokens,
        accounts=[
            {"key": "test-fb", "id": PAGE_ID, "token_env": "SOMED_TEST_FB_TOKEN"},
            {"key": "other-fb", "id": "222000222", "token_env": "SOMED_TEST_OTHER_TOKEN"},
        ],
    )
    setup.emulator.expire_token("EMU-other-token-77")
    prepare_archive(setup.config)
    outcomes = {o.account: o for o in Runner(setup.config).run_accounts(["other-fb", "test-fb"])}
    assert outcomes["other-fb"].status == "auth_failed"
    assert outcomes["test-fb"].status == "ok"


def test_a_wrong_page_id_fails_with_a_clear_message(fb_setup):
    setup = fb_setup(accounts=[{"key": "test-fb", "id": "999", "token_env": "SOMED_TEST_FB_TOKEN"}])
    outcome = archive(setup)
    assert outcome.status == "failed"
    assert "999" in outcome.message and "id" in outcome.message
    assert (outcome.reason, outcome.reason_params) == ("facebook.page_missing", {"page": "999"})


def test_messenger_without_permission_is_reported_not_fatal(fb_setup):
    tokens = {
        TOKEN: TokenInfo(
            page_ids=(PAGE_ID,),
            permissions=frozenset(
                {"pages_read_engagement", "pages_read_user_content", "pages_show_list"}
            ),
        )
    }
    setup = fb_setup(tokens=tokens)
    outcome = archive(setup)
    assert outcome.status == "ok"
    assert outcome.streams["messages"] == "permission_denied"
    assert not any(i["kind"] == "message" for i in items(setup).values())
    db = connect(setup.config.db_path)
    streams = {s["stream"]: s for s in queries.account_overview(db)[0]["streams"]}
    assert streams["messages"]["status"] == "permission_denied"
    assert "pages_messaging" in streams["messages"]["message"]
    assert streams["messages"]["reason"] == "permission.missing"
    assert streams["messages"]["reason_params"]["permission"] == "pages_messaging"


def test_too_much_data_shrinks_the_page_size_and_continues(fb_setup):
    setup = fb_setup(
        [small_page(posts=120)],
        accounts=[
            {
                "key": "test-fb",
                "id": PAGE_ID,
                "token_env": "SOMED_TEST_FB_TOKEN",
                "streams": ["posts"],
                "refetch_window_days": 0,
            }
        ],
    )
    setup.emulator.fail_next(2, "reduce_data")
    assert archive(setup).status == "ok"
    limits = [
        int(r.query.get("limit", 0))
        for r in setup.emulator.request_log
        if r.path.endswith("/published_posts")
    ]
    assert min(limits) < max(limits)
    assert expected_ids(setup.emulator) <= set(items(setup))


def test_export_is_json_lines_of_the_record_contract(fb_setup):
    setup = fb_setup()
    archive(setup)
    record = next(i for i in items(setup).values() if i["kind"] == "comment")
    for field in RECORD_FIELDS:
        assert field in record
    assert set(record["author"]) == {"id", "name"}
    json.dumps(record)


def test_a_resume_cursor_that_died_restarts_the_walk(fb_setup):
    from connectors.facebook.connector import FacebookConnector
    from connectors.http import RedirectingSession

    setup = fb_setup([small_page(posts=250)])
    settings = setup.config.platform_settings("facebook")
    connector = FacebookConnector(
        setup.config.account_spec("test-fb"),
        settings,
        RedirectingSession(settings.endpoint),
        lambda: NOW,
    )
    first = next(connector.fetch("posts", None))
    last_post_of_page = [r for r in first.records if r.kind == "post"][-1]
    setup.emulator.delete_post(last_post_of_page.id)  # the resume cursor now points at nothing
    batches = list(connector.fetch("posts", None, first.resume))
    assert batches[-1].final and batches[-1].high_water
    walked = {r.id for b in batches for r in b.records if r.kind == "post"}
    assert len(walked) == 249  # the walk started again from the top and reached the end
    assert any(r.status == 400 and r.query.get("after") for r in setup.emulator.request_log)


def test_a_token_that_cannot_read_posts_is_a_problem_people_see(fb_setup):
    tokens = {
        TOKEN: TokenInfo(
            page_ids=(PAGE_ID,), permissions=frozenset({"pages_show_list", "pages_messaging"})
        )
    }
    setup = fb_setup(tokens=tokens)
    outcome = archive(setup)
    assert outcome.status in ("partial", "failed")
    assert outcome.streams["posts"] == "permission_denied"
    assert "pages_read_engagement" in outcome.message
    part = {"stream": "posts", "reason": "permission.missing"}
    assert (
        outcome.reason == "run.partial"
        and outcome.reason_params["parts"][0].items() >= part.items()
    )
    assert outcome.reason_params["parts"][0]["params"]["permission"] == "pages_read_engagement"
    db = connect(setup.config.db_path)
    assert queries.account_overview(db)[0]["health"]["status"] == "failing"
    setup.emulator.reset_log()
    archive(setup)  # tried again at once: posts are never parked like an optional stream
    assert any(r.path.endswith("/published_posts") for r in setup.emulator.http_requests())


def test_runs_left_running_by_a_dead_process_are_closed_even_if_the_pid_was_reused(fb_setup):
    import os

    from storage.runlog import RunLog

    setup = fb_setup()
    prepare_archive(setup.config)
    db = connect(setup.config.db_path)
    stale = RunLog(db, lambda: NOW).start_run("test-fb", "facebook", "scheduled")
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [os.getpid(), stale])  # a live pid
    db.conn.commit()
    assert Runner(setup.config).run_account("test-fb").status == "ok"
    row = db.execute("SELECT status FROM runs WHERE id = ?", [stale]).fetchone()
    assert row[0] == "interrupted"


def test_throttling_with_a_short_regain_time_is_waited_out(fb_setup):
    setup = fb_setup()
    setup.emulator.fail_next(2, "throttle", code=32)
    outcome = archive(setup)
    assert outcome.status == "ok"
    assert expected_ids(setup.emulator) <= set(items(setup))


def test_a_regain_time_longer_than_a_run_may_wait_ends_it_rate_limited(fb_setup):
    setup = fb_setup(runner="max_wait_seconds = 60")
    archive(setup)
    count = len(items(setup))
    setup.emulator.fail_next(1, "throttle", code=80001, regain=5)  # "come back in 5 minutes"
    outcome = archive(setup)
    assert outcome.status == "rate_limited"
    assert "300" in outcome.message  # the platform's hint, in seconds, is in the record
    assert outcome.reason == "run.rate_limited_wait" and outcome.reason_params["seconds"] == 300
    assert outcome.reason_params["cause"] == "rate.limited"
    assert len(items(setup)) == count
    db = connect(setup.config.db_path)
    assert queries.last_runs(db, "test-fb", limit=1)[0]["status"] == "rate_limited"


def test_a_stream_that_cannot_finish_makes_the_run_partial_and_keeps_its_cursor(fb_setup):
    # one stream after another: the empty pages go to the next listing requests, whichever
    # stream asks, and the posts walk must be the one that gets them
    setup = fb_setup([small_page(posts=250)], runner="streams_beside = false")
    setup.emulator.empty_pages_next(25)  # more empty pages in a row than the walk accepts
    outcome = archive(setup)
    assert outcome.status == "partial"
    assert outcome.streams["posts"] == "partial" and "nothing new" in outcome.message
    assert {p["reason"] for p in outcome.reason_params["parts"]} == {"walk.repeating"}
    db = connect(setup.config.db_path)
    assert queries.get_cursor(db, "test-fb", "posts") is None  # only a complete walk moves it
    assert archive(setup).status == "ok"
    assert expected_ids(setup.emulator) <= set(items(setup))


def test_a_page_that_turned_unreadable_is_not_taken_for_mass_deletion(fb_setup):
    import pytest

    from connectors.base import TransientError
    from connectors.facebook.connector import FacebookConnector
    from connectors.http import RedirectingSession

    setup = fb_setup()
    archive(setup)
    db = connect(setup.config.db_path)
    refs = queries.refetch_refs(db, "test-fb", since=NOW - timedelta(days=90))
    assert len([r for r in refs if r.kind == "post"]) > 1
    setup.emulator.add_token(TOKEN, TokenInfo(page_ids=()))  # the page is hidden from the token
    settings = setup.config.platform_settings("facebook")
    connector = FacebookConnector(
        setup.config.account_spec("test-fb"),
        settings,
        RedirectingSession(settings.endpoint),
        lambda: NOW,
    )
    with pytest.raises(TransientError, match="not marked deleted"):
        list(connector.refetch(refs))


def test_a_page_configured_by_its_handle_still_tells_own_from_incoming(fb_setup):
    setup = fb_setup(
        accounts=[{"key": "test-fb", "id": "testkommun", "token_env": "SOMED_TEST_FB_TOKEN"}]
    )
    assert archive(setup).status == "ok"
    archived = items(setup).values()
    assert {i["direction"] for i in archived if i["kind"] == "post"} == {"own"}
    assert {i["direction"] for i in archived if i["kind"] == "comment"} >= {"incoming"}


def test_attachments_a_run_did_not_finish_are_fetched_by_the_next_and_failures_noted(fb_setup):
    setup = fb_setup(
        [small_page(images_every=1)],
        accounts=[
            {
                "key": "test-fb",
                "id": PAGE_ID,
                "token_env": "SOMED_TEST_FB_TOKEN",
                "refetch_window_days": 0,
            }
        ],
    )
    archive(setup)
    db = connect(setup.config.db_path)
    unfinished = [k for (k,) in db.execute("SELECT media_key FROM item_media LIMIT 3")]
    broken = unfinished.pop()
    # as a run killed before it linked its downloads leaves them, plus one whose URL is dead
    db.execute(
        "UPDATE item_media SET sha256 = NULL WHERE media_key IN (?, ?, ?)", [*unfinished, broken]
    )
    db.execute(
        "UPDATE item_media SET source_url = 'https://scontent.xx.fbcdn.net/gone.png'"
        " WHERE media_key = ?",
        [broken],
    )
    db.conn.commit()
    assert queries.account_overview(db)[0]["media_missing"] == 3
    assert archive(setup).status == "ok"
    rows = dict(
        db.execute(
            "SELECT media_key, sha256 IS NOT NULL FROM item_media WHERE media_key IN (?, ?, ?)",
            [*unfinished, broken],
        ).fetchall()
    )
    assert rows == {unfinished[0]: 1, unfinished[1]: 1, broken: 0}
    error = db.execute("SELECT last_error FROM item_media WHERE media_key = ?", [broken]).fetchone()
    assert error[0]
    assert queries.account_overview(db)[0]["media_missing"] == 1
