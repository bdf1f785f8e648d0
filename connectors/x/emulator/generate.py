"""Generated X accounts: a municipality's posts, citizens' replies and mentions, media, DMs.

The shapes vary as real answers do: photos, videos and GIFs (with MP4 and HLS variants),
posts without media, a long post (`note_tweet`), authors whose user object is withheld from
`includes`, and (with `legacy_posts`) posts from before edits existed, without
`edit_history_tweet_ids`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.x.emulator.data import XAccount

MEDIA_HOST = "https://pbs.twimg.com"
VIDEO_HOST = "https://video.twimg.com"
CITIZENS = (
    ("Anna Lind", "annalind"),
    ("Erik Berg", "erikberg"),
    ("Sara Holm", "saraholm"),
    ("Johan Ek", "johanek"),
    ("Lena Sjö", "lenasjo"),
)
TOPICS = (
    "Snöröjningen pågår i hela kommunen i dag.",
    "Välkommen till öppet hus på biblioteket på lördag!",
    "Nu kan du lämna synpunkter på den nya översiktsplanen.",
    "Vattenavstängning på Storgatan mellan kl. 9 och 12.",
    "Kommunfullmäktige sammanträder i kväll, sänds direkt.",
)


def photo(key: str) -> dict[str, Any]:
    """A photo media object as X gives it."""
    return {
        "media_key": f"3_{key}",
        "type": "photo",
        "url": f"{MEDIA_HOST}/media/{key}.jpg",
        "width": 1200,
        "height": 800,
        "alt_text": "Bild från kommunen",
    }


def video(key: str, *, gif: bool = False) -> dict[str, Any]:
    """A video (or animated GIF) media object with its variants and preview image."""
    base = f"{VIDEO_HOST}/ext_tw_video/{key}"
    variants = [
        {
            "bit_rate": 0 if gif else 832000,
            "content_type": "video/mp4",
            "url": f"{base}/vid/640x360/{key}.mp4",
        }
    ]
    if not gif:
        variants += [
            {
                "bit_rate": 256000,
                "content_type": "video/mp4",
                "url": f"{base}/vid/320x180/{key}.mp4",
            },
            {"content_type": "application/x-mpegURL", "url": f"{base}/pl/{key}.m3u8"},
        ]
    return {
        "media_key": f"{16 if gif else 7}_{key}",
        "type": "animated_gif" if gif else "video",
        "preview_image_url": f"{MEDIA_HOST}/ext_tw_video_thumb/{key}.jpg",
        "variants": variants,
        "duration_ms": None if gif else 12000,
    }


def new_account(user_id: str, name: str, username: str, created: datetime) -> XAccount:
    """An account with its user object (no tweets yet)."""
    return XAccount(
        user={
            "id": user_id,
            "name": name,
            "username": username,
            "created_at": "2012-03-01T08:00:00.000Z",
            "description": f"Officiellt konto för {name}. Vi svarar vardagar 8-16.",
            "url": f"https://t.co/{username}",
            "verified": False,
            "verified_type": "government",
            "protected": False,
            "location": "Sverige",
            "profile_image_url": f"{MEDIA_HOST}/profile_images/{user_id}/logo_normal.jpg",
            "public_metrics": {
                "followers_count": 4200,
                "following_count": 120,
                "tweet_count": 0,
                "listed_count": 30,
            },
        }
    )


def generate_account(
    user_id: str = "2244994945",
    name: str = "Testkommun",
    username: str = "testkommun",
    *,
    posts: int = 30,
    replies_per_post: int = 2,
    nested_replies: int = 1,
    mentions: int = 5,
    dms: int = 4,
    newest: datetime | None = None,
    spacing: timedelta = timedelta(hours=12),
    legacy_posts: int = 0,
    media: bool = True,
) -> XAccount:
    """An account with `posts` own posts (newest first from `newest`), each with replies from
    citizens (`nested_replies` of them answered by another citizen), standalone mentions and
    DMs; every 5th post has a photo, every 7th a video, every 11th a GIF (unless not `media`)."""
    newest = newest or datetime.now(UTC) - timedelta(hours=1)
    account = new_account(user_id, name, username, newest)
    citizens = [account.add_user(str(9_000_000 + i), n, u) for i, (n, u) in enumerate(CITIZENS)]
    account.hidden_users.add(citizens[-1]["id"])  # a withheld author: never in includes
    for i in range(posts):
        when = newest - spacing * (posts - 1 - i)
        key = f"{user_id}_{i}"
        attached = None
        if not media:
            pass
        elif i % 5 == 0:
            attached = [photo(key)]
        elif i % 7 == 0:
            attached = [video(key)]
        elif i % 11 == 0:
            attached = [video(key, gif=True)]
        text = f"{TOPICS[i % len(TOPICS)]} #{name.replace(' ', '')} ({i})"
        post = account.add_tweet(user_id, text, when, media=attached)
        if i % 13 == 0:  # a long post: the full text only in note_tweet
            post["note_tweet"] = {"text": text + " " + "Mer information finns på webben. " * 12}
        for r in range(replies_per_post):
            citizen = citizens[(i + r) % len(citizens)]
            reply = account.add_tweet(
                citizen["id"],
                f"@{username} Tack för infon! ({i}.{r})",
                when + timedelta(minutes=5 + r),
                reply_to=post["id"],
            )
            if r < nested_replies:
                other = citizens[(i + r + 1) % len(citizens)]
                account.add_tweet(
                    other["id"],
                    f"@{citizen['username']} Håller med! ({i}.{r})",
                    when + timedelta(minutes=20 + r),
                    reply_to=reply["id"],
                )
    for m in range(mentions):
        citizen = citizens[m % len(citizens)]
        account.add_tweet(
            citizen["id"],
            f"Fråga till @{username}: när öppnar badet? ({m})",
            newest - spacing * m - timedelta(minutes=30),
            mentions=[username],
        )
    for j in range(legacy_posts):  # from before edits: no edit_history_tweet_ids
        account.add_tweet(user_id, f"Ett äldre inlägg ({j})", datetime(2021, 6, 1 + j, tzinfo=UTC))
    for d in range(dms):
        citizen = citizens[d % len(citizens)]
        moment = newest - timedelta(hours=3 * d)
        account.add_dm(
            citizen["id"], citizen["id"], f"Hej, jag har en fråga om bygglov ({d})", moment
        )
        if d % 2 == 0:
            account.add_dm(
                user_id,
                citizen["id"],
                "Hej! Vi återkommer i morgon.",
                moment + timedelta(minutes=10),
            )
    return account


DEMO_USER_ID = "1500000000000000001"


def demo_account(now: datetime | None = None) -> XAccount:
    """A small Swedish municipal X account for `somed demo`: a few posts with replies, one
    edited post and one deleted post (`now`: the newest post is an hour older)."""
    now = now or datetime.now(UTC)
    account = generate_account(
        DEMO_USER_ID, "Mora kommun", "morakommun", posts=6, replies_per_post=2, mentions=2,
        dms=2, spacing=timedelta(hours=20), newest=now - timedelta(hours=1),
    )  # fmt: skip
    own = account.timeline(author=account.id)
    account.edit(own[1]["id"], own[1]["text"] + " (rättad tid: kl. 10)", now)
    account.delete(own[2]["id"])
    return account
