"""X's public pages on the emulator: what a browser sees at x.com.

Paths as on x.com: the profile `/{handle}`, a post `/{handle}/status/{id}` (and
`/i/web/status/{id}`), the login flow `/i/flow/login` (where X sends anonymous visitors, with
`redirect_after_login`), the locked-account check `/account/access`. None is an API path
(`/2/...`) or a media path. X shows nothing to anonymous visitors (`login_required` is on by
default): a browser state with an `auth_token` cookie in `PublicSite.sessions` gets in.

The markup copies what capture code relies on (see `connectors/x/capture.py`): the
`data-testid` attributes (`primaryColumn`, `tweet`, `tweetText`, `BottomBar`, `sheetDialog`),
the cookie bar's "Refuse non-essential cookies", "This account doesn’t exist".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulation.public_page import (
    PageSkin,
    PublicPost,
    PublicProfile,
    PublicSite,
)
from connectors.x.emulator.data import XAccount

CSS = """
body{margin:0;background:#fff;color:#0f1419;font-family:-apple-system,"Segoe UI",Roboto,
 Helvetica,Arial,sans-serif}
#react-root .x-cols{display:flex;justify-content:center}
header[role=banner]{width:88px;padding:12px;font-size:30px;font-weight:bold}
main[role=main]{width:600px;border-left:1px solid #eff3f4;border-right:1px solid #eff3f4}
.x-banner img.somed-img{height:200px}
.x-head{padding:12px 16px;border-bottom:1px solid #eff3f4}
.x-head img.x-avatar{width:134px;height:134px;border-radius:50%;border:4px solid #fff;
 margin-top:-70px;image-rendering:pixelated}
[data-testid=UserName] span{display:block}
[data-testid=UserName] .x-handle{color:#536471}
[data-testid=UserDescription]{white-space:pre-wrap;margin:12px 0}
article[data-testid=tweet]{display:flex;gap:12px;padding:12px 16px;
 border-bottom:1px solid #eff3f4;min-height:110px}
article[data-testid=tweet] img.x-avatar-s{width:40px;height:40px;border-radius:50%;
 image-rendering:pixelated}
.x-body{flex:1}
[data-testid=User-Name] a{color:#536471;text-decoration:none}
[data-testid=tweetText]{white-space:pre-wrap;font-size:15px;margin:4px 0 10px}
[data-testid=tweetPhoto] img.somed-img{border-radius:16px;height:280px}
[data-testid=BottomBar]{position:fixed;left:0;right:0;bottom:0;background:#fff;
 border-top:1px solid #eff3f4;padding:16px;display:flex;gap:12px;align-items:center;z-index:5}
[data-testid=BottomBar] button{border-radius:999px;padding:8px 16px;border:1px solid #cfd9de;
 font-weight:bold;background:#fff;cursor:pointer}
[data-testid=BottomBar] button.x-accept{background:#0f1419;color:#fff}
.x-mask{position:fixed;inset:0;background:rgba(91,112,131,.4);display:flex;
 align-items:center;justify-content:center;z-index:10}
[data-testid=sheetDialog]{background:#fff;border-radius:16px;padding:32px;max-width:600px}
.x-center{max-width:420px;margin:60px auto}
.x-center input{display:block;width:100%;padding:12px;margin:8px 0;font-size:16px}
"""

PAGE = """
<div id="react-root"{{ scroll_attrs }}><div class="x-cols">
<header role="banner"><a href="/" aria-label="X">𝕏</a></header>
<main role="main"><div data-testid="primaryColumn">
<div class="x-banner"><img class="somed-img" src="{{ image(profile.picture_seed ~ '-banner') }}"
 alt=""></div>
<div class="x-head"><img class="x-avatar" src="{{ image(profile.picture_seed) }}" alt="">
<div data-testid="UserName"><span><strong>{{ profile.name }}</strong></span>
<span class="x-handle">@{{ profile.handle }}</span></div>
<div data-testid="UserDescription">{{ description }}</div>
{% if profile.link %}<a data-testid="UserUrl" href="{{ profile.link }}"
 rel="noopener noreferrer nofollow">{{ profile.link }}</a>{% endif %}
{% if profile.followers %}<div>{{ profile.followers }} följare</div>{% endif %}</div>
<section aria-labelledby="accessible-list-1" role="region">
<h1 id="accessible-list-1" hidden>{{ profile.name }}s inlägg</h1>
<div aria-label="Tidslinje: {{ profile.name }}s inlägg">{{ timeline }}</div></section>
</div></main></div></div>
"""

POST = """
<article data-testid="tweet" role="article" tabindex="0"{{ marker }}>
<img class="x-avatar-s" src="{{ image(profile.picture_seed) }}" alt=""><div class="x-body">
<div data-testid="User-Name"><strong>{{ profile.name }}</strong>
<a href="{{ post.permalink }}">@{{ profile.handle }} · <time
 datetime="{{ post.created.isoformat() }}">{{ post.created | swedish_date }}</time></a></div>
<div data-testid="tweetText" lang="sv">{{ post.text }}</div>
{% if post.images %}<div data-testid="tweetPhoto"><img class="somed-img"
 src="{{ image(post.id ~ '-0') }}" alt="Bild"></div>{% endif %}
</div></article>
"""

# X's cookie bar at the bottom of the page (not modal: the page scrolls beneath it).
CONSENT = """
<div data-testid="BottomBar" data-somed-consent-root>
<div><strong>Did someone say … cookies?</strong> X and its partners use cookies to provide you
 with a better, safer and faster service and to support our business.</div>
<button class="x-accept" type="button" role="button" data-somed-consent="all"><span>Accept all
 cookies</span></button>
<button type="button" role="button" data-somed-consent="essential"><span>Refuse non-essential
 cookies</span></button></div>
"""

LOGIN_OVERLAY = """
<div class="x-mask" data-somed-login-wall><div role="dialog" aria-modal="true">
<div data-testid="sheetDialog"><h1>Don’t miss what’s happening</h1>
<p>People on X are the first to know.</p>
<a href="/i/flow/login" data-testid="loginButton" role="link">Log in</a>
<a href="/i/flow/signup" data-testid="signupButton" role="link">Sign up</a>
</div></div></div>
"""

LOGIN_PAGE = """
<div class="x-center"><div role="dialog" aria-modal="true" aria-labelledby="modal-header">
<div data-testid="sheetDialog"><h1 id="modal-header">Sign in to X</h1>
<input name="text" autocomplete="username" aria-label="Phone, email, or username">
<button type="button" role="button">Next</button></div></div></div>
"""

CHECKPOINT_PAGE = """
<div class="x-center"><h1>Your account has been locked</h1>
<p>We've detected some unusual activity. Pass a challenge to unlock your account.</p>
<button type="button">Start</button></div>
"""

ERROR_PAGE = """
<div id="react-root"><div class="x-cols"><main role="main"><div data-testid="primaryColumn">
<div data-testid="emptyState"><div data-testid="empty_state_header_text">This account doesn’t
 exist</div><div data-testid="empty_state_body_text">Try searching for another.</div></div>
</div></main></div></div>
"""

SKIN = PageSkin(
    site="X", css=CSS, page=PAGE, post=POST, consent=CONSENT, consent_cookie="d_prefs",
    login_page=LOGIN_PAGE, checkpoint_page=CHECKPOINT_PAGE, error_page=ERROR_PAGE,
    login_overlay=LOGIN_OVERLAY, login_path="/i/flow/login", next_param="redirect_after_login",
    checkpoint_path="/account/access", session_cookie="auth_token", consent_modal=False,
    members_only=True,
)  # fmt: skip

_STATUS = re.compile(r"/(?P<user>\w{1,15}|i/web)/status/(?P<id>\d+)/?")
_PROFILE = re.compile(r"/(?P<user>\w{1,15})/?")
_BY_ID = re.compile(r"/i/user/(?P<user>\d+)/?")


def profile_of(account: XAccount) -> PublicProfile:
    """The account as its public profile shows it."""
    user = account.user
    return PublicProfile(
        handle=account.username, name=str(user.get("name") or account.username),
        description=str(user.get("description") or ""), link=user.get("url") or None,
        picture_seed=f"x-{account.id}",
        followers=(user.get("public_metrics") or {}).get("followers_count"),
        path=f"/{account.username}",
    )  # fmt: skip


def post_of(account: XAccount, tweet: dict[str, Any]) -> PublicPost:
    """A post as the profile shows it."""
    created = datetime.fromisoformat(str(tweet["created_at"]).replace("Z", "+00:00"))
    images = len((tweet.get("attachments") or {}).get("media_keys") or [])
    ident = str(tweet["id"])
    return PublicPost(id=ident, text=str(tweet["text"]), created=created, images=images,
                      permalink=f"/{account.username}/status/{ident}")  # fmt: skip


def own_posts(account: XAccount) -> list[dict[str, Any]]:
    """The account's live posts, newest first (replies left out, as the profile's tab)."""
    return [t for t in account.timeline(author=account.id) if "referenced_tweets" not in t]


def answer(site: PublicSite, accounts: list[XAccount], request: Request) -> Response | None:
    """Answer a browser's request for a public page, or None (an API or media request)."""
    if (image := site.static(request)) is not None:
        return image
    path = request.path
    if request.method != "GET" or request.headers.get("Authorization"):
        return None
    if path == "/i/flow/login":
        return site.login_page(request)
    if path == "/account/access":
        return site.checkpoint_page(request)
    if match := _STATUS.fullmatch(path):
        for account in accounts:
            if account.visible(match["id"]) and account.current(match["id"])["id"] == match["id"]:
                tweet = account.tweets[match["id"]]
                if tweet["author_id"] == account.id:
                    return site.permalink_page(request, profile_of(account),
                                               post_of(account, tweet))  # fmt: skip
        return site.permalink_page(request, profile_of(accounts[0]), None) if accounts else None
    if (match := _PROFILE.fullmatch(path)) or (match := _BY_ID.fullmatch(path)):
        name = match["user"].lower()
        account = next((a for a in accounts if name in (a.username.lower(), a.id)), None)
        if account is not None:
            posts = [post_of(account, tweet) for tweet in own_posts(account)]
            return site.profile_page(request, profile_of(account), posts)
    return None
