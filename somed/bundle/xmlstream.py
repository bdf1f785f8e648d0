"""Write a small lxml element into an incremental `xmlfile` under its open parents' prefixes.

`xmlfile.write(element)` serialises an element on its own: it re-declares every namespace (or
invents `ns0:` prefixes) on each element. Written through `xmlfile.element` instead, the
element reuses the prefixes declared once on the document's root.
"""

from __future__ import annotations

from lxml import etree


def write_tree(xf: etree.xmlfile, element: etree._Element) -> None:
    """Stream `element` (attributes, text, children, tails) into `xf` inside the open parent."""
    with xf.element(element.tag, dict(element.attrib)):
        if element.text:
            xf.write(element.text)
        for child in element:
            write_tree(xf, child)
    if element.tail:
        xf.write(element.tail)
