"""The public web pages a browser sees on an emulator: a profile, its timeline, permalinks.

Each platform emulator serves its accounts' public pages at the real site's paths (so a capture
that rewrites `www.facebook.com` onto the emulator's endpoint finds the page at the same path)
through one `PublicSite`, with its own look in a `PageSkin`: the class names, the cookie
dialog, the login wall and the error page its `CaptureHints` name. What is shared lives here:

- the page: profile header and the newest posts in the HTML, more fetched as JSON fragments
  (`?somed_cursor=N`) when the visitor scrolls near the bottom, until every post is shown;
  the last post carries `data-somed-end` so a test can tell the bottom from a repeat;
- the knobs (`PublicKnobs`, settable by tests): `public_mode` (`ok`, `login_wall`,
  `checkpoint`, `error`), `consent` (a cookie dialog until dismissed, remembered by a cookie),
  `scroll_container` (the timeline scrolls inside a fixed-height element), `public_posts`
  (how many posts the page shows; past the account's own, older filler posts with images),
  `login_required` (anonymous visitors are sent to the login page; a session cookie in
  `PublicSite.sessions` lets them in, as a stored browser state would);
- images that really load: the toolkit's PNGs under `/static/somed/`.

Templates are Jinja2 strings (autoescaped); a skin's templates see `profile`, `post`, `n`,
`image` (a function: seed -> URL) and `site` (the skin).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup, escape
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from connectors.emulation.media import png_image
from connectors.emulation.public_assets import BASE_CSS, SCRIPT, SHELL

PublicMode = Literal["ok", "login_wall", "checkpoint", "error"]
PUBLIC_MODES: tuple[str, ...] = ("ok", "login_wall", "checkpoint", "error")
STATIC = "/static/somed/"
CURSOR = "somed_cursor"
HTML_TYPE = "text/html; charset=utf-8"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
FILLER_TEXTS: tuple[str, ...] = (
    "Välkommen på öppet hus i kommunhuset på lördag kl. 10–14.",
    "Nu är spolningen av isbanorna i gång. Håll utkik efter skyltarna vid planerna.",
    "Påminnelse: sista dag att lämna synpunkter på detaljplanen är på fredag.",
    "Biblioteket har sagostund för de yngsta varje onsdag kl. 10.",
    "Vi har uppdaterat informationen om skolskjuts inför terminsstarten.",
    "Tack till alla som deltog i skräpplockardagen! Över 300 säckar samlades in.",
)


@dataclass
class PublicProfile:
    """The account as its public page shows it."""

    handle: str  # the path segment of the page (username, handle, channel id)
    name: str
    description: str = ""  # plain text; URLs in it become links
    link: str | None = None  # the profile's website
    picture_seed: str = "picture"
    followers: int | None = None
    path: str = ""  # the page's path, e.g. "/morakommun.demo" (default: "/" + handle)

    def __post_init__(self) -> None:
        self.path = self.path or "/" + self.handle


@dataclass
class PublicPost:
    """One post as the timeline and its permalink show it."""

    id: str
    text: str
    created: datetime
    images: int = 0
    permalink: str = ""  # path of the post's own page
    title: str | None = None  # a video's title


@dataclass
class PublicKnobs:
    """What tests turn on an emulator's public pages (see the module docstring)."""

    public_mode: str = "ok"
    consent: bool = True
    scroll_container: bool = False
    public_posts: int | None = None  # None: the account's own posts, all of them
    login_required: bool = False
    first_batch: int = 4  # posts in the page's HTML
    batch: int = 8  # posts per fragment fetched on scroll

    def __post_init__(self) -> None:
        if self.public_mode not in PUBLIC_MODES:
            raise ValueError(f"public_mode must be one of {PUBLIC_MODES}, not {self.public_mode!r}")


@dataclass(frozen=True)
class PageSkin:
    """A platform's look: templates and the names its capture hints rely on."""

    site: str  # the site's name in titles, e.g. "Facebook"
    css: str  # the platform's own style sheet (its class names)
    page: str  # the page around the timeline; `{{ timeline }}` marks where it goes
    post: str  # one post
    consent: str  # the cookie dialog (an overlay); buttons carry `data-somed-consent`
    consent_cookie: str  # the cookie that remembers the choice
    login_page: str  # the login page's body
    checkpoint_page: str  # the security check's body
    error_page: str  # "this content isn't available"
    login_overlay: str = ""  # a login wall over the page (DOM); "" = redirect to the login page
    login_path: str = "/login/"  # where a login wall sends the visitor (`next` names the page)
    next_param: str = "next"
    checkpoint_path: str = "/checkpoint/"
    consent_path: str | None = None  # a consent page redirected to (YouTube); None: a dialog
    consent_modal: bool = True  # the dialog stops the page from scrolling until it is closed
    session_cookie: str = "sessionid"  # what a stored browser state presents
    members_only: bool = False  # anonymous visitors see only the login page (X)
    error_status: int = 200
    lang: str = "sv"
    body_class: str = ""


@lru_cache(maxsize=256)
def _template(source: str) -> Any:
    return _ENV.from_string(source)


MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")  # fmt: skip


def swedish_date(moment: datetime) -> str:
    """`moment` as Swedish pages write it, e.g. "3 mars 2026 kl. 14.05" (Swedish time)."""
    local = moment.astimezone(STOCKHOLM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M}"


_ENV = Environment(autoescape=True)
_ENV.filters["swedish_date"] = swedish_date
_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Return `text` escaped, with its URLs as links (as profile descriptions show them)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def image_url(seed: str) -> str:
    """The path of a generated PNG (a few colour blocks) for `seed`."""
    return f"{STATIC}{quote(seed, safe='')}.png"


def filler_posts(handle: str, after: list[PublicPost], count: int) -> list[PublicPost]:
    """`count` older posts with one image each, after the account's own (for tall pages)."""
    oldest = min((p.created for p in after), default=None)
    base = oldest or datetime(2026, 1, 1).astimezone()
    return [
        PublicPost(
            id=f"{handle}-filler-{i + 1}",
            text=f"{FILLER_TEXTS[i % len(FILLER_TEXTS)]} (inlägg {len(after) + i + 1})",
            created=base - timedelta(days=i + 1),
            images=1,
        )
        for i in range(count)
    ]


class PublicSite:
    """A platform emulator's public pages: knobs, sessions, rendering and answers."""

    def __init__(self, skin: PageSkin, knobs: PublicKnobs | None = None) -> None:
        self.skin = skin
        self.knobs = knobs or PublicKnobs(login_required=skin.members_only)
        self.sessions: set[str] = set()  # session cookie values that count as logged in

    # --- knobs -----------------------------------------------------------------------------

    def configure(self, **knobs: Any) -> None:
        """Change knobs by name (`public_mode`, `consent`, `scroll_container`, ...)."""
        for name, value in knobs.items():
            if not hasattr(self.knobs, name):
                raise TypeError(f"no public page knob {name!r}")
            setattr(self.knobs, name, value)
        self.knobs.__post_init__()

    def add_session(self, value: str) -> dict[str, str]:
        """Accept `value` as a logged-in session and return the cookie a browser must send."""
        self.sessions.add(value)
        return {"name": self.skin.session_cookie, "value": value}

    # --- answers ---------------------------------------------------------------------------

    def profile_page(
        self, request: Request, profile: PublicProfile, posts: list[PublicPost]
    ) -> Response:
        """The account's public page (or its next fragment, with `?somed_cursor=N`)."""
        shown = self._shown(profile, posts)
        if CURSOR in request.args:
            return self._fragment(request, profile, shown)
        gate = self._gate(request)
        if gate is not None:
            return gate
        first = shown[: self.knobs.first_batch]
        timeline = self._posts(profile, first, 0, len(shown))
        if len(shown) > len(first):
            timeline += self._more(profile, len(first))
        return self._page(request, profile, timeline, profile.name)

    def permalink_page(
        self, request: Request, profile: PublicProfile, post: PublicPost | None
    ) -> Response:
        """A post's own page (the platform's error page when it is gone)."""
        gate = self._gate(request)
        if gate is not None:
            return gate
        if post is None:
            return self.error_page(request, status=404)
        timeline = self._posts(profile, [post], 0, 1)
        return self._page(request, profile, timeline, post.title or post.text)

    def error_page(self, request: Request, status: int | None = None) -> Response:
        """The platform's "this content isn't available" page."""
        body = _template(self.skin.error_page).render(site=self.skin)
        return self._html(self._shell(body, self.skin.site, modal=False),
                          status or self.skin.error_status)  # fmt: skip

    def login_page(self, request: Request) -> Response:
        """The platform's login page."""
        body = _template(self.skin.login_page).render(site=self.skin)
        return self._html(self._shell(body, f"{self.skin.site}: log in", modal=False))

    def checkpoint_page(self, request: Request) -> Response:
        """The platform's security check ("confirm it's you")."""
        body = _template(self.skin.checkpoint_page).render(site=self.skin)
        return self._html(self._shell(body, self.skin.site, modal=False))

    def consent_page(self, request: Request) -> Response:
        """A consent page the site redirects to (`consent_path`): its buttons post `save`."""
        body = _template(self.skin.consent).render(
            site=self.skin, target=request.args.get("continue", "/")
        )
        return self._html(self._shell(body, f"{self.skin.site}: cookies", modal=False))

    def consent_save(self, request: Request) -> Response:
        """Remember the visitor's consent choice and send them back where they were going."""
        target = request.values.get("continue", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response = redirect(target, 303)
        response.set_cookie(
            self.skin.consent_cookie, request.values.get("choice", "reject"),
            max_age=31_536_000, path="/", samesite="Lax",
        )  # fmt: skip
        return response

    def static(self, request: Request) -> Response | None:
        """A generated PNG under `/static/somed/` (64x36, colour blocks from its name), or
        None for any other request."""
        path = request.path
        if request.method != "GET" or not path.startswith(STATIC) or not path.endswith(".png"):
            return None
        return Response(png_image(path[len(STATIC) : -4], 64, 36), content_type="image/png",
                        headers={"Cache-Control": "max-age=1209600"})  # fmt: skip

    # --- parts -----------------------------------------------------------------------------

    def logged_in(self, request: Request) -> bool:
        """Whether the request presents a session cookie this site accepts."""
        return request.cookies.get(self.skin.session_cookie) in self.sessions

    def _gate(self, request: Request) -> Response | None:
        """The redirect a visitor gets instead of the page (login, checkpoint, consent)."""
        mode, skin = self.knobs.public_mode, self.skin
        here = request.full_path.rstrip("?")
        if mode == "checkpoint":
            return redirect(f"{skin.checkpoint_path}?{urlencode({'next': here})}", 302)
        if mode == "error":
            return self.error_page(request)
        walled = mode == "login_wall" and not skin.login_overlay
        if walled or (self.knobs.login_required and not self.logged_in(request)):
            return redirect(f"{skin.login_path}?{urlencode({skin.next_param: here})}", 302)
        if skin.consent_path and self._consent_due(request):
            return redirect(f"{skin.consent_path}?{urlencode({'continue': here})}", 302)
        return None

    def _consent_due(self, request: Request) -> bool:
        return self.knobs.consent and self.skin.consent_cookie not in request.cookies

    def _shown(self, profile: PublicProfile, posts: list[PublicPost]) -> list[PublicPost]:
        wanted = self.knobs.public_posts
        if wanted is None:
            return posts
        if wanted <= len(posts):
            return posts[:wanted]
        return posts + filler_posts(profile.handle, posts, wanted - len(posts))

    def _posts(
        self, profile: PublicProfile, posts: list[PublicPost], start: int, total: int
    ) -> Markup:
        template = _template(self.skin.post)
        parts = []
        for offset, post in enumerate(posts):
            n = start + offset + 1
            marker = Markup(' data-somed-post="{0}" data-somed-permalink="{1}"').format(
                n, post.permalink
            )
            if n == total:
                marker += Markup(f' data-somed-end="{n}"')
            parts.append(template.render(post=post, n=n, marker=marker, image=image_url,
                                         site=self.skin, profile=profile))  # fmt: skip
        return Markup("").join(Markup(p) for p in parts)

    def _more(self, profile: PublicProfile, offset: int) -> Markup:
        url = f"{profile.path}?{urlencode({CURSOR: offset})}"
        return Markup('<div data-somed-more="{0}" aria-busy="true"></div>').format(url)

    def _fragment(
        self, request: Request, profile: PublicProfile, shown: list[PublicPost]
    ) -> Response:
        if self.knobs.public_mode != "ok" or (
            self.knobs.login_required and not self.logged_in(request)
        ):
            return Response(json.dumps({"error": "login required"}), 401,
                            content_type="application/json")  # fmt: skip
        try:
            offset = max(0, int(request.args[CURSOR]))
        except ValueError:
            offset = 0
        chunk = shown[offset : offset + self.knobs.batch]
        end = offset + len(chunk)
        body = {
            "html": str(self._posts(profile, chunk, offset, len(shown))),
            "next": f"{profile.path}?{urlencode({CURSOR: end})}" if end < len(shown) else None,
        }
        return Response(json.dumps(body, ensure_ascii=False),
                        content_type="application/json; charset=utf-8")  # fmt: skip

    def _page(self, request: Request, profile: PublicProfile, timeline: Markup,
              title: str) -> Response:  # fmt: skip
        skin, knobs = self.skin, self.knobs
        scroll = Markup(" data-somed-scroll-root") if knobs.scroll_container else Markup("")
        body = Markup(_template(skin.page).render(
            profile=profile, timeline=timeline, image=image_url, site=skin, scroll_attrs=scroll,
            description=linkify(profile.description),
        ))  # fmt: skip
        modal = False
        if knobs.consent and not skin.consent_path and self._consent_due(request):
            body += Markup(_template(skin.consent).render(site=skin, target=profile.path))
            modal = skin.consent_modal
        if knobs.public_mode == "login_wall" and skin.login_overlay:
            body += Markup(_template(skin.login_overlay).render(site=skin, profile=profile))
            modal = True
        return self._html(self._shell(body, f"{title[:60]} | {skin.site}", modal=modal))

    def _shell(self, body: Markup | str, title: str, *, modal: bool) -> str:
        skin = self.skin
        return _template(SHELL).render(
            lang=skin.lang, title=title, css=Markup(BASE_CSS + skin.css), body=Markup(body),
            script=Markup(SCRIPT), modal=modal, body_class=skin.body_class,
            consent_cookie=skin.consent_cookie,
        )  # fmt: skip

    @staticmethod
    def _html(text: str, status: int = 200) -> Response:
        return Response(text, status=status, content_type=HTML_TYPE)
