"""The Instagram demo: Mora kommun's professional account on the Graph emulator, changed live."""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.emulation.demo import DemoAccount
from connectors.instagram.emulator.data import Comment, Media, TokenInfo, demo_account, next_id
from connectors.instagram.emulator.graph import InstagramGraphEmulator

TOKEN_ENV = "SOMED_DEMO_MORA_IG_TOKEN"
TOKEN = "demo-token-mora-ig"
VISITOR_COMMENTS = (
    "Vilken fin bild! 😍",
    "När öppnar simhallen igen?",
    "Tack för att ni informerar om snöröjningen!",
)


def demo(now: datetime) -> DemoAccount:
    """Mora kommun on Instagram: tick 1 edits a caption, tick 2 deletes a post, then a new
    reel and visitors' comments appear now and then."""
    account = demo_account(now)
    emulator = InstagramGraphEmulator([account], {TOKEN: TokenInfo(page_id=account.page_id)})

    def activity(tick: int) -> None:
        """Change the account the way its editors and visitors would."""
        live = account.live_media()
        if tick == 1 and len(live) > 1:
            live[1].caption = (live[1].caption or "") + " (Rättelse: öppet till kl. 20.)"
        elif tick == 2 and len(live) > 3:
            live[3].deleted = True
        elif tick % 5 == 0:
            when = datetime.now(now.tzinfo) - timedelta(minutes=1)
            account.media.insert(0, Media(next_id(), "Veckans reel från Mora 🎬", "VIDEO", when,
                                          f"D{tick:09d}", product_type="REELS"))  # fmt: skip
        elif live:
            text = VISITOR_COMMENTS[tick % len(VISITOR_COMMENTS)]
            live[0].comments.append(Comment(next_id(), text, datetime.now(now.tzinfo),
                                            "besokare.mora", "17841455500000077"))  # fmt: skip

    return DemoAccount(
        platform="instagram",
        emulator=emulator,
        settings={"api_version": "v21.0"},
        tokens={TOKEN_ENV: TOKEN},
        accounts=[
            {
                "key": "mora-ig",
                "id": account.user_id,
                "url": "https://www.instagram.com/morakommun/",
                "token_env": TOKEN_ENV,
                "owner": "Kommunledningskontoret",
                "editor": "Anna Andersson",
                "substitute": "Erik Eriksson",
            }
        ],  # fmt: skip
        activity=activity,
    )
