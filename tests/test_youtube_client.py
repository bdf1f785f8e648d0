"""YouTube's error envelopes mapped to typed errors, and the quota's reset time (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.base import AuthError, FatalError, PermissionDenied, RateLimited, TransientError
from connectors.youtube.client import (
    CommentsDisabled,
    ObjectMissing,
    PageTokenInvalid,
    classify,
)
from connectors.youtube.quota import cost_of, quota_reset

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def envelope(code: int, reason: str, message: str = "m", **extra: object) -> bytes:
    return json.dumps({"error": {"code": code, "message": message,
                                 "errors": [{"reason": reason, "domain": "youtube.api"}],
                                 **extra}}).encode()  # fmt: skip


@pytest.mark.parametrize("status, body, kind, reason", [
    (403, envelope(403, "quotaExceeded"), RateLimited, "youtube.quota_exceeded"),
    (403, envelope(403, "rateLimitExceeded"), RateLimited, "rate.limited"),
    (429, b"", RateLimited, "rate.limited"),
    (400, envelope(400, "keyInvalid"), AuthError, "auth.key_invalid"),
    (400, envelope(400, "badRequest", "API key not valid. Please pass a valid API key.",
                   details=[{"reason": "API_KEY_INVALID"}]), AuthError, "auth.key_invalid"),
    (403, envelope(403, "accessNotConfigured"), AuthError, "auth.api_disabled"),
    (401, envelope(401, "authError"), AuthError, "auth.invalid"),
    (403, envelope(403, "commentsDisabled"), CommentsDisabled, "youtube.comments_disabled"),
    (404, envelope(404, "videoNotFound"), ObjectMissing, "object.missing"),
    (400, envelope(400, "invalidPageToken"), PageTokenInvalid, "youtube.page_token"),
    (403, envelope(403, "forbidden"), PermissionDenied, "permission.denied"),
    (500, envelope(500, "backendError"), TransientError, "transient.platform"),
    (503, b"<html>Service Unavailable</html>", TransientError, "transient.platform"),
    (400, envelope(400, "invalidParameter"), FatalError, "youtube.refused"),
])  # fmt: skip
def test_classify(status, body, kind, reason):
    error = classify(status, body, stream="posts", now=NOW)
    assert isinstance(error, kind)
    assert error.reason == reason


def test_quota_exceeded_waits_until_midnight_pacific():
    error = classify(403, envelope(403, "quotaExceeded"), stream="posts", now=NOW, units=9999)
    assert error.params == {"reset_at": "2026-12-02T08:00:00Z", "units": 9999}
    assert error.retry_after == 20 * 3600


def test_the_key_in_a_message_is_not_kept():
    body = envelope(400, "keyInvalid", "bad key in https://x/y?key=AIzaSECRET")
    assert "AIzaSECRET" not in str(classify(400, body, stream="posts", now=NOW))


@pytest.mark.parametrize("now, reset", [
    (datetime(2026, 12, 1, 7, 59, tzinfo=UTC), datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 2, 8, 0, tzinfo=UTC)),
    # summer time: midnight Pacific is 07:00 UTC
    (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
    # the day clocks go back (1 November 2026) lasts 25 hours
    (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),
])  # fmt: skip
def test_quota_reset(now, reset):
    assert quota_reset(now) == reset


def test_costs():
    assert cost_of("playlistItems.list") == 1
    assert cost_of("captions.list") == 50
    assert cost_of("search.list") == 100
