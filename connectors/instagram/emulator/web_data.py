"""The data the instaloader emulator serves: one public profile, its posts and comments.

Objects are kept in the shapes Instagram's web and mobile APIs use (`pk`, `code`, `taken_at`,
`media_type`, `caption`, `image_versions2`, `carousel_media`, ...), so the routes only cut
pages out of them. Shortcodes are derived from media ids as Instagram does
(`Post.mediaid_to_shortcode`), so a post can be read by either.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from instaloader import Post

CDN = "https://scontent-arn2-1.cdninstagram.com"
USER_PK = 5_412_345_678
VIEWER_PK = 7_700_000_001
FIRST_MEDIA_PK = 3_100_000_000_000_000_000
FIRST_COMMENT_PK = 17_900_000_000_000_000
WORDS = (
    "Välkommen",
    "till",
    "biblioteket",
    "i",
    "helgen!",
    "Sommarlovsaktiviteter",
    "för",
    "alla",
    "barn.",
    "Nu",
    "är",
    "snöröjningen",
    "igång",
    "i",
    "hela",
    "kommunen.",
    "Kommunfullmäktige",
    "sammanträder",
    "på",
    "torsdag.",
    "Tack",
    "till",
    "alla",
    "som",
    "kom",
    "på",
    "invigningen",
    "av",
    "nya",
    "simhallen.",
    "Återvinningscentralen",
    "har",
    "nya",
    "öppettider.",
    "Läs",
    "mer",
    "på",
    "vår",
    "webbplats.",
)
COMMENTERS = (("anna.l", 6_100_000_001), ("erik_j", 6_100_000_002),
              ("maria.svensson", 6_100_000_003), ("johan88", 6_100_000_004))  # fmt: skip


def _user(pk: int, username: str, full_name: str = "") -> dict[str, Any]:
    return {"pk": str(pk), "id": str(pk), "username": username, "full_name": full_name,
            "is_private": False, "is_verified": False,
            "profile_pic_url": f"{CDN}/v/t51.2885-19/{pk}_profile.jpg?stp=dst-jpg&oh=00_A{pk}",
            }  # fmt: skip


def image_url(name: str) -> str:
    """A CDN URL of an image (signed as Instagram's are; the signature is no secret)."""
    signature = f"stp=dst-jpg_e35&_nc_ht=scontent-arn2-1.cdninstagram.com&oh=00_AYx{name[-6:]}"
    return f"{CDN}/v/t51.2885-15/{name}.jpg?{signature}&oe=6750A1B2"


def video_url(name: str) -> str:
    """A CDN URL of a video file."""
    signature = f"efg=eyJ2ZW5jb2RlX3RhZyI6In0&_nc_ht=cdninstagram.com&oh=00_B{name[-6:]}"
    return f"{CDN}/o1/v/t16/f2/m86/{name}.mp4?{signature}"


@dataclass
class WebComment:
    """A comment (or a reply, with `parent`)."""

    pk: int
    text: str
    created_at: int
    username: str
    user_pk: int
    parent: int | None = None
    likes: int = 0
    deleted: bool = False


@dataclass
class WebPost:
    """A post: an image, a video or a carousel; its comments and replies."""

    pk: int
    taken_at: int
    caption: str | None
    media_type: int  # 1 image, 2 video, 8 carousel
    children: int = 0
    pinned: bool = False
    deleted: bool = False
    edited: bool = False
    video_without_url: bool = False
    comments: list[WebComment] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The shortcode of the post's URL."""
        return Post.mediaid_to_shortcode(self.pk)

    def live_comments(self) -> list[WebComment]:
        """Top-level comments not deleted, oldest first."""
        return [c for c in self.comments if c.parent is None and not c.deleted]

    def replies(self, comment: WebComment) -> list[WebComment]:
        """A comment's replies not deleted, oldest first."""
        return [c for c in self.comments if c.parent == comment.pk and not c.deleted]

    def comment_count(self) -> int:
        """Comments and replies, as Instagram counts them."""
        return sum(1 for c in self.comments if not c.deleted)


class WebAccount:
    """One profile and its posts, newest first in `timeline()`; thread-safe edits."""

    def __init__(self, username: str = "sundsvallskommun",
                 full_name: str = "Sundsvalls kommun") -> None:  # fmt: skip
        self.user = _user(USER_PK, username, full_name)
        self.user.update({
            "biography": "Officiellt konto för Sundsvalls kommun. Frågor? Kontakta oss.",
            "external_url": "https://sundsvall.se", "category": "Government organization",
            "follower_count": 12_400, "following_count": 88, "media_count": 0,
        })  # fmt: skip
        self.posts: dict[int, WebPost] = {}
        self.lock = threading.RLock()
        self._next_media = FIRST_MEDIA_PK
        self._next_comment = FIRST_COMMENT_PK

    @property
    def username(self) -> str:
        """The profile's user name."""
        return str(self.user["username"])

    def add_post(self, taken_at: datetime, caption: str | None, media_type: int = 1,
                 children: int = 0, pinned: bool = False) -> WebPost:  # fmt: skip
        """Publish a post."""
        with self.lock:
            self._next_media += 1_000_003
            post = WebPost(self._next_media, int(taken_at.timestamp()), caption, media_type,
                           children, pinned)  # fmt: skip
            self.posts[post.pk] = post
            return post

    def add_comment(self, post: WebPost, text: str, created_at: datetime,
                    commenter: tuple[str, int] | None = None,
                    parent: WebComment | None = None) -> WebComment:  # fmt: skip
        """Comment on a post (or, with `parent`, reply to a comment)."""
        with self.lock:
            self._next_comment += 7
            name, pk = commenter or COMMENTERS[self._next_comment % len(COMMENTERS)]
            comment = WebComment(self._next_comment, text, int(created_at.timestamp()), name, pk,
                                 parent.pk if parent else None)  # fmt: skip
            post.comments.append(comment)
            return comment

    def edit(self, pk: int, caption: str) -> None:
        """Change a post's caption."""
        with self.lock:
            self.posts[pk].caption, self.posts[pk].edited = caption, True

    def delete(self, pk: int) -> None:
        """Delete a post."""
        with self.lock:
            self.posts[pk].deleted = True

    def delete_comment(self, post: WebPost, comment_pk: int) -> None:
        """Delete a comment (its replies go with it)."""
        with self.lock:
            for comment in post.comments:
                if comment.pk == comment_pk or comment.parent == comment_pk:
                    comment.deleted = True

    def timeline(self) -> list[WebPost]:
        """The posts a visitor sees: pinned ones first, then newest first."""
        with self.lock:
            live = [p for p in self.posts.values() if not p.deleted]
        return sorted(live, key=lambda p: (not p.pinned, -p.taken_at))

    def by_code(self, code: str) -> WebPost | None:
        """A live post by its shortcode."""
        try:
            pk = Post.shortcode_to_mediaid(code)
        except (ValueError, KeyError, IndexError):
            return None
        post = self.posts.get(pk)
        return None if post is None or post.deleted else post

    def by_pk(self, pk: int) -> WebPost | None:
        """A live post by its media id."""
        post = self.posts.get(pk)
        return None if post is None or post.deleted else post

    # --- the wire shapes -------------------------------------------------------------------

    def media(self, post: WebPost) -> dict[str, Any]:
        """A post as Instagram's API gives a media object."""
        name = f"{post.pk}_{USER_PK}_n"
        body: dict[str, Any] = {
            "pk": str(post.pk), "id": f"{post.pk}_{USER_PK}", "code": post.code,
            "taken_at": post.taken_at, "media_type": post.media_type,
            "product_type": {1: "feed", 2: "clips", 8: "carousel_container"}[post.media_type],
            "caption": None if post.caption is None else {
                "pk": str(post.pk + 1), "text": post.caption, "created_at": post.taken_at},
            "caption_is_edited": post.edited,
            "user": {k: self.user[k] for k in ("pk", "id", "username", "full_name",
                                               "is_private", "profile_pic_url")},
            "like_count": (post.pk // 7) % 300, "comment_count": post.comment_count(),
            "has_liked": False, "comments_disabled": False,
            "image_versions2": {"candidates": [{"url": image_url(name), "width": 1080,
                                                "height": 1080}]},
            "original_width": 1080, "original_height": 1080,
        }  # fmt: skip
        if post.pinned:
            body["timeline_pinned_user_ids"] = [int(USER_PK)]
        if post.media_type == 2:
            body["video_versions"] = (
                []
                if post.video_without_url
                else [{"type": 101, "url": video_url(name), "width": 720, "height": 1280}]
            )
            body["video_duration"] = 31.5
        if post.media_type == 8:
            body["carousel_media"] = [self._child(post, n) for n in range(post.children)]
        return body

    def _child(self, post: WebPost, n: int) -> dict[str, Any]:
        pk = post.pk + 10 + n
        kind = 2 if n == 1 else 1
        name = f"{pk}_{USER_PK}_n"
        child: dict[str, Any] = {
            "pk": str(pk), "id": f"{pk}_{USER_PK}", "media_type": kind,
            "image_versions2": {"candidates": [{"url": image_url(name), "width": 1080,
                                                "height": 1350}]},
        }  # fmt: skip
        if kind == 2:
            child["video_versions"] = [{"type": 101, "url": video_url(name)}]
        return child

    def comment_node(self, post: WebPost, comment: WebComment) -> dict[str, Any]:
        """A comment as the web GraphQL API gives it, with its replies."""
        node = self._graph_comment(comment)
        answers = post.replies(comment)
        node["edge_threaded_comments"] = {
            "count": len(answers),
            "page_info": {"has_next_page": False, "end_cursor": None},
            "edges": [{"node": self._graph_comment(a)} for a in answers],
        }
        return node

    @staticmethod
    def _graph_comment(comment: WebComment) -> dict[str, Any]:
        return {
            "id": str(comment.pk), "text": comment.text, "created_at": comment.created_at,
            "did_report_as_spam": False, "viewer_has_liked": False,
            "owner": {"id": str(comment.user_pk), "is_verified": False,
                      "username": comment.username,
                      "profile_pic_url": f"{CDN}/v/t51.2885-19/{comment.user_pk}_p.jpg"},
            "edge_liked_by": {"count": comment.likes},
        }  # fmt: skip

    @staticmethod
    def phone_comment(post: WebPost, comment: WebComment, previews: int = 2) -> dict[str, Any]:
        """A comment as the mobile API (`i.instagram.com`) gives it."""
        answers = post.replies(comment)
        body = WebAccount._phone(comment)
        body.update({"child_comment_count": len(answers),
                     "preview_child_comments": [WebAccount._phone(a)
                                                for a in answers[:previews]]})  # fmt: skip
        return body

    @staticmethod
    def _phone(comment: WebComment) -> dict[str, Any]:
        return {
            "pk": str(comment.pk), "text": comment.text, "created_at": comment.created_at,
            "comment_like_count": comment.likes, "type": 0 if comment.parent is None else 2,
            "user": {"pk": str(comment.user_pk), "id": str(comment.user_pk),
                     "username": comment.username, "full_name": "", "is_private": False,
                     "profile_pic_url": f"{CDN}/v/t51.2885-19/{comment.user_pk}_p.jpg"},
        }  # fmt: skip


def seeded(posts: int = 30, *, seed: int = 6, comments: int = 2, replies: int = 1,
           pinned: int = 1, busy_every: int = 25, commented_every: int = 1,
           newest: datetime | None = None) -> WebAccount:  # fmt: skip
    """An account with `posts` posts (one a day back from `newest`), most with comments.

    The oldest `pinned` posts are pinned (shown first); every `busy_every`-th post has more
    comments than a page holds (read through the mobile API); only every `commented_every`-th
    post has comments at all; a few are videos and carousels.
    """
    rng = random.Random(seed)
    account = WebAccount()
    top = newest or datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    for n in range(posts):
        taken = top - timedelta(days=posts - 1 - n, minutes=rng.randrange(600))
        kind = 2 if n % 10 == 3 else 8 if n % 10 == 7 else 1
        caption = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 16)))
        post = account.add_post(taken, caption if n % 17 != 16 else None, kind,
                                children=3 if kind == 8 else 0, pinned=n < pinned)  # fmt: skip
        count = comments * 8 if busy_every and n % busy_every == 4 else comments
        if n % 6 == 1 or n % commented_every:
            count = 0
        for c in range(count):
            when = taken + timedelta(minutes=10 + c)
            comment = account.add_comment(post, f"Tack för infon! ({c + 1})", when)
            for r in range(replies if c % 2 == 0 else 0):
                owner = (account.username, USER_PK)
                account.add_comment(post, f"Varsågod! /Kommunikation {r + 1}",
                                    when + timedelta(minutes=5), owner, comment)  # fmt: skip
    account.user["media_count"] = posts
    return account


def demo_profile(now: datetime) -> WebAccount:
    """A small Swedish municipal profile (posts up to an hour before `now`, comments, one
    edit, one deletion), for a demo of mode instaloader."""
    account = seeded(8, comments=2, replies=1, pinned=1, busy_every=0,
                     newest=now - timedelta(hours=1))  # fmt: skip
    live = account.timeline()
    account.edit(live[1].pk, "Nya öppettider på återvinningscentralen från måndag (uppdaterat).")
    account.delete(live[-1].pk)
    return account
