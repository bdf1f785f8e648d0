"""Every paging form Graph uses is walked to its end: cursors, time (`until`/`__paging_token`)
and offset, on the posts, comments and conversations edges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import archived, small_page

from connectors.facebook.client import Page
from connectors.facebook.emulator_store import walk
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
        {"data": [{"id": "1"}], "paging": {"next": "https://graph.facebook.com/x?offset=50&limit=25"}}
    )
    assert page.next_params == {"offset": "50"}
