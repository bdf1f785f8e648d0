"""`somed close`: preserve an account one last time, then close it in the register.

The steps, in order: a final archive pass (`Runner.run_account`), a full capture of the public
page that must come out valid (`capture_accounts`, trigger "close"), and a registrar bundle of
the account's whole history (`bundle_step`: FGS, in `<storage.dir>/bundles`). Only when every
step succeeded is the account marked closed (status, its history row and an audit entry, in
one transaction); a closed account is neither archived nor captured again. A failed step stops
the close and nothing changes in the register (what the steps archived or captured is kept:
nothing archived is ever lost). `force` goes on past failed steps and records who overrode
which step and why.

Close runs in the calling process, not through the daemon's queue: it reads the account's
token itself (run it as the service's user, with the token's environment or file).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from connectors.model import utc_iso
from somed.actor import os_actor
from somed.config import Config
from somed.runner import Runner, utc_now
from storage.db import connect
from storage.register import account_status, close_account

LOCK_WAIT_SECONDS = 300.0  # a run of the daemon on the same account may be under way


@dataclass
class Step:
    """One step of a close: whether it succeeded, why not, and what it made."""

    name: str  # archive | capture | bundle
    ok: bool
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)  # run_id, capture_id, ...
    skipped: bool = False


@dataclass
class CloseResult:
    """What `close` did: its steps, and whether the account is now closed (and forced so)."""

    account: str
    steps: list[Step]
    closed: bool
    forced: list[str] = field(default_factory=list)  # the failed steps `force` went past

    @property
    def failed(self) -> list[Step]:
        """The steps that did not succeed."""
        return [step for step in self.steps if not step.ok]


def archive_step(config: Config, key: str, clock: Callable[[], datetime]) -> Step:
    """The final archive pass: every stream of the account read once more."""
    outcome = Runner(config, clock=clock).run_account(key, trigger="close", wait=LOCK_WAIT_SECONDS)
    made = {"run_id": outcome.run_id, "status": outcome.status}
    if outcome.status == "ok":
        return Step("archive", True, made=made)
    reason = outcome.reason or "close.archive_failed"
    return Step("archive", False, reason, dict(outcome.reason_params), made)


def capture_step(config: Config, key: str, clock: Callable[[], datetime]) -> Step:
    """A full capture of the account's public page; only a valid one counts."""
    from somed.capture import capture_accounts
    from somed.capture.model import CaptureRequest

    results = capture_accounts(config, [CaptureRequest(key, trigger="close")], clock=clock)
    if not results:
        return Step("capture", False, "close.capture_missing")
    result = results[0]
    made = {"capture_id": result.capture_id, "verdict": result.verdict}
    if result.verdict == "valid":
        return Step("capture", True, made=made)
    reason = result.reason or "close.capture_invalid"
    return Step("capture", False, reason, dict(result.params), made)


def bundle_step(config: Config, key: str, clock: Callable[[], datetime]) -> Step:
    """The registrar bundle of the account's whole history (R8), FGS, in the bundles folder."""
    from somed.bundle.build import build_bundle
    from somed.bundle.model import BundleRequest
    from somed.config import ConfigError

    try:
        result = build_bundle(config, BundleRequest((key,), format="fgs"), clock=clock)
    except ConfigError as exc:
        return Step("bundle", False, "close.bundle_failed", {"error": str(exc)})
    except Exception as exc:  # the close is refused, in one line, whatever went wrong
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return Step("bundle", False, "close.bundle_failed", {"error": detail})
    made = {"path": str(result.path), "package_id": result.package_id, "items": result.items}
    return Step("bundle", True, made=made)


STEPS: tuple[Callable[[Config, str, Callable[[], datetime]], Step], ...] = (
    archive_step,
    capture_step,
    bundle_step,
)


def close(
    config: Config,
    key: str,
    *,
    reason: str,
    force: bool = False,
    by: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    on_step: Callable[[Step], None] | None = None,
) -> CloseResult:
    """Run the close steps and, if all succeeded (or `force`), mark the account closed.

    Raises LookupError for an account the register does not hold and ValueError for one
    already closed; a step's failure is in the result, never raised.
    """
    who = by or os_actor()
    db = connect(config.db_path)
    try:
        status = account_status(db, key)
    finally:
        db.close()
    if status is None:
        raise LookupError(key)
    if status == "closed":
        raise ValueError(key)
    steps: list[Step] = []
    for run_step in STEPS:
        try:
            step = run_step(config, key, clock)
        except Exception as exc:  # a step that could not even run is a failed step
            name = run_step.__name__.removesuffix("_step")
            step = Step(name, False, "close.step_crashed", {"error": type(exc).__name__})
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if not step.ok and not force:
            return CloseResult(key, steps, closed=False)
    forced = [step.name for step in steps if not step.ok]
    details = {
        "steps": [asdict(step) for step in steps],
        "forced": forced,
        "uid": os.geteuid(),
        "user": getpass.getuser(),
    }
    db = connect(config.db_path)
    try:
        action = "account_close_forced" if forced else None
        now = utc_iso(clock()) or ""
        close_account(db, key, now=now, actor=who, reason=reason, details=details, action=action)
    finally:
        db.close()
    return CloseResult(key, steps, closed=True, forced=forced)
