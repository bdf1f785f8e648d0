"""Every paging form Graph uses is walked to its end: cursors, time (`until`/`__paging_token`)
and offset, on the posts, comments and conversations edges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import archived, small_page

from connectors.facebook.client import Page
from connectors.facebook.emulator.store import walk
from somed.daemon import prepare_archive
from somed.runner import Runner


def archived_ids(setup) -> set[str]:
    return set(archived(setup))


def page_ids(page) -> set[str]:
    """Every post, comment, reply and message id of a generated page."""
    ids = {post.id for post in page.posts}
    ids |= {c.id for post in page.posts for c in walk(post.comments)}
    ids |= {m.id for conv in page.conversations for m in conv.messages}
    return ids


@pytest.mark.parametrize("style", ["time", "offset"])
def test_posts_comments_and_conversations_are_walked_to_the_end(fb_setup, style):
    page = small_page(posts=230, spacing=timedelta(hours=6), conversations=30)
    setup = fb_setup([page])
    busy = page.posts[7].id
    extra = {setup.emulator.add_comment(busy, f"Kommentar {n}") for n in range(130)}
    for edge in ("published_posts", "comments", "conversations"):
        setup.emulator.set_paging(edge, style)
    prepare_archive(setup.config)
    outcome = Runner(setup.config).run_account("test-fb")
    assert outcome.status == "ok", outcome.message
    assert page_ids(page) | extra <= archived_ids(setup)
    second = Runner(setup.config).run_account("test-fb")  # and the change-driven re-read too
    assert second.status == "ok" and second.new == 0, second.message


def test_time_based_next_keeps_until_and_paging_token_and_drops_the_token():
    page = Page.from_body(
        {
            "data": [{"id": "1_2"}],
            "paging": {
                "previous": "https://graph.facebook.com/v21.0/1/feed?since=1700000100"
                "&access_token=SECRET&limit=25&__paging_token=enc_A&__previous=1",
                "next": "https://graph.facebook.com/v21.0/1/feed?access_token=SECRET&limit=25"
                "&until=1699990000&__paging_token=enc_B",
            },
        }
    )
    assert page.next_params == {"until": "1699990000", "__paging_token": "enc_B"}


def test_offset_next_keeps_the_offset():
    page = Page.from_body(
        {
            "data": [{"id": "1"}],
            "paging": {"next": "https://graph.facebook.com/x?offset=50&limit=25"},
        }
    )
    assert page.next_params == {"offset": "50"}


def graph_pages(handler):
    """Walk `/v21.0/1/feed` served by `handler` through GraphClient; return the item ids."""
    from connectors.facebook.client import GraphClient
    from connectors.http import RedirectingSession
    from tests.hostile.server import HostileServer

    server = HostileServer()
    server.route(r"/v21\.0/1/feed", handler)
    base = server.start()
    try:
        client = GraphClient("tok", RedirectingSession(base), version="v21.0", timeout=5)
        ids = []
        for page in client.pages("1/feed", {"limit": 2}):
            ids.extend(item["id"] for item in page.data)
        return ids
    finally:
        server.stop()


def test_a_next_link_that_asks_for_the_same_page_again_is_a_loop():
    from connectors.base import FatalError
    from tests.hostile.server import json_response

    def same_page(request, match):
        return json_response(
            {
                "data": [{"id": "1_1"}],
                "paging": {
                    "next": "https://graph.facebook.com/v21.0/1/feed?until=100&__paging_token=T"
                },
            }
        )

    with pytest.raises(FatalError) as caught:
        graph_pages(same_page)
    assert caught.value.reason == "facebook.paging_loop"


def test_fresh_positions_that_bring_no_new_item_stall_the_walk():
    from connectors.base import FatalError
    from tests.hostile.server import json_response

    def repeating(request, match):
        n = int(request.args.get("offset", 0)) + 2
        return json_response(
            {
                "data": [{"id": "1_1"}, {"id": "1_2"}],
                "paging": {"next": f"https://graph.facebook.com/v21.0/1/feed?offset={n}"},
            }
        )

    with pytest.raises(FatalError) as caught:
        graph_pages(repeating)
    assert caught.value.reason == "facebook.paging_stalled"
