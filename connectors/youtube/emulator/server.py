"""A YouTube Data API v3 emulator on the shared toolkit: the same paths, paging and errors.

`YouTubeEmulator(channels, keys=...)` serves `/youtube/v3/{channels,playlistItems,videos,
commentThreads,comments,captions}` with `pageToken`/`nextPageToken` paging, the quota (each
call charged its units; past the daily limit `403 quotaExceeded` until `quota.reset()`, or
midnight Pacific), the Google error envelope for a bad key (`keyInvalid`), comments turned
off (`commentsDisabled`), unknown ids, bad page tokens, and the thumbnails, avatars, banners
and video files on their own paths (`/vi/...`, `/ytc/...`, `/banner/...`, `/files/...`).
Fault kinds: `throttle` (403 rateLimitExceeded or 429), `server_error` (500 backendError or
503), `quota` (quotaExceeded) and `key_invalid`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulation import (
    CursorCodec,
    Emulator,
    InvalidCursor,
    UsageBudget,
    json_response,
    media_bytes,
)
from connectors.emulation.public_page import PublicKnobs, PublicSite
from connectors.youtube.emulator import public, render
from connectors.youtube.emulator.data import Channel, Comment, Video
from connectors.youtube.quota import DAILY_UNITS, quota_reset

API = "/youtube/v3"
KEY = "AIzaEMU-yt-key-5c1e9b07d2"  # a fake key; tests grep for it to prove it never leaks
COSTS = {"channels": 1, "playlistItems": 1, "videos": 1, "commentThreads": 1, "comments": 1,
         "captions": 50, "search": 100}  # fmt: skip
LIMITS = {"playlistItems": (5, 50), "videos": (5, 50), "commentThreads": (20, 100),
          "comments": (20, 100)}  # (default, most) maxResults  # fmt: skip


def _pacific_midnight_after(start: float) -> float:
    return quota_reset(datetime.fromtimestamp(start, UTC)).timestamp()


class YouTubeEmulator(Emulator):
    """Serves channels' uploads and comments as the YouTube Data API v3 does."""

    name = "youtube"
    fault_kinds = ("throttle", "server_error", "quota", "key_invalid")
    passthrough = r"/(vi|ytc|banner|files)/.*"

    def __init__(
        self,
        channels: list[Channel],
        *,
        keys: tuple[str, ...] = (KEY,),
        daily_units: int = DAILY_UNITS,
        captions_keys: tuple[str, ...] = (),
        port: int = 0,
        latency: float = 0.0,
        public_pages: PublicKnobs | None = None,
    ) -> None:
        super().__init__(port=port, latency=latency)
        self.public = PublicSite(public.SKIN, public_pages)  # the pages a browser sees
        self.channels = {c.id: c for c in channels}
        self.keys = set(keys)
        self.captions_keys = set(captions_keys)  # keys that may read captions (OAuth stands in)
        self.quota = UsageBudget(daily_units, fixed=True, resets_at=_pacific_midnight_after)
        self.codec = CursorCodec("youtube-emulator")
        self.lock = threading.RLock()
        self.repeat_at_page_end = True  # consecutive pages repeat an item, as YouTube's can
        for name in ("channels", "playlistItems", "videos", "commentThreads", "comments",
                     "captions", "search"):  # fmt: skip
            self.router.route(rf"{API}/{name}", getattr(self, f"_{name}"))
        self.router.route(r"/vi/(?P<id>[^/]+)/(?P<size>\w+)\.jpg", self._thumbnail)
        self.router.route(r"/ytc/(?P<id>[^/=]+)=s\d+", self._avatar)
        self.router.route(r"/banner/(?P<id>[^/]+)", self._avatar)
        self.router.route(r"/files/(?P<id>[^/.]+)\.mp4", self._file)

    # --- the toolkit's hooks -----------------------------------------------------------------

    def public_answer(self, request: Request) -> Response | None:
        """The channels' public pages, at www.youtube.com's paths."""
        with self.lock:
            return public.answer(self.public, list(self.channels.values()), request)

    def request_params(self, request: Request) -> dict[str, str]:
        """The logged params, without the key."""
        return {k: v for k, v in request.args.items() if k != "key"}

    def forced_fault(self, request: Request) -> tuple[str, dict[str, Any]] | None:
        """Charge an API call its units; past the daily quota, answer `quotaExceeded`."""
        if not request.path.startswith(API + "/"):
            return None
        if request.args.get("key") not in self.keys:
            return None  # answered by the route: keyInvalid costs nothing here
        units = COSTS.get(request.path.rsplit("/", 1)[-1], 1)
        if not self.quota.spend(units):
            return ("quota", {})
        return None

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        """Answer an injected fault as YouTube does."""
        rng = self.faults.rng
        if kind == "quota":
            return json_response(
                render.error(
                    403,
                    "quotaExceeded",
                    "The request cannot be completed because you have "
                    'exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
                ),
                403,
            )
        if kind == "key_invalid":
            return self._bad_key()
        if kind == "throttle":
            if rng.random() < 0.5:
                return json_response(render.error(
                    429, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).",
                    "global"), 429, {"Retry-After": "0"})  # fmt: skip
            return json_response(render.error(403, "rateLimitExceeded", "Rate limit exceeded.",
                                              "usageLimits"), 403)  # fmt: skip
        if rng.random() < 0.5:
            return json_response(render.error(500, "backendError", "Backend Error", "global"), 500)
        return Response("<html><body>503 Service Unavailable</body></html>", 503,
                        content_type="text/html")  # fmt: skip

    def not_found(self, request: Request) -> Response:
        """Google's 404 for an unknown path."""
        return json_response(render.error(404, "notFound", "Not Found", "global"), 404)

    # --- changes tests and the demo make -----------------------------------------------------

    def find_video(self, video_id: str) -> tuple[Channel, Video] | None:
        """The channel and video of an id, or None."""
        for channel in self.channels.values():
            found = channel.video(video_id)
            if found is not None:
                return channel, found
        return None

    def find_comment(self, comment_id: str) -> tuple[Video, Comment] | None:
        """The video and comment (top-level or reply) of an id, or None."""
        for channel in self.channels.values():
            for v in channel.videos:
                for top in v.threads:
                    if top.id == comment_id:
                        return v, top
                    for reply in v.replies.get(top.id, []):
                        if reply.id == comment_id:
                            return v, reply
        return None

    def edit_video(self, video_id: str, *, title: str | None = None,
                   description: str | None = None) -> None:  # fmt: skip
        """Change a video's title or description (YouTube keeps no edit time for videos)."""
        with self.lock:
            _, v = self.find_video(video_id) or (None, None)
            if v is None:
                raise KeyError(video_id)
            v.title = title if title is not None else v.title
            v.description = description if description is not None else v.description

    def edit_comment(self, comment_id: str, text: str) -> None:
        """Change a comment's text; its `updatedAt` moves to now."""
        with self.lock:
            _, m = self.find_comment(comment_id) or (None, None)
            if m is None:
                raise KeyError(comment_id)
            m.text = text
            m.updated = datetime.now(UTC).replace(microsecond=0)

    def delete_video(self, video_id: str) -> None:
        """Remove a video (its comments go with it)."""
        with self.lock:
            channel, v = self.find_video(video_id) or (None, None)
            if channel is None or v is None:
                raise KeyError(video_id)
            channel.videos.remove(v)

    def delete_comment(self, comment_id: str) -> None:
        """Remove a comment; a top-level comment takes its replies with it."""
        with self.lock:
            v, m = self.find_comment(comment_id) or (None, None)
            if v is None or m is None:
                raise KeyError(comment_id)
            if m.parent_id is None:
                v.threads.remove(m)
                v.replies.pop(m.id, None)
            else:
                v.replies[m.parent_id].remove(m)

    def add_video(self, channel_id: str, v: Video) -> None:
        """Publish a new video at the top of the channel's uploads."""
        with self.lock:
            self.channels[channel_id].videos.insert(0, v)

    def add_comment(self, video_id: str, text: str, author: str = "Invånare") -> str:
        """A visitor comments a video now; return the comment's id."""
        with self.lock:
            _, v = self.find_video(video_id) or (None, None)
            if v is None:
                raise KeyError(video_id)
            now = datetime.now(UTC).replace(microsecond=0)
            comment = Comment(f"Ugnew{video_id}{len(v.threads):03d}", video_id, None, author,
                              text, now, now)  # fmt: skip
            v.threads.insert(0, comment)
            v.replies[comment.id] = []
            return comment.id

    # --- API routes --------------------------------------------------------------------------

    def _bad_key(self) -> Response:
        return json_response({"error": {
            "code": 400, "message": "API key not valid. Please pass a valid API key.",
            "errors": [{"message": "API key not valid. Please pass a valid API key.",
                        "domain": "global", "reason": "badRequest"}],
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}},
            400)  # fmt: skip

    def _guard(self, request: Request) -> Response | None:
        key = request.args.get("key")
        if not key:
            return json_response(
                render.error(403, "forbidden", "The request is missing a valid API key.", "global"),
                403,
            )
        if key not in self.keys:
            return self._bad_key()
        return None

    def _page(self, request: Request, kind: str, rows: list[Any], render_row: Any,
              name: str) -> Response:  # fmt: skip
        """One page of `rows` from the pageToken's offset, with the next token when more."""
        default, most = LIMITS[name]
        try:
            size = int(request.args.get("maxResults", default))
        except ValueError:
            size = -1
        if not 0 <= size <= most:
            return json_response(
                render.error(
                    400, "invalidParameter", f"Invalid value for maxResults: {size}", "global"
                ),
                400,
            )
        offset = 0
        token = request.args.get("pageToken")
        if token:
            try:
                offset = int(self.codec.decode(token)["o"])
            except (InvalidCursor, KeyError, TypeError, ValueError):
                return json_response(render.error(
                    400, "invalidPageToken", "The request specifies an invalid page token.",
                    "parameter"), 400)  # fmt: skip
        chunk = rows[offset : offset + max(size, 1)]
        following = offset + len(chunk)
        next_token = None
        if following < len(rows):
            # as on YouTube, the next page may start with the last item of this one again
            back = 1 if self.repeat_at_page_end and len(chunk) > 1 and following % 3 == 0 else 0
            next_token = self.codec.encode({"o": following - back})
        items = [render_row(row, offset + i) for i, row in enumerate(chunk)]
        return json_response(
            render.list_response(kind, items, total=len(rows), per_page=size, next_token=next_token)
        )

    def _channels(self, request: Request, match: Any) -> Response:
        refused = self._guard(request)
        if refused:
            return refused
        parts = set(request.args.get("part", "").split(","))
        wanted = request.args.get("id", "")
        handle = request.args.get("forHandle", "")
        with self.lock:
            found = [
                c
                for c in self.channels.values()
                if c.id in wanted.split(",")
                or (handle and c.handle.lower() in (handle.lower(), "@" + handle.lower()))
            ]
            items = [render.channel(c, parts) for c in found]  # fmt: skip
        body = render.list_response("channel", items, total=len(items), per_page=5)
        if not items:
            del body["items"]  # YouTube leaves `items` out when nothing matched
        return json_response(body)

    def _playlistItems(self, request: Request, match: Any) -> Response:  # noqa: N802
        refused = self._guard(request)
        if refused:
            return refused
        playlist = request.args.get("playlistId", "")
        with self.lock:
            channel = next((c for c in self.channels.values() if c.uploads == playlist), None)
            if channel is None:
                return json_response(render.error(
                    404, "playlistNotFound", "The playlist identified with the request's "
                    "<code>playlistId</code> parameter cannot be found.", "playlistItem"),
                    404)  # fmt: skip
            videos = list(channel.videos)
            return self._page(
                request,
                "playlistItem",
                videos,
                lambda v, i: render.playlist_item(channel, v, i),
                "playlistItems",
            )

    def _videos(self, request: Request, match: Any) -> Response:
        refused = self._guard(request)
        if refused:
            return refused
        parts = set(request.args.get("part", "").split(","))
        ids = [i for i in request.args.get("id", "").split(",") if i]
        if len(ids) > 50:
            return json_response(render.error(400, "invalidParameter", "Too many ids", "global"),
                                 400)  # fmt: skip
        items = []
        with self.lock:
            for ident in ids:
                found = self.find_video(ident)
                if found is None or found[1].privacy == "private":
                    continue  # deleted and private videos are simply not in the answer
                items.append(render.video(found[0], found[1], parts))
        return json_response(render.list_response("video", items, total=len(items),
                                                  per_page=len(items)))  # fmt: skip

    def _commentThreads(self, request: Request, match: Any) -> Response:  # noqa: N802
        refused = self._guard(request)
        if refused:
            return refused
        with self.lock:
            found = self.find_video(request.args.get("videoId", ""))
            if found is None or found[1].privacy == "private":
                return json_response(render.error(
                    404, "videoNotFound", "The video identified by the <code><a href=\"/youtube"
                    "/v3/docs/commentThreads/list#videoId\">videoId</a></code> parameter could "
                    "not be found.", "commentThread"), 404)  # fmt: skip
            channel, v = found
            if v.comments_disabled:
                return json_response(
                    render.error(
                        403,
                        "commentsDisabled",
                        "The video identified by the <code>videoId</code> "
                        "parameter has disabled comments.",
                        "commentThread",
                    ),
                    403,
                )
            threads = [t for t in v.threads if not t.held]
            return self._page(
                request,
                "commentThread",
                threads,
                lambda t, i: render.thread(channel, v, t),
                "commentThreads",
            )

    def _comments(self, request: Request, match: Any) -> Response:
        refused = self._guard(request)
        if refused:
            return refused
        with self.lock:
            parent = request.args.get("parentId")
            if parent:
                found = self.find_comment(parent)
                if found is None:
                    return json_response(render.error(
                        404, "commentNotFound", "The comment identified by the "
                        "<code>parentId</code> parameter could not be found.",
                        "comment"), 404)  # fmt: skip
                v, top = found
                channel = self._channel_of(v)
                return self._page(
                    request,
                    "comment",
                    list(v.replies.get(top.id, [])),
                    lambda m, i: render.comment(channel, m),
                    "comments",
                )
            items = []
            for ident in [i for i in request.args.get("id", "").split(",") if i]:
                hit = self.find_comment(ident)
                if hit is not None:
                    items.append(render.comment(self._channel_of(hit[0]), hit[1]))
        return json_response(render.list_response("comment", items, total=len(items),
                                                  per_page=len(items)))  # fmt: skip

    def _captions(self, request: Request, match: Any) -> Response:
        refused = self._guard(request)
        if refused:
            return refused
        if request.args.get("key") not in self.captions_keys:
            return json_response(
                render.error(
                    403,
                    "forbidden",
                    "The permissions associated with the request are not "
                    "sufficient to retrieve the caption tracks.",
                    "caption",
                ),
                403,
            )
        with self.lock:
            found = self.find_video(request.args.get("videoId", ""))
            if found is None:
                return json_response(render.error(404, "videoNotFound", "Video not found",
                                                  "caption"), 404)  # fmt: skip
            v = found[1]
            items = [render.caption(v, track) for track in v.captions]
        return json_response(render.list_response("caption", items, total=len(items),
                                                  per_page=len(items)))  # fmt: skip

    def _search(self, request: Request, match: Any) -> Response:
        """Served (100 units), so a test can prove somed never calls it."""
        refused = self._guard(request)
        return refused or json_response(render.list_response("search", [], total=0, per_page=0))

    def _channel_of(self, v: Video) -> Channel:
        return next(c for c in self.channels.values() if v in c.videos)

    # --- media -------------------------------------------------------------------------------

    def _thumbnail(self, request: Request, match: Any) -> Response:
        data, mime = media_bytes("jpg", f"thumb-{match['id']}")
        return Response(data, 200, content_type=mime)

    def _avatar(self, request: Request, match: Any) -> Response:
        data, mime = media_bytes("jpg", f"avatar-{match['id']}")
        return Response(data, 200, content_type=mime)

    def _file(self, request: Request, match: Any) -> Response:
        data, mime = media_bytes("mp4", f"video-{match['id']}")
        return Response(data, 200, content_type=mime)

    def api_requests(self) -> int:
        """How many API calls (not media) were answered so far."""
        return len(self.request_log.matching(rf"^{API}/"))

    def units_spent(self) -> int:
        """The quota units spent in the current day."""
        return self.quota.used()
