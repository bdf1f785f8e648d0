"""The emulated YouTube world: channels, their uploads, comment threads and replies.

Generated channels are deterministic and carry the shapes real channels have: videos without
a description or tags, private videos (listed in the uploads playlist, hidden from
`videos.list`), videos still processing, comments turned off, threads with more replies than a
thread carries inline, a `totalReplyCount` of 0 while a reply exists, authors without a
channel id, comments by the channel itself, HTML in `textDisplay`, timestamps with and
without fractional seconds.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class Comment:
    """A top-level comment or a reply (`parent_id` set)."""

    id: str
    video_id: str
    author_id: str | None
    author_name: str
    text: str
    published: datetime
    updated: datetime
    parent_id: str | None = None
    fraction: bool = False  # timestamps with milliseconds
    held: bool = False  # held for review: comments.list(id) shows it, the thread listing not


@dataclass
class Video:
    """One upload, with its threads (top-level comments) and their replies."""

    id: str
    title: str
    description: str | None
    published: datetime
    tags: list[str] | None = None
    privacy: str = "public"  # public, unlisted, private
    upload_status: str = "processed"  # "uploaded" while YouTube still processes it
    comments_disabled: bool = False
    duration: str | None = "PT3M12S"
    threads: list[Comment] = field(default_factory=list)  # newest first, as YouTube lists them
    replies: dict[str, list[Comment]] = field(default_factory=dict)  # oldest first
    captions: list[dict[str, str]] = field(default_factory=list)
    zero_reply_count: bool = False  # totalReplyCount says 0 although replies exist
    fraction: bool = False
    thumbnail_url: str | None = None  # served as every size instead of i.ytimg.com's paths


@dataclass
class Channel:
    """A channel and its uploads (newest first)."""

    id: str
    title: str
    handle: str
    description: str
    published: datetime
    country: str = "SE"
    videos: list[Video] = field(default_factory=list)
    pictures: bool = True  # an avatar and a banner (a new channel may have neither)

    @property
    def uploads(self) -> str:
        """The id of the channel's uploads playlist ("UU" and the channel id's tail)."""
        return "UU" + self.id[2:]

    def video(self, video_id: str) -> Video | None:
        """The video of that id, or None."""
        return next((v for v in self.videos if v.id == video_id), None)

    def readable_ids(self) -> set[str]:
        """Every video, comment and reply id an API key can read (private videos aside)."""
        ids: set[str] = set()
        for video in self.videos:
            if video.privacy == "private":
                continue
            ids.add(video.id)
            for top in video.threads:
                ids.add(top.id)
                ids.update(r.id for r in video.replies.get(top.id, []))
        return ids


def video_id(n: int) -> str:
    """An 11-character video id, as YouTube's look (deterministic)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    digits = []
    value = n * 2654435761 % (64**10) + 64**10
    while value:
        digits.append(alphabet[value % 64])
        value //= 64
    return ("v" + "".join(digits))[:11].ljust(11, "A")


TOPICS = (
    "Kommunfullmäktige sammanträder", "Så sorterar du ditt avfall", "Nya cykelvägen vid älven",
    "Skolstart i kommunen", "Vinterväghållning", "Biblioteket firar 50 år",
    "Medborgardialog om centrum", "Brandövning på torget",
)  # fmt: skip
PEOPLE = ("Anna Berg", "Johan Lind", "Sara Ek", "Ali Hassan", "Maja Nyström", "Erik Holm")


def generate_channel(
    channel_id: str,
    title: str,
    handle: str,
    *,
    videos: int = 30,
    threads_per_video: int = 2,
    newest: datetime | None = None,
    spacing: timedelta = timedelta(hours=12),
) -> Channel:
    """A channel with `videos` uploads, each with comment threads and replies (see module doc)."""
    newest = newest or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    channel = Channel(
        id=channel_id,
        title=title,
        handle=handle if handle.startswith("@") else f"@{handle}",
        description=f"Officiell kanal för {title}. Här publicerar vi film om kommunens arbete.",
        published=newest - spacing * (videos + 100),
    )
    for n in range(videos):
        published = newest - spacing * n
        vid = video_id(n + zlib.crc32(channel_id.encode()) % 1000 * 100_000)
        topic = TOPICS[n % len(TOPICS)]
        video = Video(
            id=vid,
            title=f"{topic} ({n + 1})",
            description=None if n % 10 == 9 else f"{topic}. Mer information på kommunens webb.",
            published=published,
            tags=None if n % 10 == 9 else ["kommun", topic.split()[0].lower()],
            privacy="private" if n % 37 == 36 else "public",
            upload_status="uploaded" if n % 41 == 40 else "processed",
            comments_disabled=n % 25 == 24,
            duration=None if n % 41 == 40 else f"PT{2 + n % 9}M{n % 60}S",
            captions=[
                {
                    "id": f"cap-{vid}-sv",
                    "language": "sv",
                    "name": "Svenska",
                    "trackKind": "standard",
                }
            ]
            if n % 2 == 0
            else [],  # fmt: skip
            fraction=n % 2 == 1,
        )
        if not video.comments_disabled and video.privacy == "public":
            _comment_on(channel, video, n, threads_per_video)
        channel.videos.append(video)
    return channel


def _comment_on(channel: Channel, video: Video, n: int, threads: int) -> None:
    """Give a video its threads: every third video's first thread has more than five replies."""
    for t in range(threads):
        when = video.published + timedelta(hours=1 + t)
        person = PEOPLE[(n + t) % len(PEOPLE)]
        hidden = (n + t) % 13 == 12
        top = Comment(
            id=f"Ug{video.id}{t:02d}",
            video_id=video.id,
            author_id=None if hidden else f"UCperson{(n + t) % len(PEOPLE):02d}xxxxxxxxxxxxx",
            author_name=person,
            text=f"Tack för informationen om {video.title.lower()}! Se https://example.se & mer",
            published=when,
            updated=when,
            fraction=t % 2 == 0,
        )
        video.threads.insert(0, top)  # newest first
        count = 7 if t == 0 and n % 3 == 0 else 1
        video.replies[top.id] = [
            Comment(
                id=f"{top.id}.r{r:02d}",
                video_id=video.id,
                author_id=channel.id if r == 0 else f"UCperson{r % len(PEOPLE):02d}xxxxxxxxxxxxx",
                author_name=channel.title if r == 0 else PEOPLE[r % len(PEOPLE)],
                text="Vi svarar gärna på frågor här." if r == 0 else f"Håller med, svar {r}.",
                published=when + timedelta(minutes=10 * (r + 1)),
                updated=when + timedelta(minutes=10 * (r + 1)),
                parent_id=top.id,
            )
            for r in range(count)
        ]
        if n % 11 == 10 and count == 1:
            video.zero_reply_count = True
