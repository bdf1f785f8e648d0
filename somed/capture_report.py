"""A capture's outcome as the queue stores it, the log line the daemon writes, what the CLI prints.

One shape for `somed capture` run directly and through the daemon's request queue: the daemon
stores `outcome_of(result)` as the request's outcome, the command prints it with
`print_capture`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from somed.i18n import Translator
from somed.reasons import render

log = logging.getLogger("somed.capture")

FILE_ROLES = ("png", "pdf", "wacz", "manifest")


def outcome_of(result: Any) -> dict[str, Any]:
    """A CaptureResult as JSON-ready data: verdict (also as `status`), reason, files, id."""
    manifest = dict(result.manifest or {})
    files = [
        {"role": f.get("role"), "sha256": f.get("sha256"), "path": f.get("path")}
        for f in manifest.get("files") or []
    ]
    if manifest.get("manifest_sha256"):
        files.append({"role": "manifest", "sha256": manifest["manifest_sha256"], "path": None})
    return {
        "account": result.account,
        "status": result.verdict,
        "verdict": result.verdict,
        "capture_id": result.capture_id,
        "reason": result.reason,
        "params": dict(result.params or {}),
        "url_asked": manifest.get("url_asked"),
        "final_url": manifest.get("final_url"),
        "files": files,
    }


def log_capture(outcome: dict[str, Any], trigger: str) -> None:
    """One log line per capture: account, verdict, why it was taken, reason when not valid."""
    verdict = outcome.get("verdict") or outcome.get("status")
    level = logging.INFO if verdict == "valid" else logging.WARNING
    reason = f" reason={outcome['reason']}" if outcome.get("reason") else ""
    log.log(level, "%s: capture %s verdict=%s trigger=%s%s", outcome.get("account"),
            outcome.get("capture_id"), verdict, trigger, reason,
            extra={"account": outcome.get("account"), "event": "capture_finished",
                   "verdict": verdict, "capture_id": outcome.get("capture_id")})  # fmt: skip


def print_capture(t: Translator, outcome: dict[str, Any], storage_dir: Path) -> None:
    """Print the verdict and, for each file made, where it is in the media store."""
    account = outcome.get("account", "?")
    verdict = str(outcome.get("verdict") or outcome.get("status") or "failed")
    known = verdict in ("valid", "invalid", "failed")
    line = t(f"capture.{verdict if known else 'failed'}", account=account,
             capture=outcome.get("capture_id") or "-")  # fmt: skip
    why = render(t, outcome.get("reason"), outcome.get("params"), detail=outcome.get("message"))
    click.echo(f"{line}: {why}" if why and verdict != "valid" else line)
    for entry in outcome.get("files") or []:
        where = entry.get("path") or entry.get("sha256")
        if entry.get("path"):
            where = str(Path(storage_dir) / str(entry["path"]))
        click.echo(f"  {entry.get('role', '?'):<9} {where}")
