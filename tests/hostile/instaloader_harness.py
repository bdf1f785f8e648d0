"""The harness of `tests/hostile/harness.py` for Instagram mode instaloader, on the web emulator.

A public profile read with a login session (so comments are read too), served by
`WebEmulator`; the harness damages what the emulator answers: a post's media object in the
logged-in timeline, a comment in a post's comments. Its timeline route is the harness's own
(ASCII-escaped JSON, as Instagram sends it, so a lone surrogate travels as `\\ud800`; endless or
broken paging on demand); every other route is the emulator's.

The mode reads no private messages: `message_id_object` does not apply (`plant_malformed`
returns None), and the only stream with a listing is `posts` (the timeline). Times are Unix
seconds on this wire, so `time_as_number` sends them as a string of digits (the other type).
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulation import InvalidCursor
from connectors.instagram.emulator.web import TIMELINE_DOC, VALID_SESSION, WebEmulator
from connectors.instagram.emulator.web_data import WebAccount, WebComment, WebPost
from connectors.instagram.loader_reads import TIMELINE_KEY
from tests.hostile.harness import Damage

USERNAME = "trasigakommun"
CSRF = "csrfHarness0123456789"
START = datetime(2026, 11, 2, 8, tzinfo=UTC)
Change = Callable[[dict[str, Any]], None]


class InstaloaderHarness:
    """The harness for Instagram profiles read through instaloader (see the module)."""

    platform = "instagram"
    account = "hostile-il"
    env: dict[str, str] = {}  # no token: the session file is named in the config
    text_field = "caption"
    streams = ("profile", "posts")  # what the mode reads (no messages)
    listings = ("posts",)  # the streams with a paged listing

    def __init__(self) -> None:
        self.profile = WebAccount(USERNAME, "Trasiga kommunen")
        self.profile.user["profile_pic_url"] = ""  # only the posts' photos are media
        self.emulator = WebEmulator(self.profile)
        self.emulator.router.override(r"/api/graphql/?", self._graphql, "POST")
        self.planted: list[WebPost] = []  # newest first
        self.unreadable: set[int] = set()  # posts whose id the archive cannot know
        self.post_damage: dict[int, Change] = {}
        self.comment_damage: dict[int, Change] = {}
        self.paging = "plain"  # or "repeat", "broken"
        self.timeline_requests = 0
        self.folder = Path(tempfile.mkdtemp(prefix="somed-harness-il-"))
        self.session_file = self.folder / "session-harness"
        self.endpoint = ""
        plain_media, plain_comment = self.profile.media, self.profile._graph_comment
        self.profile.media = lambda post: self._damaged(  # type: ignore[method-assign]
            plain_media(post), self.post_damage.get(post.pk)
        )
        self.profile._graph_comment = lambda comment: self._damaged(  # type: ignore[method-assign]
            plain_comment(comment), self.comment_damage.get(comment.pk)
        )

    def start(self) -> None:
        """Serve on loopback; write the session file."""
        self.session_file.write_bytes(pickle.dumps({"sessionid": VALID_SESSION, "csrftoken": CSRF,
                                                    "ds_user_id": "7700000001"}))  # fmt: skip
        self.endpoint = self.emulator.start()

    def stop(self) -> None:
        """Stop serving; remove the session file."""
        self.emulator.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform and account sections for the profile (fast pacing, no pauses)."""
        extra = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return ["[platforms.instagram]", f'endpoint = "{self.endpoint}"', *extra,
                "[[accounts]]", f'key = "{self.account}"', 'platform = "instagram"',
                'mode = "instaloader"', f'id = "{USERNAME}"',
                f'session_file = "{self.session_file}"', 'streams = ["profile", "posts"]',
                "pace_factor = 100", "pause_after_429_seconds = 0",
                "pause_after_wait_seconds = 0"]  # fmt: skip

    # --- planting ----------------------------------------------------------------------------

    def plant_good(self, posts: int = 5, comments: int = 2, threads: int = 2) -> None:
        """Image posts newest first, each with `comments` comments (`threads`: no messages)."""
        for _ in range(posts):
            when = START - timedelta(hours=len(self.planted))
            post = self.profile.add_post(when, f"Inlägg nummer {len(self.planted) + 1}")
            for c in range(comments):
                self.profile.add_comment(post, f"Kommentar {c}", when + timedelta(minutes=10 + c))
            self.planted.append(post)

    def good_ids(self) -> set[str]:
        """Every planted post and comment id the archive must hold."""
        ids: set[str] = set()
        for post in self.planted:
            if post.pk not in self.unreadable:
                ids.add(str(post.pk))
            ids |= {str(c.pk) for c in post.comments if not c.deleted}
        return ids

    def plant_malformed(self, damage: str) -> Damage | None:
        """Damage the second post (or its first comment) as the emulator serves it."""
        target = self.planted[1]
        if damage == "message_id_object":
            return None  # the mode reads no private messages
        if damage == "comment_text_object":
            bad = target.live_comments()[0]
            self.comment_damage[bad.pk] = lambda c: c.update(text={"text": "Kommentar som objekt"})
            return Damage(str(bad.pk), "quarantined", "posts", self._comment_raw(bad))
        changes: dict[str, Change] = {
            "time_in_words": lambda m: m.update(taken_at="yesterday"),
            "time_as_number": lambda m: m.update(taken_at=str(m["taken_at"])),
            "time_without_zone": lambda m: m.update(taken_at="2026-10-31T09:00:00"),
            "id_object": lambda m: m.update(pk={"value": m["pk"]}, id={"value": m["id"]}),
            "text_object": lambda m: m["caption"].update(text={"text": "Inlägg som objekt"}),
            "attachments_text": lambda m: m.update(image_versions2="photo.jpg"),
            "lone_surrogate": lambda m: m["caption"].update(text="Trasig text \ud800 här"),
        }
        if damage not in changes:
            raise ValueError(f"unknown damage {damage!r}")
        self.post_damage[target.pk] = changes[damage]
        raw = self.profile.media(target)
        if damage == "id_object":  # which post it is cannot be known: its comments wait
            self.unreadable.add(target.pk)
            held = frozenset(str(c.pk) for c in target.comments)
            return Damage(None, "quarantined", "posts", raw, held)
        expect = "repaired" if damage == "lone_surrogate" else "quarantined"
        return Damage(str(target.pk), expect, "posts", raw)

    @staticmethod
    def _damaged(body: dict[str, Any], change: Change | None) -> dict[str, Any]:
        if change is not None:
            change(body)
        return body

    def _comment_raw(self, comment: WebComment) -> dict[str, Any]:
        """The damaged comment as the archive keeps it (`loader_reads.comment_raw`'s shape)."""
        node = self.profile._graph_comment(comment)
        return {"id": node["id"], "text": node["text"], "created_at": node["created_at"],
                "owner": {"id": node["owner"]["id"], "username": node["owner"]["username"]},
                "likes_count": node["edge_liked_by"]["count"]}  # fmt: skip

    # --- the timeline, plain or hostile -----------------------------------------------------

    def _graphql(self, request: Request, match: Any) -> Response:
        """The logged-in timeline as the harness serves it; other queries as the emulator."""
        if (
            request.form.get("doc_id") != TIMELINE_DOC
            or self.emulator.logged_in(request) is not True
        ):
            return self.emulator.graphql(request, match)
        self.timeline_requests += 1
        if self.paging == "plain":
            try:
                variables = json.loads(request.form.get("variables") or "{}")
                connection = self.emulator._logged_in(self.emulator._offset(variables.get("after")))
            except (ValueError, InvalidCursor):
                return self.emulator.graphql(request, match)
        else:
            connection = self.emulator._logged_in(0)
            connection["edges"] = connection["edges"][:2]
            cursor: Any = {"url": 1}
            if self.paging == "repeat":
                cursor = f"again-{self.timeline_requests}"
            connection["page_info"] = {"has_next_page": True, "end_cursor": cursor}
        body = {"data": {TIMELINE_KEY: connection}, "status": "ok"}
        return Response(json.dumps(body), content_type="application/json")

    def repeat_forever(self, stream: str) -> None:
        """Every timeline page brings the first two posts under a fresh cursor."""
        assert stream == "posts", stream
        self.paging = "repeat"

    def break_paging(self, stream: str) -> None:
        """The timeline says where its next page is with an object, not a cursor."""
        assert stream == "posts", stream
        self.paging = "broken"

    def unlisted_ids(self, stream: str) -> set[str]:
        """Good ids a hostile timeline keeps from the walk (all but the first two posts')."""
        assert stream == "posts", stream
        listed = {str(p.pk) for p in self.planted[:2]}
        listed |= {str(c.pk) for p in self.planted[:2] for c in p.comments}
        return self.good_ids() - listed

    def overshoot(self, page_size: int) -> int:
        """Requests a walk may make past the run's budget: the budget is checked between
        batches, and two batches are read ahead while one is stored (`somed.prefetch`); a
        batch costs at most a timeline page (12 posts, whatever `page_size` says) and the
        comments of one post (one request for the harness's few comments)."""
        return 2 * 2

    def lengthen_texts(self, tail: str) -> None:
        """Add `tail` to the caption of every planted post."""
        for post in self.planted:
            post.caption = (post.caption or "") + tail

    def with_text(self, raw: dict[str, Any], text: str) -> dict[str, Any]:
        """A copy of a raw media object whose caption's text is `text`."""
        caption = raw.get("caption") if isinstance(raw.get("caption"), dict) else {}
        return {**raw, "caption": {**caption, "text": text}}

    def requests_to(self, stream: str) -> int:
        """Timeline requests the emulator got (the `posts` listing)."""
        assert stream == "posts", stream
        return self.timeline_requests
