"""Fault injection for the Facebook emulator: which requests fail, and how Graph answers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors import emulation
from connectors.emulation import FaultQueue
from connectors.facebook.emulator.errors import (
    JSON_TYPE,
    VERSION,
    GraphError,
    compact_json,
    expired_message,
)
from connectors.facebook.emulator.store import encode_cursor

FAULT_KINDS: tuple[str, ...] = (
    "throttle",
    "server_error",
    "malformed",
    "reduce_data",
    "expired_token",
    "permission",
)
THROTTLE_MESSAGES: dict[int, str] = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try "
    "again.",
}
HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>Facebook | Error</title></head>"
    "<body><h1>Sorry, something went wrong.</h1><p>We're working on it.</p></body></html>"
)


@dataclass
class FaultPlan(emulation.FaultPlan):
    """Random faults: each API request fails with probability `rate`, a kind drawn from `kinds`;
    a throttle says access comes back after `regain_minutes`."""

    kinds: tuple[str, ...] = ("throttle", "server_error", "malformed", "reduce_data")
    regain_minutes: int = 0


@dataclass
class FaultAnswer:
    """A failed request's response: the usage headers show a throttle when `throttled`."""

    status: int
    body: str
    content_type: str = JSON_TYPE
    throttled: bool = False
    regain: int = 0


def answer(
    faults: FaultQueue,
    kind: str,
    params: dict[str, Any],
    path: str,
    now: Callable[[], datetime],
    trace: Callable[[], str],
) -> FaultAnswer:
    """Return Graph's response for a fault of `kind` on a request for `path`."""
    rng = faults.rng
    plan = faults.plan
    if kind == "throttle":
        code = int(params.get("code") or rng.choice(sorted(THROTTLE_MESSAGES)))
        status = int(params.get("status") or rng.choice((400, 403)))
        error = GraphError(
            status,
            THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limited"),
            code,
            transient=True,
            subcode=2446079 if code == 80001 else None,
        )
        regain = int(params.get("regain", getattr(plan, "regain_minutes", 0)))
        return FaultAnswer(
            status, compact_json(error.envelope(trace())), throttled=True, regain=regain
        )
    if kind == "server_error":
        status = int(params.get("status") or rng.choice((500, 502, 503)))
        html = params["html"] if "html" in params else rng.random() < 0.5
        if html:
            return FaultAnswer(status, HTML_ERROR, "text/html; charset=utf-8")
        error = GraphError(
            status,
            "An unexpected error has occurred. Please retry your request later.",
            2,
            transient=True,
        )
    elif kind == "malformed":
        object_id = next((s for s in path.split("/") if s and not VERSION.fullmatch(s)), "0")
        item = {
            "id": f"{object_id}_1",
            "message": "Välkommen till kommunens sida",
            "created_time": "2024-03-01T12:00:00+0000",
        }
        sample = json.dumps(
            {"data": [item], "paging": {"cursors": {"after": encode_cursor(object_id)}}}
        )
        return FaultAnswer(200, sample[: len(sample) // 2])
    elif kind == "reduce_data":
        error = GraphError(
            500,
            "Please reduce the amount of data you're asking for, then retry your request",
            1,
        )
    elif kind == "expired_token":
        error = GraphError(400, expired_message(now()), 190, subcode=463)
    else:  # permission
        code = int(params.get("code", 200))
        message = (
            "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
            "'Page Public Content Access' feature."
            if code == 10
            else "(#200) Permissions error"
        )
        error = GraphError(403, message, code)
    return FaultAnswer(error.status, compact_json(error.envelope(trace())))
