"""The YouTube Data API v3 emulator: data, resources and the server on the shared toolkit."""

from __future__ import annotations

from connectors.youtube.emulator.data import Channel, Comment, Video, generate_channel, video_id
from connectors.youtube.emulator.demo import demo_account
from connectors.youtube.emulator.server import KEY, YouTubeEmulator

__all__ = [
    "KEY",
    "Channel",
    "Comment",
    "Video",
    "YouTubeEmulator",
    "demo_account",
    "generate_channel",
    "video_id",
]
