"""The Instagram emulator: the Graph API routes (`graph.py`) over the shared toolkit.

`InstagramGraphEmulator(accounts, tokens)` serves `data.Account`s; `demo_account()` is the
demo data `somed demo` serves; `generate_account()` builds larger accounts for tests and
benchmarks. instaloader's web routes can be registered on the same emulator's `router`.
"""

from __future__ import annotations

from connectors.instagram.emulator.data import (
    Account,
    Comment,
    Conversation,
    Media,
    Message,
    TokenInfo,
    demo_account,
    generate_account,
)
from connectors.instagram.emulator.graph import GraphError, InstagramGraphEmulator

__all__ = [
    "Account",
    "Comment",
    "Conversation",
    "GraphError",
    "InstagramGraphEmulator",
    "Media",
    "Message",
    "TokenInfo",
    "demo_account",
    "generate_account",
]
