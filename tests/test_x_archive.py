"""The X connector end to end: tweepy over real HTTP to the X emulator, a real SQLite archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.emulation import FaultPlan
from connectors.x.conversations import turn_of
from connectors.x.emulator import generate_account
from tests.xemu import TOKEN, USER_ID, USER_TOKEN


def account(posts: int = 40, **kwargs):
    return generate_account(USER_ID, "Testkommun", "testkommun", posts=posts, **kwargs)


def live_ids(emulated) -> set[str]:
    """Every live tweet's archive id (an edited tweet: its first id) the emulator holds."""
    return {emulated.chain(t["id"])[0] for t in emulated.timeline()}


def test_full_archive_of_an_account_with_500_posts(x_setup):
    emulated = account(
        500, replies_per_post=2, nested_replies=1, mentions=20, dms=6, legacy_posts=3
    )
    setup = x_setup([emulated])
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    archived = setup.items()
    tweets = live_ids(emulated)
    assert len(tweets) >= 500 * 4
    own = {i for i in tweets if emulated.tweets[i]["author_id"] == USER_ID}
    assert own <= set(archived)  # every own post (the timeline reaches 3,200 back)
    # replies: those mentioning the account through mentions (800 newest), the rest of the
    # last seven days through recent search, both of the conversations' newest
    week = datetime.now(UTC) - timedelta(days=7)
    recent = {i for i in tweets if datetime.fromisoformat(emulated.tweets[i]["created_at"]) >= week}
    assert recent <= set(archived)
    mentions = {t["id"] for t in emulated.timeline(mentioning="testkommun")[:800]}
    assert mentions <= set(archived)
    kinds = {(i["kind"], i["direction"]) for i in archived.values()}
    assert {
        ("post", "own"),
        ("comment", "incoming"),
        ("reply", "incoming"),
        ("post", "incoming"),
        ("message", "incoming"),
        ("message", "own"),
        ("profile", "own"),
    } <= kinds
    streams = ("profile", "posts", "mentions", "replies", "messages")
    assert {s: outcome.streams[s] for s in streams} == dict.fromkeys(streams, "ok")
    media = [m for i in archived.values() for m in i["media"]]
    assert media and all(m["sha256"] for m in media)  # photos, MP4s and previews downloaded
    assert all(TOKEN not in str(i) and USER_TOKEN not in str(i) for i in archived.values())


def test_edits_become_versions_of_one_item_and_deletions_tombstones(x_setup):
    emulated = account(12)
    setup = x_setup([emulated])
    assert setup.run().status == "ok"
    own = emulated.timeline(author=USER_ID)
    edited, deleted = own[3]["id"], own[5]["id"]
    emulated.edit(edited, "Rättelse: mötet börjar kl. 19")
    emulated.edit(edited, "Rättelse: mötet börjar kl. 19.30")
    emulated.delete(deleted)
    outcome = setup.run(later=timedelta(days=10))  # the stored posts are due to be read again
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    item = items[edited]
    assert item["text"] == "Rättelse: mötet börjar kl. 19.30"
    assert [v["text"] for v in item["versions"]][:1] == [own[3]["text"]]
    assert len(item["versions"]) >= 1 and item["edited_at"]
    newest = emulated.chain(edited)[-1]
    assert newest not in items  # the edit chain is one item, not three
    assert items[deleted]["deleted_at"] is not None
    assert outcome.deleted >= 1


def test_throttling_and_server_errors_on_a_fifth_of_requests_still_archive_everything(x_setup):
    emulated = account(60, mentions=10)
    setup = x_setup(
        [emulated], faults=FaultPlan(rate=0.2, kinds=("throttle", "server_error"), seed=7)
    )
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.retries > 0
    own = {i for i in live_ids(emulated) if emulated.tweets[i]["author_id"] == USER_ID}
    assert own <= set(setup.items())
    assert setup.emulator.request_log.matching("/2/", fault=True)


def test_a_revoked_token_ends_the_run_auth_failed_with_a_clear_message(x_setup):
    setup = x_setup([account(5)])
    assert setup.run().status == "ok"
    setup.emulator.revoke(TOKEN)
    outcome = setup.run()
    assert outcome.status == "auth_failed"
    assert outcome.reason == "auth.invalid"
    assert "X rejected the bearer token" in outcome.message and "renew" in outcome.message
    assert TOKEN not in outcome.message


def test_a_429_with_its_reset_a_few_seconds_ahead_is_waited_out(x_setup):
    emulated = account(250)
    setup = x_setup([emulated])
    setup.emulator.fail_next(1, "throttle", reset_in=1)  # the first request: 429, reset in 1 s
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.retries >= 1
    assert setup.emulator.request_log[0].status == 429
    own = {i for i in live_ids(emulated) if emulated.tweets[i]["author_id"] == USER_ID}
    assert own <= set(setup.items())


def test_a_spent_window_is_waited_out_before_the_request_not_after_a_429(x_setup):
    emulated = account(250)  # three pages of posts
    setup = x_setup([emulated])
    setup.emulator.rate_limit("tweets", 2, window=2.0)
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.retries >= 1  # the runner waited for the reset the headers announced
    timeline = setup.emulator.request_log.matching(r"/2/users/\d+/tweets$")
    assert all(r.status == 200 for r in timeline)
    own = {i for i in live_ids(emulated) if emulated.tweets[i]["author_id"] == USER_ID}
    assert own <= set(setup.items())


def test_an_endpoint_outside_the_tier_is_recorded_for_its_stream_not_fatal(x_setup):
    setup = x_setup([account(10)])
    setup.emulator.deny("search")
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.streams["replies"] == "permission_denied"
    assert outcome.stream_reasons["replies"]["reason"] == "x.tier"
    assert outcome.streams["posts"] == "ok"


def test_without_a_user_token_messages_are_skipped_not_failed(x_setup):
    setup = x_setup([account(5)], user_token=False)
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.streams["messages"] == "permission_denied"
    assert outcome.stream_reasons["messages"]["reason"] == "x.no_user_token"
    assert setup.requests_to("/2/dm_events") == 0


def test_an_idle_poll_costs_one_request_per_stream(x_setup):
    # a post a day: the week's conversations fit one recent-search query (512 characters)
    setup = x_setup([account(40, spacing=timedelta(days=1))])
    assert setup.run().status == "ok"
    setup.emulator.reset_log()
    outcome = setup.run()
    assert outcome.status == "ok", outcome.message
    assert outcome.new == 0
    api = [r for r in setup.emulator.request_log if r.path.startswith("/2/")]
    per_endpoint: dict[str, int] = {}
    for r in api:
        per_endpoint[r.path] = per_endpoint.get(r.path, 0) + 1
    assert len(api) <= 5, per_endpoint  # profile, posts, mentions, replies, messages
    since = [r for r in api if "/tweets" in r.path or "/mentions" in r.path]
    assert all("since_id" in r.query for r in since)
    assert not [r for r in api if r.path == "/2/tweets"]  # nothing stored is due to be re-read


def test_stored_posts_are_read_again_only_when_due_and_a_deletion_is_found_then(x_setup):
    emulated = account(30)
    setup = x_setup([emulated])
    assert setup.run().status == "ok"
    gone = emulated.timeline(author=USER_ID)[-1]["id"]  # the oldest post, two weeks old
    emulated.delete(gone)
    setup.emulator.reset_log()
    assert setup.run(later=timedelta(hours=2)).status == "ok"
    assert setup.items()[gone]["deleted_at"] is None  # not due yet: nothing re-read
    assert setup.requests_to("^/2/tweets$") <= 1  # at most the youngest posts
    outcome = setup.run(later=timedelta(days=16))  # half its age (then 30 days) has passed
    assert outcome.deleted == 1 and setup.items()[gone]["deleted_at"] is not None


def test_check_names_the_account_and_the_streams_the_tier_and_tokens_allow(x_setup):
    from somed.check import check_account

    setup = x_setup([account(5)], user_token=False)
    setup.emulator.deny("search")
    outcome = check_account(setup.config, "test-x", clock=lambda: datetime.now(UTC))
    assert outcome.status == "ok", outcome.message
    result = outcome.result
    assert result.identity == f"Testkommun (@testkommun, {USER_ID})"
    assert set(result.allowed_streams) == {"profile", "posts", "mentions"}
    assert "not in this API tier" in result.denied["replies"]
    assert "user-context token" in result.denied["messages"]
    setup.emulator.revoke(TOKEN)
    rejected = check_account(setup.config, "test-x", clock=lambda: datetime.now(UTC))
    assert rejected.status == "auth_failed" and TOKEN not in (rejected.message or "")


def test_replies_of_many_conversations_are_searched_in_turns_one_request_a_poll(x_setup):
    emulated = account(30)  # a post every 12 hours: 14 conversations in the week, two groups
    setup = x_setup([emulated])
    assert setup.run().status == "ok"
    week = datetime.now(UTC) - timedelta(days=6)
    oldest = [
        t
        for t in emulated.timeline(author=USER_ID)
        if datetime.fromisoformat(t["created_at"]) >= week
    ][-1]
    reply = next(
        t for t in emulated.timeline(conversations={oldest["id"]}) if t["author_id"] != USER_ID
    )
    citizen = next(u for u in emulated.users if u != reply["author_id"])
    answer = emulated.add_tweet(
        citizen, "Det håller jag inte med om", datetime.now(UTC), reply_to=reply["id"]
    )  # mentions the citizen, not the account
    # two polls whose minutes draw different turns (each poll searches one of the two groups)
    minutes = [m for m in range(1, 40) if turn_of(datetime.now(UTC) + timedelta(minutes=m)) % 2]
    evens = [m for m in range(1, 40) if not turn_of(datetime.now(UTC) + timedelta(minutes=m)) % 2]
    searches = []
    for later in (minutes[0], evens[0]):
        setup.emulator.reset_log()
        assert setup.run(later=timedelta(minutes=later)).status == "ok"
        searches.append(setup.requests_to("/2/tweets/search/recent"))
    assert searches == [1, 1]
    assert answer["id"] in setup.items()  # found by one of the two turns


def test_a_deleted_reply_under_the_newest_post_is_found_once_it_is_due(x_setup):
    # X is read again only when due (its monthly cap, see connectors/x/reread.py), not by a
    # change-driven listing; the newest post's replies follow the same rule as every other
    emulated = account(8)
    setup = x_setup([emulated])
    assert setup.run().status == "ok"
    newest = emulated.timeline(author=USER_ID)[0]["id"]
    stored = setup.items()
    replies = [i for i, item in stored.items() if item["thread_id"] == newest and i != newest]
    assert replies
    gone = replies[0]
    emulated.delete(gone)
    citizen = next(u for u in emulated.users if u != USER_ID)
    added = emulated.add_tweet(citizen, "@testkommun Ny fråga.", datetime.now(UTC),
                               reply_to=newest)["id"]  # fmt: skip
    outcome = setup.run(later=timedelta(hours=3))  # an hour-old reply is due after an hour
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    assert items[gone]["deleted_at"] is not None
    assert items[added]["deleted_at"] is None
    assert all(items[r]["deleted_at"] is None for r in replies[1:])
