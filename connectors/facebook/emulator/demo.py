"""The Facebook demo: two pages of Mora kommun on the emulator, changed live while it runs."""

from __future__ import annotations

import random
from datetime import datetime

from connectors.emulation.demo import DemoAccount
from connectors.facebook.emulator.core import FacebookEmulator
from connectors.facebook.emulator.data import demo_pages

MORA = "100200300"
VISITOR_QUESTIONS = (
    "Hej! Vilka tider har återvinningscentralen i helgen?",
    "Varför är gatubelysningen släckt på Vasagatan?",
    "Tack för informationen om skolvalet!",
    "Kommer det att plogas på Hemulsvägen i dag?",
)
CORRECTION = " (Rättelse: tiden är ändrad till kl. 18.30.)"


def demo(now: datetime) -> DemoAccount:
    """Mora kommun (active, with messages) and its youth centre (quiet, no messaging access)."""
    pages, tokens = demo_pages(now)
    emulator = FacebookEmulator(pages, tokens=tokens)
    rng = random.Random(7)
    mora = pages[0]

    def activity(tick: int) -> None:
        """Tick 1 corrects a post, tick 2 removes one, then visitors comment the newest post."""
        if tick == 1 and len(mora.posts) > 2:
            post = sorted(mora.posts, key=lambda p: p.created_time)[-2]
            emulator.edit_post(post.id, post.message + CORRECTION)
        elif tick == 2 and len(mora.posts) > 3:
            emulator.delete_post(sorted(mora.posts, key=lambda p: p.created_time)[-3].id)
        else:
            newest = emulator.newest_post_id(MORA)
            if newest:
                emulator.add_comment(newest, rng.choice(VISITOR_QUESTIONS))

    people = {"owner": "Kommunledningskontoret", "editor": "Anna Andersson",
              "substitute": "Erik Eriksson"}  # fmt: skip
    return DemoAccount(
        platform="facebook",
        emulator=emulator,
        settings={"api_version": "v21.0"},
        tokens={
            "SOMED_DEMO_MORA_TOKEN": "demo-token-mora",
            "SOMED_DEMO_FRITID_TOKEN": "demo-token-fritid",
        },  # fmt: skip
        accounts=[
            {
                "key": "mora-fb",
                "id": MORA,
                "url": "https://www.facebook.com/morakommun.demo",
                "token_env": "SOMED_DEMO_MORA_TOKEN",
                **people,
            },
            {
                "key": "fritidsgarden-fb",
                "id": "100200400",
                "url": "https://www.facebook.com/fritidsgardenmora.demo",
                "token_env": "SOMED_DEMO_FRITID_TOKEN",
                "owner": "Kultur- och fritidsförvaltningen",
                "editor": "Sara Lind",
                "substitute": "Johan Berg",
            },
        ],  # fmt: skip
        activity=activity,
    )
