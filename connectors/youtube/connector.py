"""The YouTube connector: a channel's profile, its uploads with every comment, quota counted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, ClassVar

import requests
from pydantic import BaseModel

from connectors.base import (
    AccountSpec,
    CheckResult,
    Clock,
    Connector,
    FatalError,
    PermissionDenied,
    PlatformSettings,
    StreamSpec,
)
from connectors.download import MediaLimits, Sink
from connectors.model import (
    Batch,
    ItemRef,
    MediaRef,
    Quarantined,
    Record,
    Span,
    Tombstone,
    item_id,
    parse_utc,
    utc_iso,
)
from connectors.youtube import reread
from connectors.youtube.capture import HINTS
from connectors.youtube.client import ObjectMissing, PageTokenInvalid, YouTubeClient
from connectors.youtube.comments import raw_comments
from connectors.youtube.normalize import NORMALISERS, caption_facts
from connectors.youtube.options import YouTubeOptions

Entry = Record | Tombstone | Quarantined

CHANNEL_PARTS = "snippet,statistics,brandingSettings,contentDetails"
VIDEO_PARTS = "snippet,contentDetails,status,statistics"
LIST_LIMIT = 50  # the most ids videos.list takes, the most items playlistItems.list gives
BATCH_ITEMS = 50  # items (whole videos with their comments) per stored batch, about
WORKERS = 4  # videos whose comments are read at the same time


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


class YouTubeConnector(Connector):
    """Reads a YouTube channel with an API key: profile, uploaded videos, comments, replies."""

    platform: ClassVar[str] = "youtube"
    display_name: ClassVar[str] = "YouTube"
    default_api_version: ClassVar[str | None] = "v3"
    api_version_pattern: ClassVar[str | None] = r"^v3$"
    plain_downloads: ClassVar[bool] = True  # files are plain GETs through the session
    streams: ClassVar[tuple[StreamSpec, ...]] = (
        StreamSpec("profile", "none", timedelta(hours=6)),
        StreamSpec("posts", "timestamp", timedelta(hours=1)),  # quota: hourly, not every 15 min
    )
    hosts: ClassVar[tuple[str, ...]] = (
        "youtube.googleapis.com",
        "www.googleapis.com",
        "i.ytimg.com",  # thumbnails
        "*.ytimg.com",
        "yt3.ggpht.com",  # avatars and banners
        "*.ggpht.com",
        "yt3.googleusercontent.com",
        "*.googlevideo.com",
    )
    options_model: ClassVar[type[BaseModel] | None] = YouTubeOptions
    normalisers = NORMALISERS
    capture_hints = HINTS

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        super().__init__(account, settings, session, clock)
        self.client = YouTubeClient(
            account.token.reveal(), session, endpoint=settings.endpoint, clock=clock
        )
        options = account.options
        self.video_url = options.get("video_url") if options.get("download_video") else None
        self.read_captions = bool(options.get("captions"))
        self._captions_tried = False  # one read first: an API key is refused, once a run
        self._captions_probe = threading.Lock()
        self.channel_id = account.platform_id
        self.page_size = max(1, min(LIST_LIMIT, settings.page_size))  # videos per playlist page
        self.uploads: str | None = None
        # videos read in full by this run's walk -> the comment ids listed with them: the
        # run's re-read need not read them again (a first archive's sweep costs nothing)
        self.read_in_full: dict[str, set[str]] = {}
        self._pages: dict[str, dict[str, Any]] = {}  # the playlist page the walk is on
        self._videos: dict[str, Any] = {}  # that page's video metadata (None: not shown)
        self._read: dict[str, list[Entry]] = {}  # that page's videos read with their comments
        self._unreadable: list[Quarantined] = []  # that page's videos.list answers without id

    # --- bookkeeping -------------------------------------------------------------------------

    def request_count(self) -> int:
        """Return how many HTTP requests this connector has made (downloads included)."""
        return self.client.requests_made

    def cost_units(self) -> int | None:
        """Return the quota units this run's calls cost (failed calls included)."""
        return self.client.units

    # --- contract ----------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the channel's title with the key; a refused key raises `AuthError`."""
        channel = self._channel("id,snippet")
        title = (channel.get("snippet") or {}).get("title")
        denied: dict[str, str] = {}
        return CheckResult(
            identity=f"{title} ({channel.get('id')})",
            allowed_streams=self.stream_names(),
            denied=denied,
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of one stream's walk (see `_fetch_posts` for the uploads)."""
        if stream == "profile":
            raw = self._channel(CHANNEL_PARTS)
            yield Batch([self.normalised("profile", "profile", raw)], final=True)
        elif stream == "posts":
            try:
                yield from self._fetch_posts(cursor, resume)
            except PageTokenInvalid:
                if resume is None:
                    raise
                # a resume point from an earlier run that YouTube no longer takes: walk again
                # from the top (what is stored already is merely read again)
                yield from self._fetch_posts(cursor, None)
        else:
            raise self.unknown_stream(stream)

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Re-read stored videos and their comments; yield tombstones for what is gone."""
        self._resolve_channel()
        yield from reread.refetch(self, refs)

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream a thumbnail, avatar, banner or video file into `sink` (capped, type-checked)."""
        return self.client.download(
            media.source_url, sink, kind=media.kind, declared=media.mime_type, limits=limits
        )

    # --- the channel -------------------------------------------------------------------------

    def _channel(self, parts: str) -> dict[str, Any]:
        """The channel resource (by id, or by handle for `@name`); FatalError when none."""
        ident = self.account.platform_id
        by = {"forHandle": ident} if not ident.startswith("UC") else {"id": ident}
        body = self.client.call("channels", "list", "profile", part=parts, **by)
        items = [i for i in body.get("items", []) if isinstance(i, dict)]
        if not items:
            raise FatalError(
                f"YouTube channel {ident} does not exist (check the account's id: a channel id "
                "UC... or a handle @name)",
                reason="youtube.channel_missing",
                params={"channel": ident},
            )
        channel = items[0]
        if isinstance(channel.get("id"), str):
            self.channel_id = channel["id"]
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
            "uploads"
        )
        if isinstance(uploads, str) and uploads:
            self.uploads = uploads
        return channel

    def _resolve_channel(self) -> None:
        """Know the channel id and its uploads playlist (`UU` + the id's tail), asking once."""
        if self.uploads:
            return
        ident = self.channel_id
        if ident.startswith("UC") and len(ident) > 2:
            self.uploads = "UU" + ident[2:]
            return
        self._channel("id,contentDetails")
        if not self.uploads:
            raise FatalError(
                f"YouTube channel {ident} lists no uploads playlist",
                reason="youtube.channel_missing",
                params={"channel": ident},
            )

    # --- the uploads -------------------------------------------------------------------------

    def _fetch_posts(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """The uploads playlist newest first, each video with all its comments and replies.

        The cursor is the newest `videoPublishedAt` archived: an increment stops at the first
        video not newer. A batch holds whole videos with their comments (about `BATCH_ITEMS`
        items) and a resume token (page token, videos done on that page) that stays valid
        across runs, so a run the quota stopped is taken up by the next one where it stopped.
        Within a run, a retry reuses what this page already read (playlist page, metadata,
        each video done with its comments): no unit is spent twice, and every try progresses.
        """
        self._resolve_channel()
        state: dict[str, Any] = json.loads(resume) if resume else {}
        high: str | None = _later(state.get("hw"), cursor)
        done = int(state.get("done") or 0)
        token: str | None = state.get("page")
        asked: set[str] = set()
        seen: set[str] = set()
        pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="youtube-comments")
        try:
            while True:
                body = self._listing(token)
                following = body.get("nextPageToken") or None
                todo, reached = self._page_videos(body, cursor, seen)
                last_page = reached or following is None
                metadata = self._metadata([v for v, _ in todo[done:]])
                unreadable, self._unreadable = self._unreadable, []
                # every video of the page is read with its comments a few at a time; the
                # batches are yielded in the playlist's order as their videos are done
                reads = {v: pool.submit(self._video_entries, v, metadata[v])
                         for v, _ in todo[done:] if v in metadata}  # fmt: skip
                records: list[Entry] = list(unreadable)
                for position in range(done, len(todo)):
                    video_id, published = todo[position]
                    if video_id in reads:
                        records.extend(reads[video_id].result())
                        high = _later(high, published)
                    if position == len(todo) - 1:
                        break  # the page's last batch is yielded below
                    if len(records) >= BATCH_ITEMS:
                        point = {"page": token, "done": position + 1, "hw": high}
                        yield Batch(records, resume=json.dumps(point), durable_resume=True)
                        records = []
                if last_page:
                    yield Batch(records, high_water=high, final=True)
                    return
                point = {"page": following, "done": 0, "hw": high}
                yield Batch(records, resume=json.dumps(point), durable_resume=True)
                if following in asked or following == token:
                    raise FatalError(
                        "paging loop on playlistItems.list: the next page was asked for again",
                        reason="youtube.paging_loop",
                        params={"call": "playlistItems.list"},
                    )
                asked.add(str(following))
                token, done = following, 0
        finally:  # a failed read ends the walk: the reads not started yet are not made;
            # no waiting for the ones under way: this may run wherever the walk is let go
            # (garbage collection in another thread), and a pool cannot join its own thread
            pool.shutdown(wait=False, cancel_futures=True)

    def _video_entries(self, video_id: str, raw: dict[str, Any]) -> list[Entry]:
        """A video with its comments, read once a run (a retry of the walk takes it from here)."""
        entries = self._read.get(video_id)
        if entries is None:
            entries = self.video_with_comments(raw)[0]
            self._read[video_id] = entries
        return entries

    def _listing(self, token: str | None) -> dict[str, Any]:
        """One page of the uploads playlist (kept for this run: a retry reads it again free)."""
        cached = self._pages.get(token or "")
        if cached is None:
            params = {"pageToken": token} if token else {}
            cached = self.client.call("playlistItems", "list", "posts", part="contentDetails",
                                      playlistId=self.uploads, maxResults=self.page_size,
                                      **params)  # fmt: skip
            self._pages = {token or "": cached}  # only the page the walk is on
            self._read = {}
        return cached

    def _metadata(self, ids: list[str]) -> dict[str, Any]:
        """The videos of `ids` (read by `videos.list` once a run; kept for retries)."""
        missing = [i for i in ids if i not in self._videos]
        if missing:
            found, self._unreadable = self.videos_by_id(missing)
            self._videos = {i: self._videos[i] for i in ids if i in self._videos}
            self._videos.update(found)
            self._videos.update({i: None for i in missing if i not in found})
        return {i: self._videos[i] for i in ids if self._videos.get(i) is not None}

    def _page_videos(
        self, body: dict[str, Any], cursor: str | None, seen: set[str]
    ) -> tuple[list[tuple[str, str | None]], bool]:
        """(video id, published) of a playlist page down to the cursor; True when reached."""
        todo: list[tuple[str, str | None]] = []
        for item in body.get("items", []):
            details = item.get("contentDetails") if isinstance(item, dict) else None
            if not isinstance(details, dict):
                continue
            video_id = item_id(details.get("videoId"))
            published = details.get("videoPublishedAt")
            published = published if isinstance(published, str) and published else None
            stamp = _stamp(published)
            if cursor and stamp and stamp <= cursor:
                return todo, True
            if video_id is not None and video_id not in seen:
                seen.add(video_id)
                todo.append((video_id, stamp))
        return todo, False

    def videos_by_id(
        self, ids: Sequence[str], stream: str = "posts"
    ) -> tuple[dict[str, Any], list[Quarantined]]:
        """The videos of `ids` YouTube still shows (`videos.list`, 50 ids a call), by id, and
        the answers without a readable id (quarantined: which video they are is unknown)."""
        found: dict[str, Any] = {}
        unreadable: list[Quarantined] = []
        for start in range(0, len(ids), LIST_LIMIT):
            chunk = ids[start : start + LIST_LIMIT]
            body = self.client.call("videos", "list", stream, part=VIDEO_PARTS,
                                    id=",".join(chunk), maxResults=LIST_LIMIT)  # fmt: skip
            for raw in body.get("items", []):
                ident = item_id(raw.get("id")) if isinstance(raw, dict) else None
                if ident is not None:
                    found[ident] = raw
                else:
                    why = "ValueError: a video without a readable id (not a non-empty string)"
                    unreadable.append(
                        self.quarantine(stream, raw, why, "video", {"channel_id": self.channel_id})
                    )
        return found, unreadable

    def video_with_comments(
        self, raw: dict[str, Any], stream: str = "posts"
    ) -> tuple[list[Entry], bool]:
        """A video's record (captions' metadata added when read) and all its comments; False
        when its comments could not be listed (turned off)."""
        video_id = item_id(raw.get("id"))
        context: dict[str, Any] = {"channel_id": self.channel_id, "video_url": self.video_url}
        if video_id is not None and self.read_captions:
            context["captions"] = self._captions(raw, video_id, stream)
        records: list[Entry] = [self.normalised(stream, "video", raw, context)]
        if video_id is None:
            return records, False
        comments = raw_comments(self.client, video_id, stream)
        if comments is None:  # comments off: the video says so in its raw payload
            return records, False
        where = {"channel_id": self.channel_id, "video_id": video_id}
        records.extend(self.normalised(stream, "comment", c, where) for c in comments)
        self.read_in_full[video_id] = {e.id for e in records[1:] if e.id is not None}
        return records, True

    def _captions(self, raw: dict[str, Any], video_id: str, stream: str) -> list[Any] | None:
        """The caption tracks' metadata (50 units); None once the credential may not read them."""
        if not self.read_captions:
            return None
        details = raw.get("contentDetails") if isinstance(raw.get("contentDetails"), dict) else {}
        if details.get("caption") == "false":
            return []
        if self._captions_tried:
            return self._read_captions(video_id, stream)
        with self._captions_probe:  # the first read says whether the credential may read them
            if not self._captions_tried:
                found = self._read_captions(video_id, stream)
                self._captions_tried = True
                return found
        return self._read_captions(video_id, stream) if self.read_captions else None

    def _read_captions(self, video_id: str, stream: str) -> list[Any] | None:
        try:
            body = self.client.call("captions", "list", stream, part="snippet", videoId=video_id)
        except (PermissionDenied, ObjectMissing):
            self.read_captions = False  # an API key may not: stop spending 50 units a try
            return None
        return [caption_facts(c) for c in body.get("items", []) if isinstance(c, dict)]


def _stamp(text: str | None) -> str | None:
    """A YouTube timestamp (with or without fractions) as stored: UTC ISO, seconds."""
    try:
        return utc_iso(parse_utc(text))
    except (TypeError, ValueError):
        return None
