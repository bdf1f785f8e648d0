"""Instagram mode `instaloader`: a public profile read through instaloader, no API access.

`InstagramConnector` (connector.py) hands every contract call to a `LoaderWalk` when the
account sets `mode = "instaloader"`; its account keys are `LoaderOptions`. The walk:

- `profile`: the profile page (`Profile.from_username`);
- `posts`: the profile's timeline newest first (12 posts a page), each post with its comments
  and replies when a login session is given (`session_file`; Instagram shows comments only to
  logged-in visitors), a batch after each post whose comments cost requests and at each page's
  end, the cursor the newest `taken_at` seen; a post quarantined (damaged) but with a usable
  id is kept under that id, and its comments are read all the same. Without a session only the
  timeline's first page is public: a walk that needs more ends `auth_failed`
  (`instagram.login_required`) after storing what it read. Pinned posts (first in the timeline,
  out of date order) never end an incremental walk: only an unpinned post at or before the
  cursor does;
- `refetch`: lists the timeline again over the refetch window (a post missing from it is read by
  its id to confirm it is gone), and re-reads the comments of the posts whose change marker
  (caption and comment count) moved;
- media through the run's session and `connectors.download` (caps, type checks).

All of instaloader's traffic goes through the run's network layer (`loader_transport`), paced
durably (`loader_pace`); its failures become typed errors (`loader_context.typed`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import instaloader.exceptions as il
from instaloader import Post, Profile

from connectors.base import CheckResult, FatalError, PermissionDenied
from connectors.download import MediaLimits, Sink, download
from connectors.instagram import loader_reread
from connectors.instagram.loader_context import (
    INSTALOADER_ERRORS,
    QuietContext,
    forget_tokens,
    keep_tokens,
    open_context,
    typed,
)
from connectors.instagram.loader_normalize import is_pinned, marker_of
from connectors.instagram.loader_options import LoaderOptions
from connectors.instagram.loader_pace import PaceFile
from connectors.instagram.loader_reads import (
    LOGGED_OUT_DOC,
    TIMELINE_DOC,
    TIMELINE_KEY,
    VIEWER_QUERY,
    comment_raw,
    comment_shell,
    listed_id,
    media_of,
    paging,
    timeline_variables,
)
from connectors.instagram.loader_transport import Route, routing
from connectors.model import (
    Batch,
    ItemRef,
    MediaRef,
    Quarantined,
    Record,
    Span,
    Tombstone,
    parse_utc,
    utc_iso,
)

if TYPE_CHECKING:
    from connectors.base import Connector

Entry = Record | Tombstone | Quarantined

PACE_FILE_NAME = "instaloader-pace.json"
MODE = {"mode": "instaloader"}  # in every normaliser context: the connector picks our normalisers
MAX_IDLE_PAGES = 20  # timeline pages in a row without a new post before the walk is stalled


def open_mode(connector: Connector) -> LoaderWalk:
    """The instaloader mode of `connector` (InstagramConnector hands it every contract call)."""
    return LoaderWalk(connector)


class LoaderWalk:
    """The instaloader mode of one account's connector (its contract calls, see the module)."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        account = connector.account
        known = set(LoaderOptions.model_fields)
        self.options = LoaderOptions.model_validate(
            {k: v for k, v in account.options.items() if k in known}
        )
        self.username = account.platform_id.lstrip("@").lower()
        self.session = connector.session
        self.route = Route(self.session)
        self.pace = PaceFile(self._pace_path(account.state_dir))
        self._context: QuietContext | None = None
        self._profile: Profile | None = None
        self._page: tuple[str | None, tuple[list[dict[str, Any]], str | None, bool]] | None = None
        self.logged_in = self.options.session_file is not None

    def _pace_path(self, state_dir: Path | None) -> Path | None:
        if self.options.pace_file:
            return Path(self.options.pace_file)
        return state_dir / PACE_FILE_NAME if state_dir else None

    # --- instaloader, routed and typed -----------------------------------------------------

    @contextlib.contextmanager
    def calls(self) -> Iterator[QuietContext]:
        """Run instaloader within the walk's route; what it raises comes out typed."""
        with routing(self.route):
            try:
                yield self.context()
            except INSTALOADER_ERRORS as exc:
                self.pace.save()
                if self._context is not None:
                    forget_tokens(self._context)
                raise typed(
                    exc,
                    self.session,
                    self.pace,
                    pause_429=self.options.pause_after_429_seconds,
                    pause_wait=self.options.pause_after_wait_seconds,
                    logged_in=self.logged_in,
                ) from None

    def context(self) -> QuietContext:
        """The walk's instaloader context (made on first use)."""
        if self._context is None:
            file = self.options.session_file
            self._context = open_context(
                self.session,
                self.pace,
                pace_factor=self.options.pace_factor,
                timeout=self.connector.settings.timeout_seconds,
                session_file=Path(file) if file else None,
                session_user=self.options.session_user,
            )
        return self._context

    def profile(self) -> Profile:
        """The account's profile (read once per walk)."""
        if self._profile is None:
            with self.calls() as context:
                self._profile = Profile.from_username(context, self.username)
        return self._profile

    def user_id(self) -> str:
        """The profile's user id (own comments are told apart by it)."""
        return str(self.profile()._node.get("pk") or self.profile()._node.get("id"))

    def request_count(self) -> int:
        """How many requests instaloader made through this walk."""
        return self.route.requests

    def pause_hint(self) -> float:
        """No pause between batches: the pacing raises `RateLimited` when one is due."""
        return 0.0

    def close(self) -> None:
        """Save the pacing; close instaloader's session (the run's is the connector's)."""
        self.pace.save()
        if self._context is not None:
            keep_tokens(self._context)
            with routing(self.route):
                self._context.close()

    # --- the contract ----------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the profile page and, with a session, who it is; say what it allows."""
        profile = self.profile()
        node = profile._node
        if self.logged_in:
            with self.calls() as context:  # a session Instagram no longer knows: login page
                context.graphql_query(VIEWER_QUERY, {})
        denied = {} if self.logged_in else {
            "posts": "comments and posts beyond the newest 12 need a session_file"
        }  # fmt: skip
        name = node.get("full_name") or self.username
        return CheckResult(
            identity=f"{name} (@{node.get('username') or self.username})",
            allowed_streams=("profile", "posts"),
            denied=denied,
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield the batches of a `profile` or `posts` walk."""
        if stream == "profile":
            raw = dict(self.profile()._node)
            raw.pop("polaris_ordered_timeline_connection", None)
            yield Batch([self.connector.normalised("profile", "profile", raw, MODE)], final=True)
        elif stream == "posts":
            yield from self._posts(cursor, resume)
        elif stream == "messages":
            raise PermissionDenied(
                "messages",
                "direct messages are read in graph mode only (instaloader reads public profiles)",
                reason="instagram.loader_no_messages",
            )
        else:
            raise self.connector.unknown_stream(stream)

    def _posts(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """The timeline newest first; a batch ends after each post whose comments cost requests
        (and at a page's end), so a retry after a fault repeats little: the resume point names
        the page and how many of its posts are stored."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        after: str | None = state.get("after")
        skip = int(state.get("skip") or 0)
        high: str | None = _later(state.get("hw"), cursor)
        since = parse_utc(cursor)
        seen: set[str] = set()
        cursors: set[str | None] = {after}
        idle = 0
        while True:
            nodes, following, more = self.timeline_page(after)
            records: list[Entry] = []
            reached = False
            idle = 0 if {listed_id(n) for n in nodes} - seen else idle + 1
            if idle > MAX_IDLE_PAGES:
                raise FatalError(
                    f"Instagram gave {idle} timeline pages in a row without a new post",
                    reason="instagram.paging_stalled",
                    params={"path": "timeline"},
                )
            for index, raw in enumerate(nodes):
                if index < skip:
                    continue
                post = self.connector.normalised("posts", "post", raw, MODE)
                made = self.route.requests
                if isinstance(post, Record):
                    if post.id in seen:
                        continue
                    seen.add(post.id)
                    old = (since is not None and post.created_at is not None
                           and post.created_at <= since)  # fmt: skip
                    if old:
                        reached = not is_pinned(raw)  # a pinned post is out of date order
                        if reached:
                            break
                        continue
                    ident: str | None = post.id
                    records.append(_marked(post, raw))
                    high = _later(high, utc_iso(post.created_at))
                else:  # quarantined: under the id the archive knows; its comments still read
                    ident = listed_id(raw)
                    records.append(replace(post, id=ident))
                    if ident is None or ident in seen:
                        continue
                    seen.add(ident)
                records.extend(self.comments_of(raw, ident))
                if self.route.requests > made and index + 1 < len(nodes):
                    self.pace.save()
                    resume = {"after": after, "skip": index + 1, "hw": high}
                    yield Batch(records, resume=json.dumps(resume))
                    records = []
            self.pace.save()
            if reached or not more or following is None:
                yield Batch(records, high_water=high, final=True)
                return
            if following in cursors:
                raise FatalError(
                    "Instagram's timeline led back to a page it gave before",
                    reason="instagram.paging_loop",
                    params={"path": "timeline"},
                )
            cursors.add(following)
            after, skip = following, 0
            yield Batch(records, resume=json.dumps({"after": after, "hw": high}))

    def timeline_page(self, after: str | None) -> tuple[list[dict[str, Any]], str | None, bool]:
        """One timeline page: raw media objects, the next page's cursor, whether there is one.

        The last page read is kept, so a walk resumed after a fault does not read it again.
        """
        if self._page is not None and self._page[0] == after:
            return self._page[1]
        page = self._read_page(after)
        self._page = (after, page)
        return page

    def _read_page(self, after: str | None) -> tuple[list[dict[str, Any]], str | None, bool]:
        referer = f"https://www.instagram.com/{self.username}/"
        with self.calls() as context:
            if self.logged_in:
                variables = timeline_variables(self.username)
                if after is not None:
                    variables.update(paging(after))
                answer = context.doc_id_graphql_query(TIMELINE_DOC, variables, referer,
                                                      web_api=True)  # fmt: skip
                connection = answer["data"][TIMELINE_KEY]
                nodes = [e["node"] for e in connection["edges"]]
            else:
                connection = self._logged_out_page(context, after, referer)
                nodes = [self._full_media(context, e["node"]["code"]) for e in connection["edges"]]
        info = connection.get("page_info") or {}
        return nodes, info.get("end_cursor"), bool(info.get("has_next_page"))

    def _logged_out_page(self, context: QuietContext, after: str | None,
                         referer: str) -> dict[str, Any]:  # fmt: skip
        page = context.get_page_data(f"{self.username}/")
        user = next((d["xig_user_by_username"] for d in page
                     if "polaris_ordered_timeline_connection"
                     in (d.get("xig_user_by_username") or {})), None)  # fmt: skip
        if user is None:
            raise il.BadResponseException("the profile page did not contain its posts")
        if after is None:
            return user["polaris_ordered_timeline_connection"]
        variables = {"id": user["id"], "__relay_internal__pv__PolarisSEOIsCrawlerrelayprovider":
                     False, **paging(after)}  # fmt: skip
        answer = context.doc_id_graphql_query(LOGGED_OUT_DOC, variables, referer, web_api=True)
        return answer["data"]["node"]["polaris_ordered_timeline_connection"]

    @staticmethod
    def _full_media(context: QuietContext, shortcode: str) -> dict[str, Any]:
        post = Post.from_shortcode(context, shortcode)
        return media_of(post)

    def comments_of(self, raw: dict[str, Any], post_id: str) -> list[Entry]:
        """A post's comments and replies (none without a session, or when it has none)."""
        shell = comment_shell(raw, post_id)
        if not self.logged_in or shell is None:
            return []
        records: list[Entry] = []
        context_ = {**MODE, "media_id": post_id, "user_id": self.user_id()}
        with self.calls() as context:
            # instaloader gets only what it reads comments by, so a post damaged elsewhere
            # (quarantined) keeps its comments, and it reads no post page for them
            post = Post(context, shell)
            for comment in post.get_comments():
                item = comment_raw(comment)
                records.append(self.connector.normalised("posts", "comment", item, context_))
                for answer in comment.answers:
                    reply = comment_raw(answer)
                    records.append(self.connector.normalised(
                        "posts", "comment", reply, {**context_, "parent_id": item["id"]}
                    ))  # fmt: skip
        return records

    # --- re-reading ------------------------------------------------------------------------

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Current posts and comments of `refs`, tombstones for those gone (see the module)."""
        yield from loader_reread.refetch(self, refs, span)

    def read_post(self, post_id: str) -> dict[str, Any] | None:
        """One post read by its id (None: Instagram says it is gone)."""
        with self.calls() as context:
            try:
                post = Post.from_mediaid(context, int(post_id))
            except il.QueryReturnedNotFoundException:
                return None
            except il.BadResponseException as exc:
                if "metadata failed" in str(exc):  # no item for the shortcode: gone
                    return None
                raise
            return media_of(post)

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream one file through the run's session (capped, type-checked)."""
        return download(self.session, media.source_url, sink, kind=media.kind,
                        declared=media.mime_type, limits=limits)  # fmt: skip


def _marked(post: Record, raw: dict[str, Any]) -> Record:
    return replace(post, marker=marker_of(raw))


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b)
