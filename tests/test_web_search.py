"""The search page: the same search as `somed search`, its filters, highlighting, pages and CSV."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

from somed.web.highlight import MARKS, highlight, plain
from storage.db import connect_readonly
from storage.search import search
from tests import test_web_thread, web_support
from tests.test_web_thread import FORMULA, browser_for
from tests.web_support import WEB_GROUP, client, signed_in

pytestmark = WEB_GROUP
web_site = web_support.web_site  # the shared fixtures
changed_site = test_web_thread.changed_site
START, END = MARKS


def hit_links(html: str) -> list[str]:
    """The item references of the hits on a search page, in order."""
    return re.findall(r'<li class="hit">\s*<p class="hit-head"><a href="/items/([^"#]+)#', html)


def main_text(html: str) -> str:
    """The text of the page's `<main>`, tags removed."""
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1].split("</main>", 1)[0])


def test_highlight_escapes_first_then_marks() -> None:
    marked = highlight(f"<b>Hej</b> {START}bad&hus{END} <script>{START}x")
    assert str(marked) == ("&lt;b&gt;Hej&lt;/b&gt; <mark>bad&amp;hus</mark> "
                           "&lt;script&gt;<mark>x</mark>")  # fmt: skip
    assert str(highlight(f"{END}a{START}{START}b{END}{END}")) == "a<mark>b</mark>"
    assert plain(f"a{START}b{END}") == "ab"


def test_a_swedish_phrase_is_found_and_highlighted(web_site) -> None:
    page = signed_in(web_site, "reader").get("/search", params={"q": "badhuset öppnar"})
    assert page.status_code == 200
    assert "<mark>öppnar</mark>" in page.text and "<mark>Badhuset</mark>" in page.text
    assert "facebook/100200300000060_2" in hit_links(page.text)
    assert "Sök" in page.text and "web." not in main_text(page.text)
    assert 'aria-current="page"' in page.text  # the menu item of the page


def test_the_search_menu_item_and_sign_in(web_site) -> None:
    assert 'href="/search"' in signed_in(web_site, "reader").get("/").text
    response = client(web_site).get("/search?q=badhuset")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_query_without_words_and_bad_filters_give_a_message(web_site) -> None:
    browser = signed_in(web_site, "reader")
    for params, words in (
        ({"q": '"'}, "innehåller inget ord"),
        ({"q": "*"}, "innehåller inget ord"),
        ({"q": "NEAR( OR"}, None),
        ({"q": "badhuset", "from": "2026-13-45"}, "inget datum"),
        ({"q": "badhuset", "from": "2026-03-02", "to": "2026-03-01"}, "ligger efter"),
        ({"q": "badhuset", "kind": "nonsense"}, "Okänd typ"),
        ({"q": "badhuset", "account": "nobody"}, "Okänt konto"),
        ({"q": "badhuset", "platform": "myspace"}, "Okänd plattform"),
        ({"q": "badhuset", "direction": "sideways"}, "upprättad eller inkommen"),
        ({"q": "badhuset", "page": "-1"}, None),
    ):
        page = browser.get("/search", params=params)
        assert page.status_code == 200, params
        if words:
            assert 'role="alert"' in page.text and words in page.text, params
    csv_page = browser.get("/search.csv", params={"q": '"'})
    assert csv_page.status_code == 400 and "innehåller inget ord" in csv_page.text


def test_filters_narrow_the_hits(web_site) -> None:
    browser = signed_in(web_site, "reader")

    def refs(**params: str) -> list[str]:
        page = browser.get("/search", params={"q": "badhuset", **params})
        assert page.status_code == 200 and 'role="alert"' not in page.text, params
        return hit_links(page.text)

    everything = refs()
    assert len(everything) > 3
    assert refs(platform="x") == [r for r in everything if r.startswith("x/")]
    own = refs(direction="own")
    assert own and set(own) < set(everything)
    assert "facebook/100200300000060_2" in own and "facebook/100200300000060_1" not in own
    posts = browser.get("/search", params={"q": "badhuset", "kind": "post"}).text
    heads = re.findall(r'<p class="hit-head"><a [^>]+>([^<]+)</a>', posts)
    assert heads and all(h.startswith("Inlägg –") for h in heads)
    assert "facebook/100200300_100200300000060" in hit_links(posts)
    assert "facebook/100200300000060_1" in refs(kind="comment")
    assert refs(account="fritidsgarden-fb") == []
    assert refs(**{"from": "2000-01-01", "to": "2000-01-02"}) == []
    assert refs(**{"from": "2000-01-01", "to": "2999-12-31"}) == everything


def test_readers_and_editors_never_get_private_messages(web_site) -> None:
    words = "bygglov altan"  # a conversation of the Facebook demo
    registrar = signed_in(web_site, "registrar").get("/search", params={"q": words})
    assert any(r.startswith("facebook/m_") for r in hit_links(registrar.text))
    for name in ("reader", "editor"):
        browser = signed_in(web_site, name)
        for params in ({"q": words}, {"q": words, "kind": "message"}):
            page = browser.get("/search", params=params)
            assert not any("/m_" in r for r in hit_links(page.text)), (name, params)
            assert "Meddelande" not in main_text(page.text).split("Träffar", 1)[-1]
        export = browser.get("/search.csv", params={"q": words})
        assert "m_" not in export.text
        assert 'value="message"' not in browser.get("/search").text


def test_pages_follow_the_same_order_as_the_search(web_site) -> None:
    size = web_site.config.web.page_size
    db = connect_readonly(web_site.config.db_path)
    try:
        kinds = ["profile", "post", "comment", "reply", "video"]
        expected = [f"{h['platform']}/{h['item_id']}"
                    for h in search(db, "för", kinds=kinds, limit=3 * size)]  # fmt: skip
    finally:
        db.close()
    assert len(expected) > size, "the demo needs more hits of 'för' for this test"
    browser = signed_in(web_site, "reader")
    first = browser.get("/search", params={"q": "för"})
    assert hit_links(first.text) == expected[:size]
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = browser.get("/search", params={"q": "för", "page": "2"})
    assert hit_links(second.text) == expected[size : 2 * size]
    assert 'rel="prev"' in second.text
    assert f'<ol class="hits" start="{size + 1}">' in second.text


def test_the_hits_download_as_csv(web_site) -> None:
    browser = signed_in(web_site, "reader")
    page = browser.get("/search", params={"q": "badhuset", "direction": "incoming"})
    assert 'href="/search.csv?q=badhuset&amp;direction=incoming"' in page.text
    export = browser.get("/search.csv", params={"q": "badhuset", "direction": "incoming"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Objekt", "Plattform", "Konto"]
    assert [r[0].replace(":", "/", 1) for r in rows[1:]] == hit_links(page.text)
    assert all(r[4] == "incoming" for r in rows[1:])
    with sqlite3.connect(web_site.config.db_path) as db:
        actor, details = db.execute("SELECT actor, details FROM audit_log WHERE action ="
                                    " 'download.search' ORDER BY id DESC").fetchone()  # fmt: skip
    assert actor == "web:reader" and "badhuset" in details


def test_deleted_flagged_and_registered_only(changed_site) -> None:
    browser = browser_for(changed_site, "reader")

    def refs(q: str, **params: str) -> list[str]:
        return hit_links(browser.get("/search", params={"q": q, **params}).text)

    with sqlite3.connect(changed_site.config.db_path) as db:
        word = db.execute("SELECT text FROM items WHERE id = ?",
                          [changed_site.deleted]).fetchone()[0].split()[0]  # fmt: skip
    assert f"facebook/{changed_site.deleted}" in refs(word, deleted="1")
    assert all(r == f"facebook/{changed_site.deleted}" for r in refs(word, deleted="1"))
    assert refs("badhuset", flagged="1") == [f"facebook/{changed_site.edited}"]
    assert refs("badhuset", registered="1") == [f"facebook/{changed_site.edited}"]
    assert refs("badhuset", deleted="1") == []


def test_a_formula_in_a_comment_is_defused_in_the_csv(changed_site) -> None:
    export = browser_for(changed_site, "reader").get("/search.csv", params={"q": "HYPERLINK"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    snippet = rows[1][-1]
    assert "HYPERLINK" in snippet and not snippet.startswith("=")
    assert FORMULA.startswith("=")
