"""Instagram mode instaloader against a hostile Instagram: the session's cookies echoed
everywhere never reach the archive, logs or exports; malformed posts are quarantined."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

from instagram_loader_setup import CSRF, KEY, archive, il_setup, items  # noqa: F401
from werkzeug.wrappers import Response

from connectors.instagram.emulator.web import VALID_SESSION
from connectors.instagram.emulator.web_data import seeded

ROOT = Path(__file__).resolve().parent.parent


def forms(secret: str) -> list[bytes]:
    return [f.encode() for f in {secret, quote(secret, safe=""), quote_plus(secret),
                                 json.dumps(secret)[1:-1]}]  # fmt: skip


def somed(setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", *args], env=setup.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_session_cookies_echoed_anywhere_reach_no_file_log_status_or_export(il_setup, tmp_path):  # noqa: F811
    account = seeded(14)
    live = account.timeline()
    account.edit(live[1].pk, f"Vår session råkade bli {VALID_SESSION} och {CSRF}")
    account.add_comment(live[2], f"sessionid={quote(VALID_SESSION)}", datetime.now(UTC))
    account.user["biography"] = f"Nås med {VALID_SESSION}"
    plain_media = account.media

    def media(post):  # a CDN URL that carries the session in its query
        body = plain_media(post)
        if post.pk == live[3].pk:
            url = body["image_versions2"]["candidates"][0]["url"]
            body["image_versions2"]["candidates"][0]["url"] = (
                f"{url}&sid={quote_plus(VALID_SESSION)}"
            )
        return body

    account.media = media
    setup = il_setup(account, options={"streams": ["profile", "posts"]})
    failing = [2]
    original = setup.emulator.graphql

    def flaky(request, match):  # a passing fault whose page repeats the session
        if failing[0] > 0:
            failing[0] -= 1
            return Response(f"<html>error for session {VALID_SESSION} ({CSRF})</html>", status=500)
        return original(request, match)

    setup.emulator.router.override(r"/api/graphql/?", flaky, "POST")
    text = setup.config_path.read_text(encoding="utf-8")
    setup.config_path.write_text(
        text.replace("[runner]", '[logging]\nformat = "json"\nlevel = "debug"\n[runner]'),
        encoding="utf-8",
    )
    first = somed(setup, "archive")
    assert first.returncode == 0, first.stdout + first.stderr
    setup.emulator.router.clear_overrides()
    setup.emulator.router.override(
        r"/api/graphql/?",
        lambda r, m: Response(
            "",
            status=302,
            headers={
                "Location": f"https://www.instagram.com/accounts/login/?next=/&s={VALID_SESSION}"
            },
        ),
        "POST",
    )
    assert somed(setup, "archive").returncode == 1
    outputs = [
        first,
        somed(setup, "status", "--json"),
        somed(setup, "status"),
        somed(setup, "export"),
    ]
    export = outputs[-1].stdout
    assert "***" in export  # the echoes were archived, redacted
    texts = [(o.stdout + o.stderr).encode() for o in outputs]
    files = [f for f in setup.config.storage_dir.rglob("*") if f.is_file()]
    assert any(f.suffix == ".jpg" for f in files)
    for secret in (VALID_SESSION, CSRF):
        for form in forms(secret):
            assert not [t for t in texts if form in t], form
            assert not [f for f in files if form in f.read_bytes()], (
                form,
                [f.name for f in files if form in f.read_bytes()],
            )


def test_a_malformed_post_is_quarantined_and_the_walk_goes_on(il_setup):  # noqa: F811
    account = seeded(20)
    live = account.timeline()
    plain_media = account.media
    broken = live[4].pk

    def media(post):
        body = plain_media(post)
        if post.pk == broken:
            body["caption"] = {"text": {"nested": "not text"}}
        return body

    account.media = media
    setup = il_setup(account)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    assert outcome.quarantined >= 1
    archived = items(setup)
    assert str(broken) not in archived
    assert {str(p.pk) for p in live if p.pk != broken} <= set(archived)


def test_cdn_redirects_elsewhere_and_html_pages_as_photos_are_refused(il_setup):  # noqa: F811
    account = seeded(6, comments=0)
    away, page = [p for p in account.timeline() if p.media_type == 1][:2]
    setup = il_setup(account, options={"streams": ["profile", "posts"]})
    setup.emulator.router.override(
        rf"/v/.*/{away.pk}_.*",
        lambda r, m: Response(
            "", status=302, headers={"Location": f"http://127.0.0.2:9/v/{away.pk}.jpg"}
        ),
    )
    setup.emulator.router.override(
        rf"/v/.*/{page.pk}_.*",
        lambda r, m: Response(
            "<!DOCTYPE html><html><body>Content not available</body></html>",
            content_type="image/jpeg",
        ),
    )
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    db = sqlite3.connect(setup.config.db_path)
    rows = dict(db.execute("SELECT media_key, coalesce(last_error, sha256) FROM item_media"))
    db.close()
    assert "redirect to 127.0.0.2 refused" in rows[f"ig:media:{away.pk}"]
    assert "HTML page" in rows[f"ig:media:{page.pk}"]
    stored = [k for k, v in rows.items() if len(v) == 64]
    assert len(stored) >= 3  # the other photos and the profile picture


def test_endless_or_looping_timelines_stop_the_walk_bounded(il_setup):  # noqa: F811
    from connectors.instagram.emulator.web import TIMELINE_DOC

    account = seeded(30, comments=0)
    setup = il_setup(account, options={"streams": ["posts"]})
    emulator = setup.emulator
    first = emulator._logged_in(0)
    turn = [0]

    def endless(request, match):  # the same posts under a fresh cursor, page after page
        if request.form.get("doc_id") != TIMELINE_DOC:
            return emulator.graphql(request, match)
        turn[0] += 1
        page = dict(
            first, page_info={"has_next_page": True, "end_cursor": emulator.cursors.encode(turn[0])}
        )
        return Response(
            json.dumps(
                {
                    "data": {"xdt_api__v1__feed__user_timeline_graphql_connection": page},
                    "status": "ok",
                }
            ),
            content_type="application/json",
        )

    emulator.router.override(r"/api/graphql/?", endless, "POST")
    outcome = archive(setup)
    assert outcome.status != "ok"
    # the runner's guard against a walk that repeats itself, or the connector's own
    assert outcome.stream_reasons["posts"]["reason"] in (
        "walk.repeating",
        "instagram.paging_stalled",
    )
    assert turn[0] <= 25  # bounded: 20 pages without a new post, not forever
    assert len([i for i in items(setup).values() if i["kind"] == "post"]) == 12  # the real ones

    def looping(request, match):  # the next page is always the first one again
        if request.form.get("doc_id") != TIMELINE_DOC:
            return emulator.graphql(request, match)
        page = dict(first, page_info={"has_next_page": True, "end_cursor": "same-cursor"})
        return Response(
            json.dumps(
                {
                    "data": {"xdt_api__v1__feed__user_timeline_graphql_connection": page},
                    "status": "ok",
                }
            ),
            content_type="application/json",
        )

    emulator.router.clear_overrides()
    emulator.router.override(r"/api/graphql/?", looping, "POST")
    outcome = archive(setup)
    assert outcome.status != "ok"
    assert outcome.stream_reasons["posts"]["reason"] in ("walk.repeating", "instagram.paging_loop")
