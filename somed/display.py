"""Display helpers shared by the CLI's tables (`somed archive`, `status`, ...) and the web UI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connectors.model import parse_utc

LOCAL_TZ = ZoneInfo("Europe/Stockholm")  # the time zone people read times in


class HasTokenSource(Protocol):
    """What `token_place` needs from an account (somed's `AccountConfig` has it)."""

    token_env: str | None
    token_file: Any


@lru_cache(maxsize=4096)  # a page or a bundle shows each time a few times over
def local_time(iso: str | None) -> str:
    """A stored UTC timestamp in Swedish local time with its zone, e.g. `2026-12-01 10:15 CET`."""
    moment = parse_utc(iso)
    if moment is None:
        return "-"
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M %Z")


def token_place(account: HasTokenSource) -> str:
    """Where an account's token is read from, in words (never the token itself)."""
    if account.token_env:
        return f"${account.token_env}"
    return str(account.token_file)


def human_bytes(count: int) -> str:
    """Bytes for people: kB, MB or GB with one decimal."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def hold_covers(row: Mapping[str, Any], everything: str) -> str:
    """What a legal hold covers, in a few words: account, dates, query (`everything`: none)."""
    parts = [row["account"]] if row["account"] else []
    if row["from_date"] or row["to_date"]:
        parts.append(f"{row['from_date'] or '…'}–{row['to_date'] or '…'}")
    if row["query"]:
        parts.append(f"«{row['query']}»")
    return ", ".join(parts) or everything


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Align columns for a terminal; wide text in the last column is left as it is."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers) - 1)]
    lines = []
    for row in cells:
        lead = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1]))
        lines.append(f"{lead}  {row[-1]}".rstrip())
    lines.insert(1, "-" * min(100, max(len(line) for line in lines)))
    return "\n".join(lines)
