"""Facebook's public pages on the emulator: what a logged-out browser sees at www.facebook.com.

Paths as on the real site: `/{username}` (and `/profile.php?id={id}`), a post's permalink
`/{page}/posts/{n}` (what Graph's `permalink_url` names) and `/permalink.php?story_fbid=..`,
the login page `/login/`, the security check `/checkpoint/`. They are answered only for a
request without an access token whose first path segment names a page (or is one of those
fixed paths), so no Graph path (`/{id}`, `/v21.0/{id}/posts`, `/me`, ...) changes meaning.

The markup copies what capture code relies on (see `connectors/facebook/capture.py`): the
cookie dialog's `data-cookiebanner` buttons, the logged-out login overlay
`#login_popup_cta_form`, posts as `[role="article"]` in `[role="main"]`, the error page's
"This content isn't available right now".
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
from connectors.facebook.emulator.data import PageData, PostData

CSS = """
body{margin:0;background:#f0f2f5;font-family:Helvetica,Arial,sans-serif;color:#050505}
.fb-top{background:#fff;height:56px;display:flex;align-items:center;justify-content:space-between;
 padding:0 16px;box-shadow:0 1px 2px rgba(0,0,0,.1)}
.fb-logo{color:#0866ff;font-size:28px;font-weight:bold;text-decoration:none}
.fb-top a.fb-login{background:#0866ff;color:#fff;padding:8px 14px;border-radius:6px;
 text-decoration:none}
[role=main]{max-width:680px;margin:0 auto;padding:0 0 40px}
.fb-cover img.somed-img{height:220px}
.fb-head{display:flex;align-items:center;gap:16px;background:#fff;padding:16px}
.fb-avatar{width:96px;height:96px;border-radius:50%;image-rendering:pixelated}
.fb-head h1{margin:0;font-size:28px}
.fb-intro{background:#fff;margin:12px 0;padding:12px 16px;border-radius:8px}
.fb-post{background:#fff;margin:12px 0;padding:12px 16px;border-radius:8px;min-height:120px}
.fb-post-head{display:flex;gap:8px;align-items:center;font-size:15px}
.fb-post-head img{width:40px;height:40px;border-radius:50%;image-rendering:pixelated}
.fb-post-head a{color:#65676b;font-size:13px;text-decoration:none;display:block}
.fb-text{margin:10px 0;font-size:15px;line-height:1.4;white-space:pre-wrap}
.fb-photos{display:flex;gap:4px}
.fb-actions{border-top:1px solid #ced0d4;margin-top:10px;padding-top:8px;color:#65676b}
.fb-layer{position:fixed;inset:0;background:rgba(244,244,244,.85);display:flex;
 align-items:center;justify-content:center;z-index:10}
.fb-dialog{background:#fff;max-width:560px;padding:20px 24px;border-radius:8px;
 box-shadow:0 12px 28px rgba(0,0,0,.2)}
.fb-dialog [role=button],.fb-dialog button{display:inline-block;margin:8px 8px 0 0;
 padding:8px 16px;border-radius:6px;background:#e4e6eb;cursor:pointer;border:0;font-size:15px}
.fb-dialog [data-cookiebanner=accept_button]{background:#0866ff;color:#fff}
.fb-dialog input{display:block;width:100%;margin:8px 0;padding:12px;font-size:16px}
.fb-error{max-width:500px;margin:80px auto;text-align:center}
"""

PAGE = """
<div id="mount_0_0_Ab" class="fb-app"{{ scroll_attrs }}>
<div role="banner" class="fb-top"><a class="fb-logo" href="/">facebook</a>
<a class="fb-login" href="/login/">Logga in</a></div>
<div role="main">
<div class="fb-cover"><img class="somed-img" src="{{ image(profile.picture_seed ~ '-cover') }}"
 alt="Omslagsbild"></div>
<div class="fb-head"><img class="fb-avatar" src="{{ image(profile.picture_seed) }}"
 alt="{{ profile.name }}"><div><h1>{{ profile.name }}</h1>
{% if profile.followers %}<span>{{ profile.followers }} följare</span>{% endif %}</div></div>
<div class="fb-intro" data-pagelet="ProfileTilesFeed_0"><h2>Presentation</h2>
<div class="fb-about">{{ description }}</div>
{% if profile.link %}<a href="{{ profile.link }}" rel="nofollow noopener">{{ profile.link }}</a>
{% endif %}</div>
<div data-pagelet="ProfileTimeline" role="feed">{{ timeline }}</div>
</div></div>
"""

POST = """
<div class="fb-post" role="article" aria-posinset="{{ n }}"{{ marker }}>
<div class="fb-post-head"><img src="{{ image(profile.picture_seed) }}" alt="">
<div><strong>{{ profile.name }}</strong>
<a href="{{ post.permalink }}">{{ post.created | swedish_date }}</a></div></div>
<div class="fb-text" data-ad-comet-preview="message" data-ad-preview="message">{{ post.text }}</div>
{% if post.images %}<div class="fb-photos">{% for i in range([post.images, 3] | min) %}
<img class="somed-img" src="{{ image(post.id ~ '-' ~ i) }}" alt="Foto">{% endfor %}</div>{% endif %}
<div class="fb-actions">Gilla · Kommentera · Dela</div>
</div>
"""

# The dialog Facebook shows logged-out visitors in the EU (its buttons' `data-cookiebanner`
# and `aria-label` are what archivers' scripts click; see connectors/facebook/capture.py).
CONSENT = """
<div class="fb-layer" data-somed-consent-root data-testid="cookie-policy-manage-dialog">
<div class="fb-dialog" role="dialog" aria-label="Allow the use of cookies from Facebook on this
 browser?"><h2>Allow the use of cookies from Facebook on this browser?</h2>
<p>We use cookies and similar technologies to help provide and improve content on Meta
 Products. You can choose to allow optional cookies or only essential ones.</p>
<div role="button" tabindex="0" aria-label="Decline optional cookies"
 data-cookiebanner="accept_only_essential_button" data-somed-consent="essential">Decline
 optional cookies</div>
<div role="button" tabindex="0" aria-label="Allow all cookies" data-cookiebanner="accept_button"
 data-somed-consent="all">Allow all cookies</div>
</div></div>
"""

LOGIN_OVERLAY = """
<div class="fb-layer" data-somed-login-wall>
<div class="fb-dialog" role="dialog" aria-label="Log in or sign up for Facebook">
<h2>See more from {{ profile.name }}</h2>
<form id="login_popup_cta_form" method="post" action="/login/?next={{ profile.path }}">
<input name="email" placeholder="Email or phone number" autocomplete="username">
<input name="pass" type="password" placeholder="Password" autocomplete="current-password">
<button name="login" type="submit">Log in</button></form>
<a href="/r.php">Create new account</a></div></div>
"""

LOGIN_PAGE = """
<div class="fb-error"><div class="fb-logo">facebook</div><h2>Log in to Facebook</h2>
<form id="login_form" method="post" action="/login/" data-testid="royal_login_form">
<input id="email" name="email" placeholder="Email address or phone number">
<input id="pass" name="pass" type="password" placeholder="Password">
<button name="login" data-testid="royal_login_button" type="submit">Log in</button></form>
<a href="/recover/initiate/">Forgotten account?</a></div>
"""

CHECKPOINT_PAGE = """
<div class="fb-error" role="main"><div class="fb-logo">facebook</div>
<h2>Confirm it's you to log in</h2>
<p>We noticed unusual activity from your browser. To continue, confirm it's you.</p>
<button type="button">Continue</button></div>
"""

ERROR_PAGE = """
<div class="fb-app"><div role="banner" class="fb-top"><a class="fb-logo" href="/">facebook</a>
</div><div role="main" class="fb-error"><h2>This content isn't available right now</h2>
<p>When this happens, it's usually because the owner only shared it with a small group of
 people, changed who can see it or it's been deleted.</p>
<a href="/">Go to Feed</a></div></div>
"""

SKIN = PageSkin(
    site="Facebook", css=CSS, page=PAGE, post=POST, consent=CONSENT, consent_cookie="wd_consent",
    login_page=LOGIN_PAGE, checkpoint_page=CHECKPOINT_PAGE, error_page=ERROR_PAGE,
    login_overlay=LOGIN_OVERLAY, login_path="/login/", checkpoint_path="/checkpoint/",
    session_cookie="c_user", lang="sv",
)  # fmt: skip

_POST_PATH = re.compile(r"/(?P<page>[^/]+)/posts/(?P<n>\d+)/?")
_PROFILE_PATH = re.compile(r"/(?P<page>[^/]+)/?")


def profile_of(page: PageData) -> PublicProfile:
    """The page as its public profile shows it."""
    about = "\n".join(text for text in (page.about, page.description) if text)
    return PublicProfile(
        handle=page.username, name=page.name, description=about, link=page.website or None,
        picture_seed=f"fb-{page.id}", followers=page.followers_count or None,
        path=f"/{page.username}",
    )  # fmt: skip


def post_of(page: PageData, post: PostData) -> PublicPost:
    """One of the page's posts as its timeline shows it."""
    serial = post.id.split("_", 1)[-1]
    return PublicPost(id=post.id, text=post.message, created=post.created_time,
                      images=post.images, permalink=f"/{page.username}/posts/{serial}")  # fmt: skip


def answer(site: PublicSite, pages: list[PageData], request: Request) -> Response | None:
    """Answer a browser's request for a public page, or None when it is a Graph request."""
    if request.args.get("access_token") or request.headers.get("Authorization"):
        return None
    if (image := site.static(request)) is not None:
        return image
    path = request.path
    if request.method == "POST" and path == "/login/":
        return site.login_page(request)
    if request.method != "GET":
        return None
    if path in ("/login/", "/login", "/login.php"):
        return site.login_page(request)
    if path.rstrip("/") == "/checkpoint":
        return site.checkpoint_page(request)
    if path == "/profile.php":
        page = _page(pages, request.args.get("id", ""))
        return None if page is None else _profile(site, page, request)
    if path == "/permalink.php":
        page = _page(pages, request.args.get("id", ""))
        return None if page is None else _permalink(site, page, request.args.get("story_fbid"),
                                                    request)  # fmt: skip
    if match := _POST_PATH.fullmatch(path):
        page = _page(pages, match["page"])
        return None if page is None else _permalink(site, page, match["n"], request)
    if (match := _PROFILE_PATH.fullmatch(path)) and not match["page"][:1].isdigit():
        page = _page(pages, match["page"])
        return None if page is None else _profile(site, page, request)
    return None


def _page(pages: list[PageData], name: str) -> PageData | None:
    return next((p for p in pages if name and name in (p.username, p.id)), None)


def _visible(page: PageData) -> list[PostData]:
    return [post for post in page.posts if not post.is_hidden]


def _profile(site: PublicSite, page: PageData, request: Request) -> Response:
    posts = [post_of(page, post) for post in _visible(page)]
    return site.profile_page(request, profile_of(page), posts)


def _permalink(site: PublicSite, page: PageData, serial: str | None,
               request: Request) -> Response:  # fmt: skip
    found = next((p for p in _visible(page) if p.id.split("_", 1)[-1] == serial), None)
    return site.permalink_page(request, profile_of(page),
                               post_of(page, found) if found else None)  # fmt: skip
