"""Log lines: one line per event, secrets redacted even inside tracebacks, JSON when asked."""

from __future__ import annotations

import io
import json
import logging

from somed.logs import setup_logging

SECRET = "EMU-log-secret-4b1d9e"


def emit_failure(stream: io.StringIO, fmt: str) -> list[str]:
    setup_logging(fmt, "info", secrets=[SECRET], stream=stream)
    log = logging.getLogger("somed.test")
    try:
        raise RuntimeError(f"request to https://graph.facebook.com/?access_token={SECRET} failed")
    except RuntimeError:
        log.exception("account x: unexpected error with %s", SECRET)
    log.info("second event")
    return stream.getvalue().splitlines()


def test_plain_lines_fold_tracebacks_and_redact_secrets():
    lines = emit_failure(io.StringIO(), "plain")
    assert len(lines) == 2
    assert "Traceback" in lines[0] and "RuntimeError" in lines[0]
    assert SECRET not in "\n".join(lines) and "***" in lines[0]


def test_json_lines_parse_and_redact():
    lines = emit_failure(io.StringIO(), "json")
    events = [json.loads(line) for line in lines]
    assert [e["level"] for e in events] == ["ERROR", "INFO"]
    assert all(SECRET not in line for line in lines)
    assert events[1]["message"] == "second event" and events[0]["time"].endswith("Z")
