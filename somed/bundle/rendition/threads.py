"""Records into threads (pure): a post with its comments and replies, or a conversation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROOT_KINDS = ("post", "video")
MAX_DEPTH = 3  # deeper answers are shown at this depth, marked with whom they answer


@dataclass
class Node:
    """One record and the answers to it, in date order."""

    record: Mapping[str, Any]
    depth: int = 0
    reply_to: str | None = None  # the author answered, when the nesting was flattened
    children: list[Node] = field(default_factory=list)


def thread_key(record: Mapping[str, Any]) -> str:
    """The thread a record belongs to: its post's id, or its conversation."""
    if record["kind"] == "message":
        return f"conversation:{record.get('thread_id') or record.get('parent_id') or record['id']}"
    if record["kind"] in ROOT_KINDS:
        return f"post:{record['id']}"
    root = record.get("thread_id") or record.get("parent_id")
    return f"post:{root}" if root else f"{record['kind']}:{record['id']}"


def _order(record: Mapping[str, Any]) -> tuple[str, str]:
    return (record.get("created_at") or "", str(record["id"]))


def build_thread(records: Iterable[Mapping[str, Any]]) -> tuple[Node | None, list[Node]]:
    """The root node (None when the post is outside the period) and the nodes below it."""
    items = sorted(records, key=_order)
    nodes = {str(r["id"]): Node(r) for r in items}
    root = next((nodes[str(r["id"])] for r in items if r["kind"] in ROOT_KINDS), None)
    top: list[Node] = []
    for record in items:
        node = nodes[str(record["id"])]
        if node is root:
            continue
        parent = nodes.get(str(record.get("parent_id")))
        if parent is None or parent is node or record["kind"] == "message":
            top.append(node)
        else:
            parent.children.append(node)
    if root is not None:
        _set_depth(root, 0)
    for node in top:
        _set_depth(node, 1 if root is not None else 0)
    return root, top


def _set_depth(node: Node, depth: int) -> None:
    """Give `node` and its answers their depth, flattening those below MAX_DEPTH."""
    node.depth = depth
    if depth >= MAX_DEPTH:
        flat: list[Node] = []
        stack = list(reversed(node.children))
        while stack:
            child = stack.pop()
            child.reply_to = child.record.get("parent_author") or None
            flat.append(child)
            stack.extend(reversed(child.children))
            child.children = []
        for child in flat:
            child.depth = depth
        node.children = sorted(flat, key=lambda n: _order(n.record))
        return
    for child in node.children:
        _set_depth(child, depth + 1)


def count_nodes(root: Node | None, top: list[Node]) -> int:
    """How many records a thread holds."""
    stack = list(top) + ([root] if root else [])
    total = 0
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.children)
    return total
