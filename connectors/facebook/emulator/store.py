"""The Facebook emulator's state: pages, posts, comments, conversations and tokens, indexed by id.

Posts are kept newest first, comments and messages oldest first; cursors name the object they
follow, so a cursor dies when its object is deleted (as on Facebook).
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from connectors.emulation import CursorCodec, InvalidCursor
from connectors.facebook.emulator.data import (
    CommentData,
    ConversationData,
    MessageData,
    PageData,
    PostData,
    TokenInfo,
    person,
)
from connectors.facebook.emulator.errors import GraphError

CURSORS = CursorCodec("facebook-emulator")


def encode_cursor(marker: str, salt: int = 0) -> str:
    """Return an opaque cursor for the object id `marker` (`salt` makes it unique)."""
    return CURSORS.encode([marker, salt])


def decode_cursor(cursor: str) -> str:
    """Return the object id a cursor names, or raise the Graph error for a bad cursor."""
    try:
        position = CURSORS.decode(cursor)
    except InvalidCursor:
        position = None
    if not (isinstance(position, list) and position and isinstance(position[0], str)):
        raise GraphError(400, "(#2642) Invalid cursors values", 2642)
    return position[0]


def comment_key(comment: CommentData) -> tuple[datetime, int, str]:
    """Return the chronological sort key of a comment."""
    return (comment.created_time, len(comment.id), comment.id)


def walk(comments: list[CommentData]) -> Iterator[CommentData]:
    """Yield every comment of a tree (comments and all their replies)."""
    for comment in comments:
        yield comment
        yield from walk(comment.replies)


@dataclass
class Entry:
    """Where an object lives: its kind, owning page, and for comments/messages their context."""

    kind: str
    obj: Any
    page_id: str
    post: PostData | None = None
    parent: CommentData | None = None
    conversation: ConversationData | None = None

    @property
    def id(self) -> str:
        """Return the object's id."""
        return str(self.obj.id)


class PageState:
    """A page's posts kept newest first, with sort keys for bisecting and an id → position map."""

    def __init__(self, page: PageData) -> None:
        self.page = page
        ordered = sorted(enumerate(page.posts), key=lambda pair: (pair[1].created_time, pair[0]))
        self.seq = {post.id: n for n, (_, post) in enumerate(ordered)}
        self.next_seq = len(ordered)
        self.next_serial = len(ordered) + 1
        page.posts[:] = [post for _, post in reversed(ordered)]
        self.keys = [self.key(post) for post in page.posts]
        self.pos: dict[str, int] = {}
        self._feeds: dict[bool, tuple[tuple[object, ...], list[PostData], dict[str, int]]] = {}
        self.reindex()
        self.by_user = {conversation.user[0]: conversation for conversation in page.conversations}
        self.sort_conversations()

    def key(self, post: PostData) -> tuple[float, int]:
        """Return the ascending sort key that puts the newest post first."""
        return (-post.created_time.timestamp(), -self.seq[post.id])

    def reindex(self) -> None:
        """Rebuild the id → position map after an insert or delete."""
        self.pos = {post.id: index for index, post in enumerate(self.page.posts)}

    def insert(self, post: PostData) -> None:
        """Insert a post at its place in the newest-first order."""
        self.seq[post.id] = self.next_seq
        self.next_seq += 1
        key = self.key(post)
        index = bisect.bisect_left(self.keys, key)
        self.keys.insert(index, key)
        self.page.posts.insert(index, post)
        self.reindex()

    def feed(self, tagged_only: bool = False) -> list[PostData]:
        """The page's feed newest first: its own posts, visitors' posts and posts that tag it."""
        return self._feed_of(tagged_only)[0]

    def feed_position(self, tagged_only: bool = False) -> Callable[[str], int | None]:
        """A lookup of a post's position in `feed(tagged_only)` by id."""
        return self._feed_of(tagged_only)[1].get

    def _feed_of(self, tagged_only: bool) -> tuple[list[PostData], dict[str, int]]:
        """The feed and its id → position index, kept until the page's posts change (a walk
        asks for the same feed page after page)."""
        stamp = (tagged_only, self.next_seq, self.next_serial, len(self.page.posts),
                 len(self.page.others))  # fmt: skip
        cached = self._feeds.get(tagged_only)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        others = [p for p in self.page.others if p.wall or not tagged_only]
        posts = others if tagged_only else [*self.page.posts, *others]
        feed = sorted(posts, key=lambda p: (p.created_time, p.id), reverse=True)
        index = {post.id: i for i, post in reversed(list(enumerate(feed)))}
        self._feeds[tagged_only] = (stamp, feed, index)
        return feed, index

    def remove(self, post: PostData) -> None:
        """Remove a post."""
        if post.id not in self.pos:  # a visitor's post, or one that tags the page
            self.page.others[:] = [p for p in self.page.others if p.id != post.id]
            return
        index = self.pos[post.id]
        del self.keys[index], self.page.posts[index]
        self.seq.pop(post.id, None)
        self.reindex()

    def window(self, since: float | None, until: float | None) -> tuple[int, int]:
        """Return the [lo, hi) positions of posts created in [since, until]."""
        lo = 0 if until is None else bisect.bisect_left(self.keys, (-until, -(10**18)))
        hi = len(self.keys) if since is None else bisect.bisect_right(self.keys, (-since, 10**18))
        return lo, max(lo, hi)

    def sort_conversations(self) -> None:
        """Order conversations by their newest message, newest first."""
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        self.page.conversations.sort(
            key=lambda c: c.messages[-1].created_time if c.messages else epoch, reverse=True
        )


class GraphStore:
    """Every page's objects indexed by id, plus the accepted tokens; changes hold `lock`."""

    def __init__(self, tokens: dict[str, TokenInfo] | None, clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self.index: dict[str, Entry] = {}
        self.pages: dict[str, PageState] = {}
        self.tokens: dict[str, TokenInfo] = dict(tokens or {})
        self._clock = clock
        self._rng = random.Random(1)
        self._streams: dict[str, list[CommentData]] = {}
        self._comment_serials: dict[str, int] = {}

    def now(self) -> datetime:
        """Return the clock's time in UTC, to the second."""
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def token_page(self, token: str | None) -> str | None:
        """Return the first page a token speaks for (None for unknown or page-less tokens)."""
        info = self.tokens.get(token or "")
        return info.page_ids[0] if info and info.page_ids else None

    def owner(self, entry: Entry) -> tuple[str, str]:
        """Return (id, name) of the page an object belongs to."""
        page = self.pages[entry.page_id].page
        return (page.id, page.name)

    # --- pages and tokens -------------------------------------------------------------------

    def add_page(self, page: PageData) -> None:
        """Add a page with all its posts, comments and conversations."""
        with self.lock:
            entries: dict[str, Entry] = {}
            for object_id, entry in self._entries(page):
                if object_id in entries or object_id in self.index:
                    raise ValueError(f"duplicate object id {object_id!r}")
                entries[object_id] = entry
            for post in [*page.posts, *page.others]:
                if post.updated_time is None:
                    post.updated_time = max(
                        [post.created_time]
                        + [comment.created_time for comment in walk(post.comments)]
                    )
            self.index.update(entries)
            self.pages[page.id] = PageState(page)

    def _entries(self, page: PageData) -> Iterator[tuple[str, Entry]]:
        yield page.id, Entry("page", page, page.id)
        if page.username:  # Graph resolves a page's username like its id
            yield page.username, Entry("page", page, page.id)
        for post in [*page.posts, *page.others]:
            yield post.id, Entry("post", post, page.id)
            yield from self._comment_entries(page.id, post, post.comments, None)
        for conversation in page.conversations:
            conversation.messages.sort(key=lambda m: m.created_time)
            yield conversation.id, Entry("conversation", conversation, page.id)
            for message in conversation.messages:
                yield message.id, Entry("message", message, page.id, conversation=conversation)

    def _comment_entries(
        self, page_id: str, post: PostData, comments: list[CommentData], parent: CommentData | None
    ) -> Iterator[tuple[str, Entry]]:
        comments.sort(key=comment_key)
        for comment in comments:
            yield comment.id, Entry("comment", comment, page_id, post=post, parent=parent)
            yield from self._comment_entries(page_id, post, comment.replies, comment)

    def add_token(self, token: str, info: TokenInfo) -> None:
        """Accept `token` from now on."""
        with self.lock:
            self.tokens[token] = info

    def expire_token(self, token: str) -> None:
        """Make `token` answer with code 190, subcode 463 (session expired)."""
        with self.lock:
            self.tokens[token] = replace(self.tokens[token], expired=True)

    def _get(self, object_id: str, kind: str) -> Entry:
        entry = self.index.get(object_id)
        if entry is None or entry.kind != kind:
            raise KeyError(f"no {kind} with id {object_id!r}")
        return entry

    # --- posts ------------------------------------------------------------------------------

    def add_post(
        self,
        page_id: str,
        message: str,
        *,
        created_time: datetime | None = None,
        images: int = 0,
        attachment: str | None = None,
    ) -> str:
        """Publish a post on the page (now, or at `created_time`) and return its id."""
        with self.lock:
            state = self.pages[page_id]
            while True:
                post_id = f"{page_id}_{page_id}{state.next_serial:06d}"
                state.next_serial += 1
                if post_id not in self.index:
                    break
            created = (created_time or self.now()).astimezone(UTC).replace(microsecond=0)
            post = PostData(
                post_id, message, created, updated_time=created, images=images,
                attachment=attachment,
            )  # fmt: skip
            state.insert(post)
            self.index[post_id] = Entry("post", post, page_id)
            return post_id

    def add_other_post(
        self,
        page_id: str,
        author: tuple[str, str],
        message: str,
        *,
        wall: str | None = None,
        created_time: datetime | None = None,
    ) -> str:
        """A visitor's post on the page (`wall=None`), or a post on `wall` tagging the page."""
        with self.lock:
            state = self.pages[page_id]
            prefix = wall or page_id
            while True:
                post_id = f"{prefix}_{page_id}{state.next_serial:06d}"
                state.next_serial += 1
                if post_id not in self.index:
                    break
            created = (created_time or self.now()).astimezone(UTC).replace(microsecond=0)
            name = state.page.name
            post = PostData(
                post_id, message, created, updated_time=created, author=author, wall=wall,
                tags=((page_id, name),) if wall else (),
            )  # fmt: skip
            state.page.others.append(post)
            self.index[post_id] = Entry("post", post, page_id)
            return post_id

    def newest_post_id(self, page_id: str) -> str | None:
        """Return the id of the page's newest post (None when it has none)."""
        with self.lock:
            posts = self.pages[page_id].page.posts
            return posts[0].id if posts else None

    def edit_post(self, post_id: str, message: str) -> None:
        """Change a post's text; its updated_time moves to now."""
        with self.lock:
            post = self._get(post_id, "post").obj
            post.message = message
            post.updated_time = max(self.now(), post.created_time)

    def delete_post(self, post_id: str) -> None:
        """Delete a post and all its comments."""
        with self.lock:
            entry = self._get(post_id, "post")
            self.pages[entry.page_id].remove(entry.obj)
            del self.index[post_id]
            self._forget_comments(entry.obj.comments)
            self._streams.pop(post_id, None)

    # --- comments ---------------------------------------------------------------------------

    def _forget_comments(self, comments: list[CommentData]) -> None:
        for comment in comments:
            self.index.pop(comment.id, None)
            self._forget_comments(comment.replies)

    def add_comment(
        self,
        object_id: str,
        message: str,
        *,
        author: tuple[str, str] | None = None,
        created_time: datetime | None = None,
        images: int = 0,
        attachment: str | None = None,
    ) -> str:
        """Comment on a post, or reply to a comment (a reply to a reply joins its top comment).

        `author` is (id, name), by default a random member of the public; the page itself
        answers when the id is the page id. The post's updated_time moves forward.
        """
        with self.lock:
            entry = self.index.get(object_id)
            if entry is None or entry.kind not in ("post", "comment"):
                raise KeyError(f"no post or comment with id {object_id!r}")
            post: PostData = entry.obj if entry.kind == "post" else entry.post
            parent: CommentData | None = None
            if entry.kind == "comment":
                top = entry
                while top.parent is not None:
                    top = self.index[top.parent.id]
                parent = top.obj
            serial = self._comment_serials.get(post.id)
            if serial is None:
                serial = sum(1 for _ in walk(post.comments))
            while True:
                serial += 1
                comment_id = f"{post.id.split('_', 1)[-1]}_{serial}"
                if comment_id not in self.index:
                    break
            self._comment_serials[post.id] = serial
            created = (created_time or self.now()).astimezone(UTC).replace(microsecond=0)
            author = author or person(self._rng.randrange(1000))
            comment = CommentData(
                comment_id, message, created, author, images=images, attachment=attachment
            )
            siblings = parent.replies if parent is not None else post.comments
            bisect.insort(siblings, comment, key=comment_key)
            self.index[comment_id] = Entry("comment", comment, entry.page_id, post, parent)
            post.updated_time = max(post.updated_time or post.created_time, created)
            self._streams.pop(post.id, None)
            return comment_id

    def edit_comment(self, comment_id: str, message: str) -> None:
        """Change a comment's text."""
        with self.lock:
            self._get(comment_id, "comment").obj.message = message

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and its replies."""
        with self.lock:
            entry = self._get(comment_id, "comment")
            assert entry.post is not None
            # Facebook never gives a deleted comment's id to a new one: keep the serial's mark
            self._comment_serials.setdefault(
                entry.post.id, sum(1 for _ in walk(entry.post.comments))
            )
            siblings = entry.parent.replies if entry.parent is not None else entry.post.comments
            siblings[:] = [c for c in siblings if c.id != comment_id]
            self._forget_comments([entry.obj])
            self._streams.pop(entry.post.id, None)

    def comments(self, entry: Entry, stream: bool) -> list[CommentData]:
        """Return a post's or comment's direct comments, or its whole tree chronologically."""
        roots: list[CommentData] = entry.obj.comments if entry.kind == "post" else entry.obj.replies
        if not stream:
            return roots
        if entry.kind == "post" and entry.id in self._streams:
            return self._streams[entry.id]
        flat: list[CommentData] = []
        pending = list(roots)
        while pending:
            comment = pending.pop()
            flat.append(comment)
            pending.extend(comment.replies)
        flat.sort(key=comment_key)
        if entry.kind == "post":
            self._streams[entry.id] = flat
        return flat

    # --- Messenger --------------------------------------------------------------------------

    def add_message(
        self,
        page_id: str,
        user: tuple[str, str],
        message: str,
        *,
        from_page: bool = False,
        created_time: datetime | None = None,
        attachment: str | None = None,
        sticker: bool = False,
    ) -> str:
        """Add a Messenger message between the page and `user` (id, name); return its id."""
        with self.lock:
            state = self.pages[page_id]
            conversation = state.by_user.get(user[0])
            if conversation is None:
                number = len(state.page.conversations) + 1
                while f"t_{page_id}{number:05d}" in self.index:
                    number += 1
                conversation = ConversationData(f"t_{page_id}{number:05d}", user)
                state.page.conversations.append(conversation)
                state.by_user[user[0]] = conversation
                self.index[conversation.id] = Entry("conversation", conversation, page_id)
            number = len(conversation.messages) + 1
            while f"m_{conversation.id[2:]}x{number:04d}" in self.index:
                number += 1
            created = (created_time or self.now()).astimezone(UTC).replace(microsecond=0)
            item = MessageData(
                f"m_{conversation.id[2:]}x{number:04d}", message, created, from_page,
                attachment=attachment, sticker=sticker,
            )  # fmt: skip
            bisect.insort(conversation.messages, item, key=lambda m: m.created_time)
            self.index[item.id] = Entry("message", item, page_id, conversation=conversation)
            state.sort_conversations()
            return item.id
