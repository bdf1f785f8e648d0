"""Loopback web pages the capture tests photograph: tall and lazy, walled, in a pane, hung.

Every band of a tall page has its own colour, so a test can tell by pixel that the bottom of
the picture is really the page's bottom and not a repeat of an earlier part.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.emulation.media import png_image

BAND_PX = 1000
CONSENT_RGB = (255, 0, 255)  # the cookie dialog's colour: must not be in any capture
END_RGB = (0, 200, 100)  # the last band's colour (the bottom marker)
POST_TEXT = "Välkommen till Mora kommuns sida om snöröjning och vinterväghållning"


def band_rgb(index: int) -> tuple[int, int, int]:
    """The colour of band `index`: distinct for every band (and never the end or dialog's)."""
    return (40 + (index * 7) % 200, (index * 53) % 180, 250 - (index * 5) % 120)


def _band(index: int, last: bool, images: bool = False) -> str:
    r, g, b = END_RGB if last else band_rgb(index)
    end = ' data-somed-end="1"' if last else ""
    image = (
        f'<img src="/img/{index}.png" width="600" height="400" loading="lazy" alt="">'
        if images
        else ""
    )
    return (
        f'<div class="band" id="band-{index}"{end} style="height:{BAND_PX}px;'
        f'background:rgb({r},{g},{b});margin:0">band {index}{image}</div>'
    )


_CONSENT = """
<div id="consent" style="position:fixed;inset:0;background:rgb(255,0,255);z-index:10">
  <button id="decline" onclick="document.cookie='ok=1';this.parentNode.remove()">
    Avvisa valfria cookies</button>
</div>
<script>if (document.cookie.includes('ok=1')) document.getElementById('consent').remove();</script>
"""

# The same dialog, opened by a script a while after the page has loaded; until it is closed
# the page loads nothing more (a consent gate): scrolled past it, the page would stop short.
_LATE_CONSENT = """
<script>
  window.addEventListener('load', () => setTimeout(() => {
    if (document.cookie.includes('ok=1')) return;
    document.body.insertAdjacentHTML('beforeend', `DIALOG`);
  }, 500));
</script>
""".replace("DIALOG", _CONSENT.split("<script>")[0].strip())

_LAZY = """
<div id="sentinel" style="height:1px"></div>
<script>
  let next = %(first)d, busy = false;
  const feed = document.getElementById('feed');
  async function more() {
    if (busy || next >= %(total)d || %(gated)s) return;
    busy = true;
    if (%(delay)d) await new Promise((done) => setTimeout(done, %(delay)d));  // it hesitates
    const html = await (await fetch('/more?from=' + next + '&total=%(total)d%(images)s')).text();
    feed.insertAdjacentHTML('beforeend', html);
    next += %(step)d; busy = false;
    if (sentinel.getBoundingClientRect().top < innerHeight * 2) more();
  }
  const sentinel = document.getElementById('sentinel');
  new IntersectionObserver((e) => { if (e[0].isIntersecting) more(); },
    {rootMargin: '1500px'}).observe(sentinel);
</script>
"""

STEP = 3


def _page(body: str, style: str = "") -> Response:
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Mora kommun</title>"
        f"<style>html,body{{margin:0;padding:0}}{style}</style></head><body>{body}</body></html>"
    )
    return Response(html, content_type="text/html; charset=utf-8")


def _tall(  # noqa: PLR0913 (the test page's knobs)
    total: int, consent: str, images: bool, delay_ms: int, slow_ms: int, polling: bool
) -> Response:
    """A lazily loading page; `consent` "1" (dialog in the page), "0" (none) or "late"."""
    first = 5
    bands = "".join(_band(i, i == total - 1, images) for i in range(first))
    query = ("&images=1" if images else "") + (f"&slow_ms={slow_ms}" if slow_ms else "")
    gated = "document.getElementById('consent')" if consent == "late" else "false"
    lazy = _LAZY % {"first": first, "total": total, "step": STEP, "images": query,
                    "delay": delay_ms, "gated": gated}  # fmt: skip
    body = (
        f'<p class="post">{POST_TEXT}</p><div id="feed">{bands}</div>'
        + lazy
        + {"1": _CONSENT, "late": _LATE_CONSENT}.get(consent, "")
        + ("<script>fetch('/slow.png')</script>" if polling else "")  # a request never done
    )
    return _page(body)


def _pane(total: int) -> Response:
    bands = "".join(_band(i, i == total - 1) for i in range(total))
    body = (
        f'<header style="height:80px;background:#333;color:#fff">{POST_TEXT}</header>'
        f'<main id="pane" style="height:600px;overflow-y:auto">{bands}</main>'
    )
    return _page(body, "html,body{height:100%;overflow:hidden}")


def _login() -> Response:
    body = (
        '<div id="login-wall" style="position:fixed;inset:0;background:#fff">'
        "<h1>Logga in för att se mer</h1><form><input name=u><input type=password></form></div>"
    )
    return _page(body)


def _slow_image(request: Request) -> Response:
    def forever() -> Iterator[bytes]:
        for _ in range(600):  # bounded: ten minutes at most
            time.sleep(0.1)
            yield b""

    return Response(forever(), content_type="image/png", direct_passthrough=True)


@Request.application
def app(request: Request) -> Response:
    """The test pages' WSGI application."""
    total = int(request.args.get("bands", "31"))
    images = request.args.get("images") == "1"
    path = request.path
    if path == "/tall":
        return _tall(total, consent=request.args.get("consent", "1"), images=images,
                     delay_ms=int(request.args.get("delay_ms", "0")),
                     slow_ms=int(request.args.get("slow_ms", "0")),
                     polling=request.args.get("polling") == "1")  # fmt: skip
    if path == "/more":
        time.sleep(int(request.args.get("slow_ms", "0")) / 1000)  # a slow server
        start = int(request.args["from"])
        last = int(request.args.get("total", total))
        shown = range(start, min(last, start + STEP))
        html = "".join(_band(i, i == last - 1, images) for i in shown)
        return Response(html, content_type="text/html; charset=utf-8")
    if path.startswith("/img/"):
        seed = path.removeprefix("/img/").removesuffix(".png")
        return Response(png_image(seed, 300, 200), content_type="image/png")
    if path == "/pane":
        return _pane(total)
    if path == "/login":
        return _login()
    if path == "/hang":
        return _page('<p>waiting</p><img src="/slow.png">')
    if path == "/slow.png":
        return _slow_image(request)
    return Response("not found", status=404)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@dataclass
class PageServer:
    """The running server and its base URL."""

    url: str


@contextmanager
def serve_pages() -> Iterator[PageServer]:
    """Serve the test pages on a free loopback port while the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PageServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
