"""The YouTube demo account of `somed demo`: Mora kommun's channel on the emulator."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from connectors.emulation.demo import DemoAccount
from connectors.youtube.emulator.data import Channel, generate_channel
from connectors.youtube.emulator.server import YouTubeEmulator

CHANNEL = "UCdemoMorakommun0000000x"
KEY = "AIzaDEMO-mora-yt-key"
KEY_ENV = "SOMED_DEMO_MORA_YT_KEY"
QUESTIONS = (
    "När sänds nästa fullmäktigemöte?",
    "Tack för filmen, mycket informativt!",
    "Finns det textning på engelska?",
)


def demo_account(now: datetime | None = None) -> Channel:
    """Mora kommun's channel: six videos with comments and replies, one comment edited (the
    demo's activity then corrects a title and removes a video)."""
    now = now or datetime.now(UTC)
    channel = generate_channel(CHANNEL, "Mora kommun", "@morakommun", videos=6,
                               threads_per_video=2, newest=now - timedelta(hours=2),
                               spacing=timedelta(days=3))  # fmt: skip
    channel.description = (
        "Mora kommuns kanal: fullmäktige, information och film om kommunens "
        "arbete. En verksamhet inom Mora kommun: https://www.mora.se"
    )
    channel.videos[0].title = "Kommunfullmäktige 24 november"
    channel.videos[0].description = "Direktsändning från fullmäktiges sammanträde i Mora."
    edited = channel.videos[1].threads[0]  # a visitor corrected a typo an hour later
    edited.text = "Tack för informationen om sophämtningen! (rättat stavfel)"
    edited.updated = edited.published + timedelta(hours=1)
    return channel


def demo(now: datetime) -> DemoAccount:
    """What `somed demo` serves for YouTube: the demo channel on an unstarted emulator."""
    channel = demo_account(now)
    emulator = YouTubeEmulator([channel], keys=(KEY,))
    rng = random.Random(11)

    def activity(tick: int) -> None:
        """Tick 1 corrects a title, tick 2 removes a video, then visitors comment."""
        if tick == 1 and len(channel.videos) > 2:
            video = channel.videos[1]
            emulator.edit_video(video.id, title=video.title + " (rättad)")
        elif tick == 2 and len(channel.videos) > 3:
            emulator.delete_video(channel.videos[-1].id)
        elif channel.videos:
            emulator.add_comment(channel.videos[0].id, rng.choice(QUESTIONS))

    return DemoAccount(
        platform="youtube",
        emulator=emulator,
        tokens={KEY_ENV: KEY},
        accounts=[{
            "key": "mora-yt", "id": CHANNEL, "url": "https://www.youtube.com/@morakommun",
            "token_env": KEY_ENV, "owner": "Kommunledningskontoret", "editor": "Anna Andersson",
            "substitute": "Erik Eriksson", "refetch_window_days": 30,
        }],
        activity=activity,
    )  # fmt: skip
