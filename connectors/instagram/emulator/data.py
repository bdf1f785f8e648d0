"""The Instagram emulator's world: accounts, media, comments, conversations, and generators.

Everything the Graph routes serve lives here as plain objects a test can change between runs
(edit a caption, delete a comment, hide one) to see what the connector archives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_ids = itertools.count(17_841_000_000_000_001)


def next_id() -> str:
    """A fresh Instagram-style numeric id (17-digit, as Graph gives media and comments)."""
    return str(next(_ids))


def stamp(when: datetime) -> str:
    """Graph's timestamp form: `2026-11-30T08:15:00+0000`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Comment:
    """A comment on a media object, or a reply to one (replies have no replies)."""

    id: str
    text: str
    timestamp: datetime
    username: str
    user_id: str | None  # None: Graph leaves `from` out (e.g. the commenter was removed)
    hidden: bool = False
    like_count: int = 0
    replies: list[Comment] = field(default_factory=list)
    deleted: bool = False
    parent_id: str | None = None


@dataclass
class Media:
    """A media object: IMAGE, VIDEO or CAROUSEL_ALBUM (children), in FEED or as REELS."""

    id: str
    caption: str | None
    media_type: str
    timestamp: datetime
    shortcode: str
    product_type: str = "FEED"
    children: list[Media] = field(default_factory=list)
    has_file: bool = True  # False: a reel with licensed audio has no media_url
    like_count: int | None = 0  # None: the owner hid the like count
    comments: list[Comment] = field(default_factory=list)
    comments_enabled: bool = True
    deleted: bool = False


@dataclass
class Message:
    """A direct message in a conversation with the account."""

    id: str
    text: str | None
    created: datetime
    sender_id: str
    sender_username: str
    attachment: str | None = None  # a CDN file name, for an image attachment


@dataclass
class Conversation:
    """An Instagram direct thread, as the linked page's conversations list it."""

    id: str
    messages: list[Message]  # newest first

    @property
    def updated(self) -> datetime:
        """The time of the newest message."""
        return max(m.created for m in self.messages)


@dataclass
class Account:
    """One Instagram professional account linked to one Facebook page."""

    user_id: str
    username: str
    name: str
    biography: str
    page_id: str
    website: str | None = None
    followers: int = 1200
    follows: int = 80
    media: list[Media] = field(default_factory=list)  # newest first
    conversations: list[Conversation] = field(default_factory=list)

    def live_media(self) -> list[Media]:
        """The media Graph lists now (newest first; at most the 10,000 newest, as Graph)."""
        return [m for m in self.media if not m.deleted][:10_000]

    def find(self, ident: str) -> Media | Comment | None:
        """The live media object or comment with this id, or None."""
        for media in self.media:
            for item in (media, *media.children):
                if item.id == ident:
                    return None if media.deleted else item
            if media.deleted:
                continue
            for comment in media.comments:
                if comment.id == ident:
                    return None if comment.deleted else comment
                for reply in comment.replies:
                    if reply.id == ident:
                        return None if reply.deleted or comment.deleted else reply
        return None

    def media_of(self, comment: Comment) -> Media | None:
        """The media object a comment or reply is on."""
        for media in self.media:
            for top in media.comments:
                if top is comment or comment in top.replies:
                    return media
        return None


@dataclass(frozen=True)
class TokenInfo:
    """What a token may do: which page it belongs to, whether it still works, DMs or not."""

    page_id: str
    valid: bool = True
    expired: bool = False
    messages: bool = True  # instagram_manage_messages granted
    expires_at: int = 0


VISITORS = ("anna.svensson", "erik_l", "kajsa.berg", "mats.ost", "lisa_nord", "johan.ek")
TYPES = ("IMAGE", "IMAGE", "CAROUSEL_ALBUM", "VIDEO", "REELS")


def generate_account(
    *,
    posts: int = 30,
    comments_per_post: int = 3,
    replies_per_comment: int = 1,
    conversations: int = 2,
    messages_per_conversation: int = 3,
    newest: datetime | None = None,
    spacing: timedelta = timedelta(hours=12),
    user_id: str = "17841400000000001",
    username: str = "testkommun",
    page_id: str = "111000111",
    files_every: int = 1,
) -> Account:
    """An account with every media type, comments with replies, hidden comments and DMs;
    with `files_every` > 1 only every so many posts have files (the others are IMAGEs whose
    file URL Graph leaves out), as the benchmark's account has."""
    newest = newest or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    account = Account(user_id, username, "Testkommun", "Officiellt konto för Testkommun.",
                      page_id, website="https://www.testkommun.se")  # fmt: skip
    for n in range(posts):
        when = newest - spacing * n
        kind = TYPES[n % len(TYPES)]
        media = Media(next_id(), f"Inlägg {n} från {account.name} #kommun", kind, when,
                      f"C{n:09d}", like_count=None if n % 7 == 6 else n * 3)  # fmt: skip
        if kind == "REELS":
            media.media_type, media.product_type, media.has_file = "VIDEO", "REELS", n % 2 == 0
        if kind == "CAROUSEL_ALBUM":
            media.children = [Media(next_id(), None, t, when, "") for t in ("IMAGE", "VIDEO")]
        if n % 11 == 10:
            media.caption = None  # a post without a caption
        if n % files_every:
            media.media_type, media.product_type, media.has_file = "IMAGE", "FEED", False
            media.children = []
        for c in range(comments_per_post):
            at = when + timedelta(minutes=5 + c)
            visitor = VISITORS[(n + c) % len(VISITORS)]
            comment = Comment(next_id(), f"Kommentar {c} på inlägg {n}", at, visitor,
                              None if (n + c) % 13 == 12 else f"9{(n + c) % 6:04d}",
                              hidden=(n + c) % 17 == 16)  # fmt: skip
            for r in range(replies_per_comment):
                comment.replies.append(Comment(
                    next_id(), f"Svar {r} från {account.name}", at + timedelta(minutes=r + 1),
                    username, user_id, parent_id=comment.id))  # fmt: skip
            media.comments.append(comment)
        account.media.append(media)
    for t in range(conversations):
        start = newest - timedelta(hours=t)
        messages = [
            Message(
                next_id(),
                f"Hej! Fråga {m} i tråd {t}",
                start - timedelta(minutes=m),
                f"5{t:05d}",
                VISITORS[t % len(VISITORS)],
                attachment=f"dm-{t}-{m}.jpg" if m == 1 else None,
            )  # fmt: skip
            for m in range(messages_per_conversation)
        ]
        account.conversations.append(Conversation(f"aWdfZAG06{t:08d}", messages))
    return account


def demo_account(now: datetime | None = None) -> Account:
    """A small, realistic Swedish municipal account for `somed demo`: posts of every type,
    comments and replies, one edited caption and one deleted comment already applied."""
    newest = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(hours=2)
    account = generate_account(
        posts=8, comments_per_post=2, replies_per_comment=1, conversations=1, newest=newest,
        user_id="17841400000000042", username="morakommun", page_id="100200300",
    )  # fmt: skip
    account.name, account.website = "Mora kommun", "https://www.mora.se"
    account.biography = (
        "Välkommen till Mora kommun! Här berättar vi om livet i kommunen.\n"
        "En verksamhet inom Mora kommun: https://www.mora.se"
    )
    captions = (
        "Vasaloppet närmar sig! Läs om avstängda gator under loppveckan.",
        "Nu öppnar badplatsen vid Siljan för säsongen ☀️",
        "Bilder från invigningen av nya biblioteket.",
        "Film: så sorteras ditt matavfall.",
        "Reels: en dag med hemtjänsten i Mora.",
        "Kommunfullmäktige sammanträder på måndag kl. 18.",
        "Snöröjningen är i gång i hela kommunen.",
        "Lediga sommarjobb för unga – ansök senast 31 mars.",
    )
    for media, caption in zip(account.media, captions, strict=False):
        media.caption = caption
    account.media[1].caption += " (Uppdaterad: öppet 9–18.)"  # the edit
    account.media[2].comments[1].deleted = True  # the deletion
    return account
