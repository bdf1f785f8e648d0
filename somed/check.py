"""`somed check`: ask each platform who an account's token is, what it may read, when it expires.

The result is stored in the archive (`token_checks`), so `somed status` and the metrics endpoint
can show it without tokens. The daemon runs the same check at start and daily.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from connectors.base import AuthError, CheckResult, ConnectorError
from connectors.registry import connector_class
from somed.config import Config, ConfigError
from somed.netsetup import sessions_for
from storage.token_checks import record_check

log = logging.getLogger("somed.check")

TOKEN_UNREADABLE = "check.token_unreadable"  # the token file or variable cannot be read here


@dataclass(frozen=True)
class CheckOutcome:
    """One account's check: its status (ok, auth_failed, failed) and what the platform said."""

    account: str
    platform: str
    status: str
    result: CheckResult | None = None
    message: str | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when the token was rejected or the check could not be made."""
        return self.status != "ok"


def check_account(config: Config, key: str, *, clock: Callable[[], datetime]) -> CheckOutcome:
    """Run the connector's `check()` for one account; never raises for token or network trouble."""
    account = config.account(key)
    platform = account.platform
    try:
        spec = config.account_spec(key)
    except ConfigError as exc:  # the token cannot be read here: one line, this account only
        reason = getattr(exc, "reason", TOKEN_UNREADABLE)  # a TokenError names the cause
        params = getattr(exc, "params", None) or {"detail": str(exc)}
        return CheckOutcome(key, platform, "failed", None, str(exc), reason, params)
    secret = spec.token.reveal()
    settings = config.platform_settings(account.platform)
    cls = connector_class(account.platform)
    # the same network layer as a run: host list, deadlines, and the token scrubbed from answers
    connector = cls(spec, settings, sessions_for(config, key, cls), clock)
    try:
        result = connector.check()
    except AuthError as exc:
        text = _clean(exc, secret)
        return CheckOutcome(key, platform, "auth_failed", None, text, exc.reason, exc.params)
    except ConnectorError as exc:
        text = _clean(exc, secret)
        return CheckOutcome(key, platform, "failed", None, text, exc.reason, exc.params)
    except Exception as exc:  # a bug in a connector must not stop the other accounts' checks
        log.exception("%s: check failed unexpectedly", key, extra={"account": key})
        detail = _clean(f"internal error: {type(exc).__name__}: {exc}", secret)
        error = {"error": type(exc).__name__}
        return CheckOutcome(key, platform, "failed", None, detail, "run.internal", error)
    finally:
        connector.close()
    return CheckOutcome(key, platform, "ok", result)


def run_checks(
    config: Config,
    db: Database,
    keys: Sequence[str],
    *,
    clock: Callable[[], datetime] | None = None,
) -> list[CheckOutcome]:
    """Check the accounts one after another, store each result in `db` and log it."""
    now = clock or (lambda: datetime.now(UTC))
    outcomes = []
    for key in keys:
        outcome = check_account(config, key, clock=now)
        result = outcome.result
        record_check(
            db,
            key,
            checked_at=now(),
            status=outcome.status,
            identity=result.identity if result else None,
            allowed_streams=result.allowed_streams if result else (),
            denied=result.denied if result else None,
            missing_permissions=result.missing_permissions if result else (),
            expires_at=result.expires_at if result else None,
            data_access_expires_at=result.data_access_expires_at if result else None,
            reason=outcome.reason,
            params=outcome.params,
            message=outcome.message,
        )
        level = logging.INFO if outcome.status == "ok" else logging.WARNING
        said = f" ({result.identity})" if result else ""
        log.log(
            level,
            "%s: token check %s%s",
            key,
            outcome.status,
            f": {outcome.message}" if outcome.message else said,
            extra={"account": key, "event": "token_checked", "status": outcome.status},
        )
        outcomes.append(outcome)
    return outcomes


def expires_soon(moment: datetime | None, now: datetime, warning_days: int) -> bool:
    """True when `moment` (an expiry) is set and falls within `warning_days` from `now`."""
    return moment is not None and moment - now <= timedelta(days=warning_days)


def _clean(exc: object, secret: str) -> str:
    """An error text without the token (the connector's texts are already scrubbed; twice safe)."""
    text = " ".join(str(exc).split())
    return text.replace(secret, "***") if len(secret) >= 4 else text
