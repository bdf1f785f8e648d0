"""Real Graph shapes end to end: every attachment type, message files, tags, visitors' posts,
posts that only tag the page, and authors Graph hides from some tokens."""

from __future__ import annotations

from conftest import PAGE_ID, TOKEN, archived, small_page

from connectors.facebook.emulator import ALL_PERMISSIONS, TokenInfo
from somed.daemon import prepare_archive
from somed.runner import Runner

VISITOR = ("61550000099991", "Karin Larsson")


def archive(setup):
    prepare_archive(setup.config)
    return Runner(setup.config).run_account("test-fb")


def items(setup):
    return archived(setup)


def shaped_setup(fb_setup, **kwargs):
    page = small_page(posts=5, images_every=0)
    page.posts[1].message = "Välkommen till Testkommun och Mora kommun i dag!"
    page.posts[1].tags = (("100200300", "Mora kommun"),)
    tagged_post = page.posts[1].id
    setup = fb_setup([page], **kwargs)
    emulator = setup.emulator
    ids = {
        kind: emulator.add_post(PAGE_ID, f"Ett inlägg med {kind}.", attachment=kind)
        for kind in ("video", "share", "event")
    }
    for kind in ("sticker", "gif", "share"):
        ids[f"comment_{kind}"] = emulator.add_comment(ids["share"], "Titta!", attachment=kind)
    for kind in ("image", "video", "audio", "file"):
        ids[f"message_{kind}"] = emulator.add_message(PAGE_ID, VISITOR, "", attachment=kind)
    ids["message_sticker"] = emulator.add_message(PAGE_ID, VISITOR, "", sticker=True)
    ids["visitor"] = emulator.add_visitor_post(PAGE_ID, VISITOR, "Varför är gatlyktorna släckta?")
    ids["visitor_comment"] = emulator.add_comment(ids["visitor"], "Samma här.")
    ids["tagging"] = emulator.add_tagging_post(PAGE_ID, VISITOR, "Fin dag i Testkommun!")
    ids["tagged_post"] = tagged_post
    return setup, ids


def kinds(item):
    return {m["kind"]: m for m in item["media"]}


def test_every_attachment_type_of_posts_and_comments_is_kept(fb_setup):
    setup, ids = shaped_setup(fb_setup)
    assert archive(setup).status == "ok"
    archived = items(setup)
    video = archived[ids["video"]]
    files = kinds(video)
    assert files["video"]["sha256"] and files["video"]["mime_type"] == "video/mp4"
    assert files["video_thumbnail"]["sha256"]
    assert video["extra"]["attachments"][0]["video"] is True
    assert video["extra"]["status_type"] == "added_video"
    share = archived[ids["share"]]["extra"]
    link = share["attachments"][0]
    assert link["url"] == f"https://www.mora.se/nyheter/{ids['share']}"  # the target, unshimmed
    assert link["title"] and link["description"] and share["story"]
    assert kinds(archived[ids["share"]])["thumbnail"]["sha256"]  # the link's preview image
    assert archived[ids["event"]]["extra"]["attachments"][0]["title"] == "Öppet hus i kommunhuset"
    for kind in ("sticker", "gif"):
        comment = archived[ids[f"comment_{kind}"]]
        assert kinds(comment)["sticker"]["sha256"], kind
    assert archived[ids["comment_share"]]["extra"]["attachment"]["url"].startswith(
        "https://www.mora.se/"
    )
    tags = archived[ids["tagged_post"]]["extra"]["message_tags"]
    assert tags == [{"id": "100200300", "name": "Mora kommun", "type": "page",
                     "offset": 30, "length": 11}]  # fmt: skip


def test_every_kind_of_message_file_is_kept(fb_setup):
    setup, ids = shaped_setup(fb_setup)
    assert archive(setup).status == "ok"
    archived = items(setup)
    expected = {"image": "image/png", "video": "video/mp4", "audio": "audio/mpeg",
                "file": "application/pdf"}  # fmt: skip
    for kind, mime in expected.items():
        message = archived[ids[f"message_{kind}"]]
        media = kinds(message)[kind]
        assert media["sha256"] and media["mime_type"] == mime, kind
        assert message["extra"]["attachments"][0]["mime_type"] == mime
    assert kinds(archived[ids["message_video"]])["video_thumbnail"]["sha256"]
    sticker = archived[ids["message_sticker"]]
    assert sticker["extra"]["sticker"] is True and kinds(sticker)["sticker"]["sha256"]


def test_visitor_posts_are_incoming_with_comments_and_tagging_posts_are_not_kept(fb_setup):
    setup, ids = shaped_setup(fb_setup)
    outcome = archive(setup)
    assert outcome.status == "ok" and outcome.streams["visitor_posts"] == "ok"
    archived = items(setup)
    visitor = archived[ids["visitor"]]
    assert (visitor["kind"], visitor["direction"]) == ("post", "incoming")
    assert visitor["author"] == {"id": VISITOR[0], "name": VISITOR[1]}
    assert archived[ids["visitor_comment"]]["thread_id"] == ids["visitor"]
    assert ids["tagging"] not in archived
    posts = [i for i in archived.values() if i["kind"] == "post"]
    assert sum(1 for p in posts if p["direction"] == "incoming") == 1
    # the feed is only listed (it holds the page's own posts with all their comments too);
    # the visitor's post is read in full by batch, so the page is not walked twice
    walk = [
        r
        for r in setup.emulator.http_requests()
        if r.path.endswith("/feed") and "until" not in r.query
    ]  # the re-read lists by span
    assert walk and all(r.query.get("fields") == "id,from{id},created_time" for r in walk)
    # a later edit of the visitor's post is found by the re-read of the window
    setup.emulator.edit_post(ids["visitor"], "Nu lyser de igen, tack!")
    assert archive(setup).changed >= 1
    assert items(setup)[ids["visitor"]]["text"] == "Nu lyser de igen, tack!"


def test_authors_hidden_from_the_token_are_archived_as_hidden(fb_setup):
    tokens = {
        TOKEN: TokenInfo(
            page_ids=(PAGE_ID,), permissions=ALL_PERMISSIONS - {"pages_read_user_content"}
        )
    }
    setup, ids = shaped_setup(fb_setup, tokens=tokens)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message  # visitors' posts are optional
    assert outcome.streams["visitor_posts"] == "permission_denied"
    archived = items(setup)
    comments = [i for i in archived.values() if i["kind"] in ("comment", "reply")]
    hidden = [c for c in comments if c["extra"].get("author_hidden")]
    assert hidden and all(c["author"] == {"id": None, "name": None} for c in hidden)
    assert all(c["direction"] == "incoming" for c in hidden)
    own = [c for c in comments if not c["extra"].get("author_hidden")]
    assert own and all(c["author"]["id"] == PAGE_ID for c in own)  # the page still shows


def test_check_names_the_permission_whose_lack_hides_authors(fb_setup):
    from connectors.facebook.connector import FacebookConnector
    from connectors.http import RedirectingSession

    tokens = {
        TOKEN: TokenInfo(
            page_ids=(PAGE_ID,), permissions=ALL_PERMISSIONS - {"pages_read_user_content"}
        )
    }
    setup = fb_setup(tokens=tokens)
    settings = setup.config.platform_settings("facebook")
    connector = FacebookConnector(
        setup.config.account_spec("test-fb"),
        settings,
        RedirectingSession(settings.endpoint),
        lambda: None,
    )
    result = connector.check()
    assert "visitor_posts" not in result.allowed_streams and "visitor_posts" in result.denied
    assert {"posts", "messages"} <= set(result.allowed_streams)
    assert result.missing_permissions == ("pages_read_user_content",)
