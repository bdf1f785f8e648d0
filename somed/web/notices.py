"""Notices: what the last POST did, kept in the session and shown once after its redirect."""

from __future__ import annotations

from typing import Any

from somed.web.context import Context

NOTICES = "notices"  # the session key


def notify(ctx: Context, text_id: str, *, alert: bool = False, **params: Any) -> None:
    """Keep a notice (a text id and its values) for the next page this user sees."""
    kept = list(ctx.session.get(NOTICES, []))[-19:]
    kept.append({"id": text_id, "alert": alert, "params": {k: str(v) for k, v in params.items()}})
    ctx.session[NOTICES] = kept


def take_notices(ctx: Context) -> list[dict[str, Any]]:
    """The notices kept for this user, in their language, and forget them."""
    kept = ctx.session.pop(NOTICES, [])
    return [{"text": ctx.t(n["id"], **n["params"]), "alert": n["alert"]} for n in kept]
