"""The rendition's PDF drawing, pure parts: what the font cannot draw, line breaking, nesting."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from somed.bundle.printable.pages import BODY, META, drawable, wrap
from somed.bundle.rendition.threads import MAX_DEPTH, build_thread


def test_what_the_font_lacks_is_named_and_invisible_characters_are_left_out():
    assert drawable("Hej <script>alert(1)</script> åäö ÅÄÖ é ü ß – “citat” €") == (
        "Hej <script>alert(1)</script> åäö ÅÄÖ é ü ß – “citat” €"
    )
    assert drawable("a\u200db\u200e\x00c") == "abc"  # joiner, direction mark, NUL
    assert drawable("漢") == "[CJK UNIFIED IDEOGRAPH-6F22]"
    assert drawable("tab\there") == "tab    here"
    assert drawable("rad\u2028ny") == "rad\nny"


def test_lines_fit_the_width_even_with_a_word_longer_than_a_line():
    url = "https://example.test/" + "a" * 400
    text = f"Läs mer på {url} eller ring oss.\n\nNytt stycke."
    lines = wrap(text, BODY, 300)
    assert all(stringWidth(line, BODY.font, BODY.size) <= 300 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert "" in lines  # the blank line between paragraphs is kept
    assert wrap("kort", META, 300) == ["kort"]


def test_answers_nest_below_the_post_and_deep_replies_stay_at_the_last_level():
    records = [{"id": "p", "kind": "post", "created_at": "2026-01-01T10:00:00Z"}]
    parent = "p"
    for n in range(1, 6):  # a chain of five answers, each to the one before
        records.append({"id": f"c{n}", "kind": "comment" if n == 1 else "reply",
                        "parent_id": parent, "thread_id": "p",
                        "created_at": f"2026-01-01T10:0{n}:00Z"})  # fmt: skip
        parent = f"c{n}"
    root, top = build_thread(records)
    assert root is not None and root.depth == 0 and top == []
    depths, node = [], root
    while node.children:
        node = node.children[0]
        depths.append(node.depth)
        if node.depth == MAX_DEPTH:
            depths += [child.depth for child in node.children]
            break
    assert depths == [1, 2, 3, 3, 3]
