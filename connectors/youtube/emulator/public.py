"""YouTube's public pages on the emulator: what a browser sees at www.youtube.com.

Paths as on the real site: the channel `/@{handle}` and `/channel/{id}` (each also with
`/videos`), a video `/watch?v={id}`. In the EU, YouTube first sends a visitor without the
`SOCS` cookie to consent.youtube.com (`/m?continue=...`), whose "Reject all" and "Accept all"
forms post to `/save`, set the cookie and send the visitor back: the emulator does the same on
its own host. A login wall goes to Google's sign-in (`/ServiceLogin`), a checkpoint to
Google's "unusual traffic" page (`/sorry/index`). None of them is an API or file path.

The markup uses YouTube's element names (see `connectors/youtube/capture.py`): `ytd-app`,
`ytd-browse`, `ytd-video-renderer`, `#video-title`, `#description-text`.
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
from connectors.youtube.emulator.data import Channel, Video

CSS = """
body{margin:0;background:#fff;color:#0f0f0f;font-family:Roboto,Arial,sans-serif}
ytd-app,ytd-browse,ytd-watch-flexy,ytd-video-renderer,ytd-c4-tabbed-header-renderer,
ytd-section-list-renderer,ytd-masthead{display:block}
ytd-masthead{height:56px;padding:0 16px;display:flex;align-items:center;font-size:22px;
 font-weight:bold}
ytd-browse,ytd-watch-flexy{max-width:900px;margin:0 auto;padding-bottom:40px}
#channel-banner img.somed-img{height:160px;border-radius:12px}
#channel-header{display:flex;gap:20px;align-items:center;padding:16px 0}
#channel-header img{width:120px;height:120px;border-radius:50%;image-rendering:pixelated}
#channel-name{font-size:32px;font-weight:bold;margin:0}
#channel-tagline{white-space:pre-wrap;color:#606060}
ytd-video-renderer{display:flex;gap:16px;padding:12px 0}
ytd-video-renderer #thumbnail{flex:0 0 360px}
ytd-video-renderer img.somed-img{height:202px;border-radius:12px}
#video-title{font-size:18px;font-weight:500;color:#0f0f0f;text-decoration:none;display:block}
#metadata-line{color:#606060;font-size:12px;margin:4px 0}
#description-text{color:#606060;font-size:12px;white-space:pre-wrap}
.yt-consent{max-width:600px;margin:60px auto;font-size:14px}
.yt-consent button{border-radius:18px;padding:9px 16px;border:0;background:#f2f2f2;
 font-weight:500;cursor:pointer;margin:4px}
.yt-consent form{display:inline}
#error-page{max-width:500px;margin:100px auto;text-align:center}
"""

PAGE = """
<ytd-app{{ scroll_attrs }}><ytd-masthead id="masthead"><a href="/">▶ YouTube</a></ytd-masthead>
<ytd-browse role="main" page-subtype="channels">
<div id="channel-banner"><img class="somed-img" src="{{ image(profile.picture_seed ~ '-banner') }}"
 alt=""></div>
<ytd-c4-tabbed-header-renderer id="channel-header"><img id="avatar"
 src="{{ image(profile.picture_seed) }}" alt="{{ profile.name }}"><div>
<h1 id="channel-name">{{ profile.name }}</h1><div id="channel-handle">@{{ profile.handle }}
{% if profile.followers %} · {{ profile.followers }} prenumeranter{% endif %}</div>
<div id="channel-tagline">{{ description }}</div>
{% if profile.link %}<a id="channel-link" href="{{ profile.link }}">{{ profile.link }}</a>
{% endif %}</div></ytd-c4-tabbed-header-renderer>
<ytd-section-list-renderer id="contents">{{ timeline }}</ytd-section-list-renderer>
</ytd-browse></ytd-app>
"""

POST = """
<ytd-video-renderer class="style-scope ytd-item-section-renderer"{{ marker }}>
<a id="thumbnail" href="{{ post.permalink }}"><img class="somed-img"
 src="{{ image(post.id ~ '-0') }}" alt=""></a><div id="meta">
<a id="video-title" href="{{ post.permalink }}" title="{{ post.title }}">{{ post.title }}</a>
<div id="description-text">{{ post.text }}</div>
<div id="metadata-line">{{ profile.name }} · {{ post.created | swedish_date }}</div></div>
</ytd-video-renderer>
"""

# consent.youtube.com: "Before you continue to YouTube", two forms posting the choice.
CONSENT = """
<div class="yt-consent"><h1>Before you continue to YouTube</h1>
<p>We use cookies and data to deliver and maintain Google services. If you choose to
 "Reject all", we will not use cookies for these additional purposes.</p>
<form action="/save" method="post"><input type="hidden" name="continue" value="{{ target }}">
<input type="hidden" name="choice" value="reject"><button type="submit" aria-label="Reject all"
 data-somed-consent="reject">Reject all</button></form>
<form action="/save" method="post"><input type="hidden" name="continue" value="{{ target }}">
<input type="hidden" name="choice" value="accept"><button type="submit" aria-label="Accept all"
 data-somed-consent="accept">Accept all</button></form></div>
"""

LOGIN_PAGE = """
<div class="yt-consent"><h1>Sign in</h1><p>to continue to YouTube</p>
<form method="post" action="/ServiceLogin"><input type="email" id="identifierId"
 name="identifier" aria-label="Email or phone"><button type="submit">Next</button></form></div>
"""

CHECKPOINT_PAGE = """
<div class="yt-consent"><h1>Our systems have detected unusual traffic from your computer
 network</h1><p>This page checks to see if it's really you sending the requests, and not a
 robot.</p><form id="captcha-form" method="post"><button type="submit">Submit</button></form>
</div>
"""

ERROR_PAGE = """
<div id="error-page"><div id="error-page-content"><h1>This page isn't available. Sorry about
 that.</h1><p>Try searching for something else.</p></div></div>
"""

SKIN = PageSkin(
    site="YouTube", css=CSS, page=PAGE, post=POST, consent=CONSENT, consent_cookie="SOCS",
    login_page=LOGIN_PAGE, checkpoint_page=CHECKPOINT_PAGE, error_page=ERROR_PAGE,
    login_overlay="", login_path="/ServiceLogin", next_param="continue",
    checkpoint_path="/sorry/index", consent_path="/m", session_cookie="SID", error_status=404,
)  # fmt: skip

_CHANNEL = re.compile(r"/(?:@(?P<handle>[\w.-]+)|channel/(?P<id>[\w-]+))(?:/videos|/featured)?/?")


def profile_of(channel: Channel) -> PublicProfile:
    """The channel as its page shows it."""
    handle = channel.handle.lstrip("@")
    return PublicProfile(handle=handle, name=channel.title, description=channel.description,
                         picture_seed=f"yt-{channel.id}", path=f"/@{handle}")  # fmt: skip


def post_of(video: Video) -> PublicPost:
    """A video as the channel's list shows it."""
    return PublicPost(id=video.id, title=video.title, text=video.description or "",
                      created=video.published, images=1,
                      permalink=f"/watch?v={video.id}")  # fmt: skip


def public_videos(channel: Channel) -> list[Video]:
    """The videos a visitor sees, newest first (private and unfinished ones left out)."""
    return [v for v in channel.videos if v.privacy == "public" and v.upload_status == "processed"]


def answer(site: PublicSite, channels: list[Channel], request: Request) -> Response | None:
    """Answer a browser's request for a public page, or None (an API or file request)."""
    if (image := site.static(request)) is not None:
        return image
    path = request.path
    if request.method == "POST" and path == "/save":
        return site.consent_save(request)
    if request.method != "GET" or "key" in request.args:
        return None
    if path == "/m":
        return site.consent_page(request)
    if path == "/ServiceLogin":
        return site.login_page(request)
    if path == "/sorry/index":
        return site.checkpoint_page(request)
    if path == "/watch" and channels:
        wanted = request.args.get("v", "")
        for channel in channels:
            found = next((v for v in public_videos(channel) if v.id == wanted), None)
            if found is not None:
                return site.permalink_page(request, profile_of(channel), post_of(found))
        return site.permalink_page(request, profile_of(channels[0]), None)
    if match := _CHANNEL.fullmatch(path):
        handle = (match["handle"] or "").lower()
        channel = next((c for c in channels
                        if match["id"] == c.id or handle == c.handle.lstrip("@").lower()),
                       None)  # fmt: skip
        if channel is None:
            return site.error_page(request, status=404)
        posts = [post_of(video) for video in public_videos(channel)]
        return site.profile_page(request, profile_of(channel), posts)
    return None
