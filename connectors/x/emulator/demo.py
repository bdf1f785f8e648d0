"""The X demo: Mora kommun's X account on the emulator, changed live while the demo runs."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.emulation.demo import DemoAccount
from connectors.x.emulator.app import XEmulator
from connectors.x.emulator.generate import DEMO_USER_ID, demo_account

TOKEN, USER_TOKEN = "demo-token-mora-x", "demo-user-token-mora-x"
BROWSER_SESSION = "demo-x-browser-session-7f31"  # the logged-in browser's `auth_token` cookie
CITIZEN_REPLIES = (
    "Gäller avstängningen även Vasagatan?",
    "Tack för att ni informerar här!",
    "När öppnar simhallen igen?",
)


def demo(now: datetime) -> DemoAccount:
    """Mora kommun on X: posts with replies, mentions and direct messages (with a user token).

    Its profile is the demo's one without the sender text ("En verksamhet inom Mora kommun"),
    and as on X its page shows nothing to anonymous visitors: the demo's browser state logs in.
    """
    account = demo_account(now)
    emulator = XEmulator([account], tokens=(TOKEN,), user_tokens={USER_TOKEN: DEMO_USER_ID})
    cookie = emulator.public.add_session(BROWSER_SESSION)
    host = emulator.server.host  # the demo's browser goes to the emulator
    citizens = sorted(account.users)

    def activity(tick: int) -> None:
        """Tick 1 corrects a post, tick 2 removes one, then citizens reply to the newest."""
        own = [t for t in account.timeline(author=DEMO_USER_ID) if "referenced_tweets" not in t]
        if tick == 1 and len(own) > 1:
            account.edit(own[1]["id"], own[1]["text"] + " (Rättelse: kl. 18.30.)")
        elif tick == 2 and len(own) > 2:
            account.delete(own[2]["id"])
        elif own:
            text = f"@{account.username} {CITIZEN_REPLIES[tick % len(CITIZEN_REPLIES)]}"
            account.add_tweet(citizens[tick % len(citizens)], text, datetime.now(UTC),
                              reply_to=own[0]["id"])  # fmt: skip

    return DemoAccount(
        platform="x",
        emulator=emulator,
        tokens={"SOMED_DEMO_MORA_X_TOKEN": TOKEN, "SOMED_DEMO_MORA_X_USER_TOKEN": USER_TOKEN},
        accounts=[
            {
                "key": "mora-x",
                "id": DEMO_USER_ID,
                "url": "https://x.com/morakommun",
                "token_env": "SOMED_DEMO_MORA_X_TOKEN",
                "user_token_env": "SOMED_DEMO_MORA_X_USER_TOKEN",
                "recheck_share": 0,  # reads cost nothing here: deletions show at the next poll
                "owner": "Kommunledningskontoret",
                "editor": "Anna Andersson",
                "substitute": "Erik Eriksson",
            }
        ],  # fmt: skip
        activity=activity,
        browser_state={
            "cookies": [
                {
                    **cookie,
                    "domain": host,
                    "path": "/",
                    "expires": -1,
                    "httpOnly": True,
                    "secure": False,
                    "sameSite": "Lax",
                }
            ],
            "origins": [],
        },  # fmt: skip
    )
