"""A thread as the thread page shows it: a tree of records, and each record's versions as diffs.

Pure functions over record-contract dicts (`storage.queries.assemble_records`), no database:
`build_tree` nests a thread's items under their parents (children oldest first, a cap on the
depth, items whose parent is missing or part of a cycle shown at the top), `version_history`
lists an item's versions oldest first, each with its words compared to the one before
(`word_diff`: `("same"|"ins"|"del", text)` pieces the template wraps in `<ins>`/`<del>`,
autoescaped).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

DIFFS_KEPT = 1024  # word diffs remembered (pairs of version texts), per process
DIFF_KEPT_CHARS = 8000  # ...of texts this long together at most (about 16 MB in all)
MAX_DEPTH = 8  # deeper replies are shown at this depth (in created order), not nested further
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass
class Node:
    """One item in the tree: its record, its depth (0 = top) and its children, oldest first."""

    record: Mapping[str, Any]
    depth: int = 0
    children: list[Node] = field(default_factory=list)


def _order(record: Mapping[str, Any]) -> tuple[str, str]:
    """Oldest first; items without a creation time last, then by id."""
    return (record.get("created_at") or "\uffff", str(record.get("id")))


def build_tree(records: Sequence[Mapping[str, Any]]) -> list[Node]:
    """The thread's top items (oldest first), each with its replies nested under it.

    An item whose parent is not in `records` (the post itself, a conversation's messages, a
    reply to a comment not archived) is a top item; so is one caught in a parent cycle (no
    item is ever lost or shown twice). Replies below `MAX_DEPTH` hang at that depth.
    """
    by_id = {str(r["id"]): r for r in records}
    children: dict[str, list[Mapping[str, Any]]] = {}
    tops: list[Mapping[str, Any]] = []
    ordered = sorted(records, key=_order)
    for record in ordered:
        parent = record.get("parent_id")
        if parent is not None and str(parent) in by_id and str(parent) != str(record["id"]):
            children.setdefault(str(parent), []).append(record)
        else:
            tops.append(record)
    placed: set[str] = set()

    def grow(record: Mapping[str, Any], depth: int, into: list[Node]) -> None:
        # iterative, so a reply chain thousands deep cannot exhaust the stack
        stack = [(record, depth, into)]
        while stack:
            current, level, target = stack.pop()
            key = str(current["id"])
            if key in placed:
                continue
            placed.add(key)
            node = Node(current, level)
            target.append(node)
            if level + 1 >= MAX_DEPTH:
                flat = _descendants(key, children, placed)
                node.children.extend(Node(k, level + 1) for k in flat)
                placed.update(str(k["id"]) for k in flat)
                continue
            for kid in reversed(children.get(key, [])):
                stack.append((kid, level + 1, node.children))

    roots: list[Node] = []
    for top in tops:
        grow(top, 0, roots)
    # whatever no top reaches sits in a parent cycle: show each part of it at the top
    for record in ordered if len(placed) < len(by_id) else ():
        if str(record["id"]) not in placed:
            grow(record, 0, roots)
    _sort_children(roots)
    return roots


def _descendants(
    key: str, children: Mapping[str, list[Mapping[str, Any]]], placed: set[str]
) -> list[Mapping[str, Any]]:
    """Every item below `key` not placed yet, oldest first (for the flattened deepest level)."""
    found: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    stack = list(children.get(key, []))
    while stack:
        record = stack.pop()
        item = str(record["id"])
        if item in placed or item in seen:
            continue
        seen.add(item)
        found.append(record)
        stack.extend(children.get(item, []))
    return sorted(found, key=_order)


def _sort_children(nodes: list[Node]) -> None:
    """Children oldest first at every level (the stack filled them in order already)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        node.children.sort(key=lambda n: _order(n.record))
        stack.extend(node.children)


def flatten(nodes: Sequence[Node]) -> list[Node]:
    """The tree's nodes in reading order (each parent before its children)."""
    order: list[Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(node.children))
    return order


def word_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """`new` compared with `old` word by word: pieces ("same" | "ins" | "del", text).

    Remembered per process for the last `DIFFS_KEPT` pairs of texts (of at most
    `DIFF_KEPT_CHARS` together, so the memory stays small): a thread's edited items are compared
    again on every view of its page, by everyone reading it, and stored versions never change.
    """
    old, new = old or "", new or ""
    if len(old) + len(new) > DIFF_KEPT_CHARS:
        return list(_diff(old, new))
    return list(_kept_diff(old, new))


def _diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    before = _TOKENS.findall(old)
    after = _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    pieces: list[tuple[str, str]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            _add(pieces, "same", "".join(before[a1:a2]))
            continue
        if op in ("delete", "replace"):
            _add(pieces, "del", "".join(before[a1:a2]))
        if op in ("insert", "replace"):
            _add(pieces, "ins", "".join(after[b1:b2]))
    return tuple(pieces)


_kept_diff = lru_cache(maxsize=DIFFS_KEPT)(_diff)


def _add(pieces: list[tuple[str, str]], op: str, text: str) -> None:
    """Append a piece, joined to the previous one when of the same kind."""
    if not text:
        return
    if pieces and pieces[-1][0] == op:
        pieces[-1] = (op, pieces[-1][1] + text)
    else:
        pieces.append((op, text))


def version_history(
    record: Mapping[str, Any], seen: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """The item's versions oldest first, each with `diff` against the one before (the first
    version's diff is its whole text, unchanged); empty when the item has one version.

    `seen` maps a version number to when it was first seen (the current version's time is
    not in the record contract).
    """
    earlier = list(record.get("versions") or [])
    if not earlier:
        return []
    number = max(int(v.get("version") or 0) for v in earlier) + 1
    current = {"version": number, "text": record.get("text"),
               "edited_at": record.get("edited_at"), "seen_at": None,
               "media": record.get("media") or []}  # fmt: skip
    history = []
    previous: str | None = None
    for index, version in enumerate(sorted(earlier, key=lambda v: v["version"]) + [current]):
        text = version.get("text")
        diff = [("same", text)] if index == 0 and text else word_diff(previous, text)
        when = version.get("seen_at") or (seen or {}).get(int(version["version"]))
        history.append({"version": version["version"], "seen_at": when,
                        "edited_at": version.get("edited_at"), "diff": diff,
                        "current": version is current})  # fmt: skip
        previous = text
    return history


def paginate(tops: Sequence[Node], limit: int) -> list[list[Node]]:
    """The tree in pages of about `limit` items, never cut inside a top comment's replies.

    Every page shows the thread's first top item (the post or the first message) and its share
    of the top comments under it; the other top items (orphans) follow on the last pages.
    """
    if not tops:
        return [[]]
    root, others = tops[0], list(tops[1:])
    units = [(child, True) for child in root.children] + [(top, False) for top in others]
    pages: list[list[tuple[Node, bool]]] = [[]]
    size = 1
    for unit, under_root in units:
        count = len(flatten([unit]))
        if pages[-1] and size + count > limit:
            pages.append([])
            size = 1
        pages[-1].append((unit, under_root))
        size += count
    shaped = []
    for page in pages:
        head = Node(root.record, root.depth, [unit for unit, under in page if under])
        shaped.append([head, *(unit for unit, under in page if not under)])
    return shaped


def page_holding(pages: Sequence[Sequence[Node]], item_id: str) -> int:
    """The number (from 1) of the first page on which `item_id` is shown (1 if none)."""
    for number, page in enumerate(pages, start=1):
        nodes = flatten(page)[1:] if number > 1 else flatten(page)  # the post heads every page
        if any(str(node.record["id"]) == item_id for node in nodes):
            return number
    return 1
