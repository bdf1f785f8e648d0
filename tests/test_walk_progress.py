"""The loop guard counts what a page listed, also items the connector passed over on purpose."""

from __future__ import annotations

from conftest import small_page

from somed.runner import Runner


def test_a_feed_of_only_the_pages_own_posts_is_walked_to_its_end(fb_setup) -> None:
    # 60 own posts at 5 a page: the visitors' posts walk of /feed passes over 12 pages in a
    # row without a record to store; that is progress, not a platform repeating itself
    setup = fb_setup([small_page(60, comments_per_post=1, replies_per_comment=0)],
                     extra="page_size = 5")  # fmt: skip
    outcome = Runner(setup.config).run_account("test-fb")
    assert outcome.status == "ok", outcome.message
    assert outcome.streams["visitor_posts"] == "ok" and outcome.streams["posts"] == "ok"
