"""The account page: register entry and history, runs, streams, snapshots, flags, cadence and
response figures; "Arkivera nu" / "Ta ögonblicksbild nu" (admin) through the daemon's queue.

The buttons add a request to the same queue `somed archive` and `somed capture` use when a
daemon runs (`storage/run_requests.py`), in the user's name, audit-logged with it in one
transaction; the page then follows the account's requests and refreshes itself while one is
queued or running. Without a running daemon the request waits until it starts (the page says so).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from connectors.model import parse_utc, utc_iso
from somed.config import AccountConfig
from somed.config_notify import response_limit
from somed.monitors import cadence
from somed.monitors.activity import POSTS_STREAM
from somed.reasons import render, stream_name
from somed.register_list import PUBLIC_FIELDS, account_list, cell, history_value, labels
from somed.run_requests import daemon_running, outcome_from
from somed.status import account_status, health_note
from somed.summary import outcome_note
from somed.web.context import Context
from somed.web.routing import Pages
from storage import audit, run_requests
from storage.captures import captures_of
from storage.db import transaction
from storage.flags import open_flags
from storage.queries import last_runs, stream_state
from storage.register import account_history

PAGES = Pages()
RUNS_SHOWN = 20
SNAPSHOTS_SHOWN = 20
REQUESTS_SHOWN = 5
FILES = (("png", "png_sha256"), ("pdf", "pdf_sha256"), ("wacz", "wacz_sha256"),
         ("manifest", "manifest_sha256"))  # fmt: skip
# a request's kind -> its audit action
ACTIONS = {"archive": "run_requested", "capture": "capture_requested"}


def account_config(ctx: Context, key: str) -> AccountConfig | None:
    """The account of the config with this key, or None."""
    return next((a for a in ctx.config.accounts if a.key == key), None)


def register_entry(ctx: Context, key: str) -> dict[str, Any] | None:
    """The account's register fields as people read them (internal ones for registrar+)."""
    internal = ctx.user is not None and ctx.user.allows("registrar")
    row = next((r for r in account_list(ctx.config, ctx.db, internal=internal)
                if r["key"] == key), None)  # fmt: skip
    if row is None:
        return None
    heads = labels(ctx.t, internal)
    return {"row": row, "cells": [(label, cell(ctx.t, row, column), column)
                                  for column, label in heads.items()]}  # fmt: skip


def runs_of(ctx: Context, key: str, platform: str | None) -> list[dict[str, Any]]:
    """The account's newest runs, each with its reason in words."""
    rows = last_runs(ctx.db, key, limit=RUNS_SHOWN)
    for row in rows:
        row["reason_text"] = render(ctx.t, row.get("reason"), row.get("reason_params"),
                                    platform=platform, detail=row.get("message"))  # fmt: skip
    return rows


def snapshots_of(ctx: Context, key: str) -> list[dict[str, Any]]:
    """The account's newest captures, each with its files and its verdict's reason in words."""
    rows = list(reversed(captures_of(ctx.db, key)))[:SNAPSHOTS_SHOWN]
    for row in rows:
        row["files"] = [(role, row[column]) for role, column in FILES if row.get(column)]
        row["reason_text"] = render(ctx.t, row.get("reason"), row.get("params"),
                                    platform=row.get("platform"))  # fmt: skip
    return rows


def flags_of(ctx: Context, key: str, platform: str | None) -> dict[str, Any]:
    """The account's own open flags with their reasons; flags on its items counted per kind."""
    own: list[dict[str, Any]] = []
    per_kind: dict[str, int] = {}
    for flag in open_flags(ctx.db, key):
        if flag.get("item_id") is not None:
            per_kind[flag["flag"]] = per_kind.get(flag["flag"], 0) + 1
            continue
        own.append({**flag, "reason_text": render(ctx.t, flag["reason"], flag["params"],
                                                  platform=platform)})  # fmt: skip
    return {"own": own, "per_item": sorted(per_kind.items()),
            "total": len(own) + sum(per_kind.values())}  # fmt: skip


def figures_of(ctx: Context, account: AccountConfig) -> dict[str, Any]:
    """Cadence (own posts a week against the plan's minimum) and the response limit."""
    posts = stream_state(ctx.db, account.key, POSTS_STREAM)
    as_of = parse_utc((posts or {}).get("last_ok_at"))
    weeks = cadence.weekly_counts(ctx.db, account.key, as_of) if as_of else []
    unanswered = sum(1 for f in open_flags(ctx.db, account.key) if f["flag"] == "unanswered")
    wanted = cadence.minimum(ctx.config, account)
    return {
        "minimum": number(ctx, wanted) if wanted is not None else None, "weeks": weeks,
        "average": number(ctx, sum(weeks) / len(weeks)) if weeks else None,
        "as_of": (posts or {}).get("last_ok_at"),
        "limit_hours": number(ctx, response_limit(ctx.config.monitors, account)),
        "unanswered": unanswered,
    }  # fmt: skip


def number(ctx: Context, value: float) -> str:
    """A figure with at most one decimal, written the reader's way (4,8 in Swedish)."""
    text = f"{value:.1f}".removesuffix(".0") if value >= 0.05 or value == 0 else f"{value:.2g}"
    return text.replace(".", ",") if ctx.t.language == "sv" else text


def history_of(ctx: Context, key: str) -> list[dict[str, Any]]:
    """The account's register changes, newest first, fields named as the register names them
    (the internal fields' changes, editor, substitute and plan, for registrar and up only)."""
    internal = ctx.user is not None and ctx.user.allows("registrar")
    rows = [row for row in reversed(account_history(ctx.db, key))
            if internal or row["field"] in (*PUBLIC_FIELDS, "platform_id")]  # fmt: skip
    for row in rows:
        label = f"accounts.col.{row['field']}"
        row["label"] = ctx.t(label) if ctx.t.has(label) else row["field"]
        row["old_value"] = history_value(ctx.t, row["field"], row["old_value"])
        row["new_value"] = history_value(ctx.t, row["field"], row["new_value"])
    return rows


def requests_of(ctx: Context, key: str, platform: str) -> list[dict[str, Any]]:
    """The account's newest run and capture requests, each with its outcome in words."""
    shown = []
    for request in run_requests.account_requests(ctx.db, key, limit=REQUESTS_SHOWN):
        summary = ""
        if request.state == "done" and request.kind == "archive":
            outcome = outcome_from(request.outcome or {}, key, platform)
            counts = ctx.t(
                "web.account.request.counts", status=ctx.t(f"status.{outcome.status}"),
                new=outcome.new, changed=outcome.changed, deleted=outcome.deleted,
            )  # fmt: skip
            try:
                note = outcome_note(ctx.config, ctx.t, outcome)
            except KeyError:  # the account left the config since
                note = ""
            summary = f"{counts} {note}".strip()
        elif request.state == "done":
            found = request.outcome or {}
            verdict = str(found.get("verdict") or found.get("status") or "failed")
            verdict = verdict if verdict in ("valid", "invalid", "failed") else "failed"
            why = render(ctx.t, found.get("reason"), found.get("params"),
                         detail=found.get("message"))  # fmt: skip
            summary = ctx.t(f"web.account.capture.{verdict}") + (f": {why}" if why else "")
        shown.append({"request": request, "summary": summary})
    return shown


@PAGES.get("/accounts/{key}", role="reader")
def account_page(ctx: Context) -> Response:
    """Everything about one account, and the admin's buttons."""
    key = ctx.param("key")
    account = account_config(ctx, key)
    entry = register_entry(ctx, key)
    if account is None and entry is None:
        return ctx.problem(404, "web.error.not_found")
    platform = account.platform if account else str(entry["row"]["platform"])  # type: ignore[index]
    status = next((r for r in account_status(ctx.config, ctx.db, now=ctx.now)
                   if r["key"] == key), None)  # fmt: skip
    streams = []
    if status is not None:
        for stream in status["streams"]:
            why = render(ctx.t, stream.get("reason"), stream.get("reason_params"),
                         platform=platform, detail=stream.get("message"))  # fmt: skip
            streams.append({**stream, "name": stream_name(ctx.t, stream["stream"]),
                            "reason_text": why})  # fmt: skip
    requests = requests_of(ctx, key, platform)
    pending = any(not r["request"].finished for r in requests)
    return ctx.render(
        "account.html.j2", title=ctx.t("web.account.title", key=key), key=key,
        platform=platform, account=account, entry=entry,
        history=history_of(ctx, key), health=status,
        note=health_note(ctx.t, status) if status else "", streams=streams,
        runs=runs_of(ctx, key, platform), snapshots=snapshots_of(ctx, key),
        flags=flags_of(ctx, key, platform), figures=figures_of(ctx, account) if account else None,
        requests=requests, pending=pending, daemon=daemon_running(ctx.config.storage_dir),
        may_request=ctx.user is not None and ctx.user.allows("admin") and account is not None,
        asked=ctx.query("asked"),
    )  # fmt: skip


def _request(ctx: Context, kind: str) -> Response:
    """Queue one request of `kind` for the account, audit-logged in the same transaction."""
    key = ctx.param("key")
    if account_config(ctx, key) is None:
        return ctx.problem(404, "web.error.not_found")
    at = ctx.now
    with ctx.archive.writer() as db, transaction(db):
        (request_id,) = run_requests.add_requests(db, [key], requested_by=ctx.actor,
                                                  clock=lambda: at, kind=kind)  # fmt: skip
        details = {"request": request_id, "kind": kind,
                   "daemon_running": daemon_running(ctx.config.storage_dir)}  # fmt: skip
        row = audit.audit_row(utc_iso(at) or "", ctx.actor, ACTIONS[kind], f"account:{key}",
                              None, details)  # fmt: skip
        audit.append(db, [row])
    # no #fragment: Chromium takes a meta refresh of a URL with a fragment for a mere scroll
    return ctx.redirect(ctx.url(f"/accounts/{key}", asked=str(request_id)))


@PAGES.post("/accounts/{key}/archive", role="admin")
def archive_now(ctx: Context) -> Response:
    """The button "Arkivera nu": a run of the account through the daemon's queue."""
    return _request(ctx, "archive")


@PAGES.post("/accounts/{key}/capture", role="admin")
def capture_now(ctx: Context) -> Response:
    """The button "Ta ögonblicksbild nu": a capture of the account's public page, queued."""
    return _request(ctx, "capture")
