"""The YouTube harness of the quarantine and bounded-walk tests (`tests/hostile/harness.py`).

It serves a channel from the YouTube emulator and damages what the emulator answers (a
video's `videos.list` item, a comment in `commentThreads.list`) in the ways `DAMAGES` names.
YouTube has no private messages: `message_id_object` does not apply (`plant_malformed` returns
None), and the only stream with a listing is `posts` (the uploads playlist).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from connectors.youtube.connector import VIDEO_PARTS
from connectors.youtube.emulator import Channel, Comment, Video, YouTubeEmulator
from tests.hostile.harness import Damage

TOKEN = "AIzaHARNESS-yt-51c0e2"
TOKEN_ENV = "SOMED_HARNESS_YT_KEY"
CHANNEL_ID = "UCharnesskommun00000000x"
API = "/youtube/v3"


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer with ASCII escapes, so a lone surrogate travels as `\\ud800`."""
    return Response(json.dumps(body), status=status, content_type="application/json")


class YouTubeHarness:
    """The harness for YouTube channels, on `YouTubeEmulator` with its answers damaged."""

    platform = "youtube"
    account = "hostile-yt"
    env = {TOKEN_ENV: TOKEN}
    streams = ("profile", "posts")
    listings = ("posts",)  # the streams with a paged listing

    def __init__(self) -> None:
        self.channel = Channel(CHANNEL_ID, "Trasiga kommunen", "@trasiga", "Kanalen.",
                               datetime(2020, 1, 1, tzinfo=UTC), pictures=False)  # fmt: skip
        self.emulator = YouTubeEmulator([self.channel], keys=(TOKEN,))
        self.emulator.repeat_at_page_end = False
        self.endpoint = ""
        self.held_back: set[str] = set()

    def start(self) -> None:
        """Serve on loopback."""
        self.endpoint = self.emulator.start()

    def stop(self) -> None:
        """Stop serving."""
        self.emulator.stop()

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform and account sections for the channel."""
        extra = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return ["[platforms.youtube]", f'endpoint = "{self.endpoint}"', *extra,
                "[[accounts]]", f'key = "{self.account}"', 'platform = "youtube"',
                f'id = "{CHANNEL_ID}"', f'token_env = "{TOKEN_ENV}"']  # fmt: skip

    # --- planting ----------------------------------------------------------------------------

    def plant_good(self, posts: int = 5, comments: int = 2, threads: int = 2) -> None:
        """Videos newest first, each with `comments` comment threads (a reply on the first)."""
        newest = datetime(2026, 11, 2, 8, tzinfo=UTC)
        for n in range(len(self.channel.videos), len(self.channel.videos) + posts):
            when = newest - timedelta(hours=6 * n)
            video = Video(f"video{n:06d}", f"Film {n}", f"Beskrivning {n}", when)
            for c in range(comments):
                top = Comment(
                    f"Ug{video.id}c{c}",
                    video.id,
                    f"UCvisitor{c:015d}",
                    "Invånare",
                    f"Kommentar {c}",
                    when + timedelta(hours=1),
                    when + timedelta(hours=1),
                )
                video.threads.append(top)
                video.replies[top.id] = (
                    [
                        Comment(
                            f"{top.id}.r0",
                            video.id,
                            CHANNEL_ID,
                            "Trasiga kommunen",
                            "Svar",
                            top.published,
                            top.published,
                            parent_id=top.id,
                        )
                    ]
                    if c == 0
                    else []
                )
            self.channel.videos.append(video)

    def good_ids(self) -> set[str]:
        """Every planted video, comment and reply id the archive must hold."""
        return self.channel.readable_ids()

    def plant_malformed(self, damage: str) -> Damage | None:
        """Damage the second video (or its first comment) as the emulator serves it."""
        target = self.channel.videos[1]
        if damage == "message_id_object":
            return None  # YouTube has no private messages
        if damage == "comment_text_object":
            top = target.threads[0]
            self._damage_comment(top.id, lambda c: c["snippet"].update(
                textOriginal={"text": "Kommentar som objekt"},
                textDisplay={"text": "Kommentar som objekt"}))  # fmt: skip
            return Damage(top.id, "quarantined", "posts", self._served_comment(target, top.id))
        changes = {
            "time_in_words": lambda v: v["snippet"].update(publishedAt="yesterday"),
            "time_as_number": lambda v: v["snippet"].update(publishedAt=1764590400),
            "time_without_zone": lambda v: v["snippet"].update(publishedAt="2026-10-31T09:00:00"),
            "id_object": lambda v: v.update(id={"value": v["id"]}),
            "text_object": lambda v: v["snippet"].update(title={"text": "Titel som objekt"}),
            "attachments_text": lambda v: v["snippet"].update(thumbnails="photo.jpg"),
            "lone_surrogate": lambda v: v["snippet"].update(description="Trasig text \ud800 här"),
        }
        if damage not in changes:
            raise ValueError(f"unknown damage {damage!r}")
        self._damage_video(target.id, changes[damage])
        raw = self._served_video(target.id)
        if damage == "id_object":  # which video it is cannot be known: its comments wait
            held = {target.id} | {c.id for c in target.threads}
            held |= {r.id for t in target.threads for r in target.replies[t.id]}
            return Damage(None, "quarantined", "posts", raw, frozenset(held))
        if damage == "lone_surrogate":
            return Damage(target.id, "repaired", "posts", raw)
        return Damage(target.id, "quarantined", "posts", raw)

    def _damage_video(self, video_id: str, change: Any) -> None:
        def answer(request: Request, match: Any) -> Response:
            response = self.emulator._videos(request, match)
            body = json.loads(response.get_data())
            for item in body.get("items", []):
                if item.get("id") == video_id:
                    change(item)
            return json_response(body, response.status_code)

        self.emulator.router.override(rf"{API}/videos", answer)

    def _damage_comment(self, comment_id: str, change: Any) -> None:
        def answer(request: Request, match: Any) -> Response:
            response = self.emulator._commentThreads(request, match)
            body = json.loads(response.get_data())
            for thread in body.get("items", []):
                top = thread["snippet"]["topLevelComment"]
                if top.get("id") == comment_id:
                    change(top)
            return json_response(body, response.status_code)

        self.emulator.router.override(rf"{API}/commentThreads", answer)

    def _served_video(self, video_id: str) -> dict[str, Any]:
        body = requests.get(f"{self.endpoint}{API}/videos", params={
            "key": TOKEN, "part": VIDEO_PARTS, "id": video_id}, timeout=10).json()  # fmt: skip
        return body["items"][0]

    def _served_comment(self, video: Video, comment_id: str) -> dict[str, Any]:
        body = requests.get(f"{self.endpoint}{API}/commentThreads", params={
            "key": TOKEN, "part": "snippet,replies", "videoId": video.id, "maxResults": 100},
            timeout=10).json()  # fmt: skip
        return next(t["snippet"]["topLevelComment"] for t in body["items"] if t["id"] == comment_id)

    # --- hostile paging ----------------------------------------------------------------------

    def repeat_forever(self, stream: str) -> None:
        """Every page of the uploads playlist brings the first two videos under a fresh token."""
        assert stream == "posts", stream
        first = self.channel.videos[:2]

        def endless(request: Request, match: Any) -> Response:
            from connectors.youtube.emulator import render

            n = int(request.args.get("pageToken", "0") or 0) + 1
            items = [render.playlist_item(self.channel, v, i) for i, v in enumerate(first)]
            return json_response(render.list_response("playlistItem", items, total=99,
                                                      per_page=2, next_token=str(n)))  # fmt: skip

        self.emulator.router.override(rf"{API}/playlistItems", endless)

    def break_paging(self, stream: str) -> None:
        """The uploads playlist says where its next page is with an object, not a token."""
        assert stream == "posts", stream

        def broken(request: Request, match: Any) -> Response:
            return json_response({"kind": "youtube#playlistItemListResponse", "items": [],
                                  "nextPageToken": {"url": 1}})  # fmt: skip

        self.emulator.router.override(rf"{API}/playlistItems", broken)

    def unlisted_ids(self, stream: str) -> set[str]:
        """Good ids a hostile listing of `stream` keeps from the walk."""
        listed = set()
        for video in self.channel.videos[:2]:
            listed |= {video.id} | {c.id for c in video.threads}
            listed |= {r.id for t in video.threads for r in video.replies.get(t.id, [])}
        return self.good_ids() - listed

    def overshoot(self, page_size: int) -> int:
        """Requests a walk may make past the run's budget: the budget is checked between
        batches, and a playlist page of `page_size` videos costs the page, `videos.list` and
        one comment listing per video; two more pages are read ahead while one is stored."""
        return 3 * (2 + page_size)

    def lengthen_texts(self, tail: str) -> None:
        """Add `tail` to the description of every planted video."""
        for video in self.channel.videos:
            video.description = (video.description or "") + tail

    def with_text(self, raw: dict[str, Any], text: str) -> dict[str, Any]:
        """A copy of a raw video whose text is `text` (its title; no description)."""
        snippet = dict(raw.get("snippet") or {}, title=text, description="")
        return dict(raw, snippet=snippet)

    def requests_to(self, stream: str) -> int:
        """Requests the emulator got for `stream`'s listing."""
        assert stream == "posts", stream
        return len(self.emulator.request_log.matching(rf"^{API}/playlistItems$"))
