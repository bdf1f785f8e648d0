"""Search snippets with their hits marked: the text escaped first, then `<mark>` put in by code.

The search asks SQLite for snippets with `MARKS` (two private-use characters) around each hit;
`highlight` escapes the whole snippet (platform text is anyone's) and only then turns balanced
marks into `<mark>`...`</mark>`; a mark character that a platform text itself holds is dropped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MARKS = ("\ue000", "\ue001")  # start and end of a hit in a snippet
_SPLIT = re.compile(f"({MARKS[0]}|{MARKS[1]})")


def highlight(snippet: str | None) -> Markup:
    """The snippet as safe HTML: escaped, each hit in `<mark>`."""
    out: list[str] = []
    open_mark = False
    for piece in _SPLIT.split(str(escape(snippet or ""))):
        if piece == MARKS[0]:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == MARKS[1]:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(piece)
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def plain(snippet: str | None) -> str:
    """The snippet without its marks (for CSV)."""
    return _SPLIT.sub("", snippet or "")
