"""Instagram's public pages on the Graph emulator: what a logged-out browser sees.

Paths as on www.instagram.com: the profile `/{username}/`, a post `/p/{shortcode}/` (and
`/reel/{shortcode}/`), the login page `/accounts/login/` (a login wall redirects there with
`next`), the security check `/challenge/`. None of them is a Graph path (`/v21.0/...`).

The markup copies what capture code relies on (see `connectors/instagram/capture.py`): the
cookie dialog's "Decline optional cookies" button, the login form `#loginForm`, posts as
`article` elements in `main[role="main"]`, and "Sorry, this page isn't available.".
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from connectors.emulation.public_page import (
    PageSkin,
    PublicPost,
    PublicProfile,
    PublicSite,
)
from connectors.instagram.emulator.data import Account, Media

CSS = """
body{margin:0;background:#fff;font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,
 sans-serif;color:#000}
.ig-nav{height:60px;border-bottom:1px solid #dbdbdb;display:flex;align-items:center;
 justify-content:space-between;padding:0 20px}
.ig-logo{font-family:cursive;font-size:26px;color:#000;text-decoration:none}
.ig-nav a.ig-login{background:#0095f6;color:#fff;border-radius:8px;padding:7px 16px;
 text-decoration:none;font-weight:600}
main[role=main]{max-width:470px;margin:0 auto;padding:20px 0 60px}
.ig-header{display:flex;gap:28px;align-items:center;padding:0 0 24px;
 border-bottom:1px solid #dbdbdb}
.ig-header img{width:120px;height:120px;border-radius:50%;image-rendering:pixelated}
.ig-header h2{font-size:20px;font-weight:400;margin:0 0 8px}
.ig-bio{white-space:pre-wrap;font-size:14px}
article.ig-post{border-bottom:1px solid #dbdbdb;padding:16px 0}
.ig-post header{display:flex;gap:10px;align-items:center;font-weight:600;font-size:14px;
 margin-bottom:10px}
.ig-post header img{width:32px;height:32px;border-radius:50%;image-rendering:pixelated}
.ig-post img.somed-img{height:300px}
.ig-caption{font-size:14px;margin:10px 0 4px;white-space:pre-wrap}
.ig-post time{color:#737373;font-size:12px;text-transform:uppercase}
.ig-veil{position:fixed;inset:0;background:rgba(0,0,0,.65);display:flex;align-items:center;
 justify-content:center;z-index:10}
.ig-box{background:#fff;border-radius:12px;max-width:480px;padding:24px;text-align:center}
.ig-box button{display:block;width:100%;margin:8px 0;padding:10px;border:0;border-radius:8px;
 font-weight:600;font-size:14px;cursor:pointer;background:#efefef}
.ig-box button._a9--._ap36._a9_0{background:#0095f6;color:#fff}
.ig-center{max-width:350px;margin:60px auto;text-align:center}
.ig-center input{display:block;width:100%;margin:6px 0;padding:9px;font-size:14px}
"""

PAGE = """
<div id="mount_0_0_Ig" class="ig-app"{{ scroll_attrs }}>
<nav class="ig-nav"><a class="ig-logo" href="/">Instagram</a>
<a class="ig-login" href="/accounts/login/">Logga in</a></nav>
<main role="main">
<header class="ig-header"><img src="{{ image(profile.picture_seed) }}"
 alt="Profilbild för {{ profile.handle }}"><section><h2>{{ profile.handle }}</h2>
{% if profile.followers %}<div>{{ profile.followers }} följare</div>{% endif %}
<span class="ig-name"><strong>{{ profile.name }}</strong></span>
<div class="ig-bio">{{ description }}</div>
{% if profile.link %}<a href="{{ profile.link }}" rel="me nofollow noopener">{{ profile.link }}</a>
{% endif %}</section></header>
<div class="ig-feed">{{ timeline }}</div>
</main></div>
"""

POST = """
<article class="ig-post" role="presentation"{{ marker }}>
<header><img src="{{ image(profile.picture_seed) }}" alt=""><a href="/{{ profile.handle }}/">
{{ profile.handle }}</a></header>
<a href="{{ post.permalink }}">{% if post.images %}<img class="somed-img"
 src="{{ image(post.id ~ '-0') }}" alt="Foto av {{ profile.name }}. {{ post.text[:80] }}">
{% endif %}</a>
<h1 class="ig-caption _ap3a"><strong>{{ profile.handle }}</strong> {{ post.text }}</h1>
<time datetime="{{ post.created.isoformat() }}">{{ post.created | swedish_date }}</time>
</article>
"""

# Instagram's cookie dialog for logged-out visitors in the EU: two buttons, text only.
CONSENT = """
<div class="ig-veil" data-somed-consent-root>
<div class="ig-box" role="dialog" aria-modal="true">
<h2>Allow the use of cookies from Instagram on this browser?</h2>
<p>We use cookies and similar technologies to help provide and improve content on Meta
 Products.</p>
<button class="_a9--._ap36._a9_0" type="button" tabindex="0"
 data-somed-consent="all">Allow all cookies</button>
<button class="_a9--._ap36._a9_1" type="button" tabindex="0"
 data-somed-consent="essential">Decline optional cookies</button>
</div></div>
"""

LOGIN_PAGE = """
<div class="ig-center"><div class="ig-logo">Instagram</div>
<form id="loginForm" method="post" action="/accounts/login/ajax/">
<input name="username" aria-label="Phone number, username, or email" autocomplete="username">
<input name="password" type="password" aria-label="Password" autocomplete="current-password">
<button type="submit">Log in</button></form></div>
"""

CHECKPOINT_PAGE = """
<div class="ig-center"><h2>Help us confirm it's you</h2>
<p>We noticed unusual activity. Enter the code we sent to your email to continue.</p>
<form method="post"><input name="security_code"><button type="submit">Confirm</button></form>
</div>
"""

ERROR_PAGE = """
<div class="ig-app"><nav class="ig-nav"><a class="ig-logo" href="/">Instagram</a></nav>
<main role="main"><div class="ig-center"><h2>Sorry, this page isn't available.</h2>
<p>The link you followed may be broken, or the page may have been removed.
 <a href="/">Go back to Instagram.</a></p></div></main></div>
"""

SKIN = PageSkin(
    site="Instagram", css=CSS, page=PAGE, post=POST, consent=CONSENT, consent_cookie="ig_cb",
    login_page=LOGIN_PAGE, checkpoint_page=CHECKPOINT_PAGE, error_page=ERROR_PAGE,
    login_overlay="", login_path="/accounts/login/", checkpoint_path="/challenge/",
    session_cookie="sessionid", lang="sv",
)  # fmt: skip

_POST_PATH = re.compile(r"/(?:p|reel)/(?P<code>[\w-]+)/?")
_PROFILE_PATH = re.compile(r"/(?P<user>[\w.]+)/?")


def profile_of(account: Account) -> PublicProfile:
    """The account as its public profile shows it."""
    return PublicProfile(
        handle=account.username, name=account.name, description=account.biography,
        link=account.website, picture_seed=f"ig-{account.user_id}", followers=account.followers,
        path=f"/{account.username}/",
    )  # fmt: skip


def post_of(media: Media) -> PublicPost:
    """A media object as the profile shows it."""
    images = max(1, len(media.children))
    return PublicPost(id=media.id, text=media.caption or "", created=media.timestamp,
                      images=images, permalink=f"/p/{media.shortcode}/")  # fmt: skip


def answer(site: PublicSite, accounts: list[Account], request: Request) -> Response | None:
    """Answer a browser's request for a public page, or None (a Graph or CDN request)."""
    if (image := site.static(request)) is not None:
        return image
    path = request.path
    if request.method != "GET" or request.args.get("access_token"):
        return None
    if path.rstrip("/") == "/accounts/login":
        return site.login_page(request)
    if path.rstrip("/") == "/challenge":
        return site.checkpoint_page(request)
    if match := _POST_PATH.fullmatch(path):
        for account in accounts:
            for media in account.live_media():
                if media.shortcode == match["code"]:
                    return site.permalink_page(request, profile_of(account), post_of(media))
        return site.permalink_page(request, profile_of(accounts[0]), None) if accounts else None
    if match := _PROFILE_PATH.fullmatch(path):
        account = next((a for a in accounts if a.username == match["user"]), None)
        if account is not None:
            posts = [post_of(media) for media in account.live_media()]
            return site.profile_page(request, profile_of(account), posts)
    return None
