"""What every emulator's public page carries besides its platform's look: the script that
closes the cookie dialog and loads the timeline while the visitor scrolls, the shared styles,
and the HTML shell around the body (see `connectors.emulation.public_page`).

The script: a click on a `[data-somed-consent]` button sets the skin's consent cookie and
removes the `[data-somed-consent-root]` dialog; the `[data-somed-more]` element at the end of
the timeline names the next fragment, fetched (JSON `{"html", "next"}`) whenever it comes within
600 px of the bottom of the viewport, or of the `[data-somed-scroll-root]` pane.
"""

from __future__ import annotations

SCRIPT = """
(function () {
  var doc = document;
  doc.querySelectorAll('[data-somed-consent]').forEach(function (button) {
    button.addEventListener('click', function () {
      var cookie = doc.body.getAttribute('data-somed-consent-cookie');
      doc.cookie = cookie + '=' + button.getAttribute('data-somed-consent') +
        '; path=/; max-age=31536000; SameSite=Lax';
      doc.querySelectorAll('[data-somed-consent-root]').forEach(function (n) { n.remove(); });
      doc.documentElement.classList.remove('somed-modal');
    });
  });
  var more = doc.querySelector('[data-somed-more]');
  if (!more) return;
  var root = doc.querySelector('[data-somed-scroll-root]');
  var busy = false;
  function near() {
    var r = more.getBoundingClientRect();
    var bottom = root ? root.getBoundingClientRect().bottom : window.innerHeight;
    return r.top < bottom + 600;
  }
  function load() {
    var next = more.getAttribute('data-somed-more');
    if (busy || !next) return;
    busy = true;
    fetch(next, {headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        more.insertAdjacentHTML('beforebegin', d.html);
        busy = false;
        if (d.next) { more.setAttribute('data-somed-more', d.next); if (near()) load(); }
        else { more.remove(); }
      })
      .catch(function () { busy = false; setTimeout(function () { if (near()) load(); }, 500); });
  }
  (root || window).addEventListener('scroll', function () { if (near()) load(); },
                                    {passive: true});
  window.addEventListener('resize', function () { if (near()) load(); });
  if (near()) load();
})();
"""

BASE_CSS = """
*{box-sizing:border-box}
html.somed-modal,html.somed-modal body{overflow:hidden}
img.somed-img{display:block;width:100%;height:180px;object-fit:cover;image-rendering:pixelated}
html:has([data-somed-scroll-root]),html:has([data-somed-scroll-root]) body{overflow:hidden;
 height:100%;margin:0}
[data-somed-scroll-root]{height:100vh;overflow-y:auto}
[data-somed-more]{height:40px}
"""

SHELL = """<!doctype html>
<html lang="{{ lang }}"{% if modal %} class="somed-modal"{% endif %}><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>{{ css }}</style></head>
<body class="{{ body_class }}" data-somed-consent-cookie="{{ consent_cookie }}">
{{ body }}
<script>{{ script }}</script>
</body></html>
"""
