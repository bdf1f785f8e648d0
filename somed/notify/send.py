"""Build, send and remember the digests: by `somed notify` now, or by the daemon once a day.

`send_digests` sends every recipient's digest that has something to say, records each one
(`sent`, `empty`, `failed`) in the `digests` table, and so the next digest starts where this
one ended. With `due_only` (the daemon) a recipient whose digest of the day is done is left
out, and one whose send failed is tried again after `RETRY_AFTER`, until the day is over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlite_utils import Database

from somed.config import Config
from somed.config_errors import ConfigError
from somed.i18n import Translator
from somed.notify import mail, render
from somed.notify.digest import Digest, build_digests
from storage import digests as digest_store

log = logging.getLogger("somed.notify")

RETRY_AFTER = timedelta(minutes=30)


@dataclass
class NotifyReport:
    """What one round did: addresses sent to, with nothing to say, and failed (with why)."""

    sent: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    failed: list[tuple[str, mail.MailError]] = field(default_factory=list)


def pending(db: Database, config: Config, now: datetime, *, due_only: bool) -> list[Digest]:
    """The digests to send now (with `due_only`: not done today, not failed just before)."""
    found = build_digests(db, config, now)
    if not due_only:
        return found
    day = found[0].day if found else ""
    done = digest_store.done_on(db, day)
    result = []
    for digest in found:
        failed = digest_store.last_failure(db, digest.recipient, digest.day)
        if digest.recipient in done or (failed is not None and now < failed + RETRY_AFTER):
            continue
        result.append(digest)
    return result


def send_digests(
    db: Database,
    config: Config,
    now: datetime,
    *,
    due_only: bool = False,
    t: Translator | None = None,
) -> NotifyReport:
    """Send the pending digests and record each; raise ConfigError when mail is not set up."""
    report = NotifyReport()
    todo = pending(db, config, now, due_only=due_only)
    t = t or Translator(config.ui.language)
    sender = config.notify.sender or ""
    to_send = [d for d in todo if not d.empty]
    try:
        password = mail.smtp_password(config) if to_send else None
    except ConfigError as exc:  # `somed notify` says so in one line; the daemon records it
        if not due_only:
            raise
        unreadable = mail.MailError(str(exc), reason="notify.password_unreadable",
                                    params={"where": exc.key})  # fmt: skip
        results: dict[str, mail.MailError | None] = {d.recipient: unreadable for d in to_send}
    else:
        results = mail.send_all(config, [render.message(t, d, sender) for d in to_send], password)
    for digest in todo:
        keys = [a.key for a in digest.accounts]
        error = results.get(digest.recipient) if not digest.empty else None
        status = "empty" if digest.empty else "failed" if error else "sent"
        digest_store.record(db, day=digest.day, recipient=digest.recipient, status=status,
                            through=digest.through, now=now, accounts=keys,
                            error=str(error) if error else None)  # fmt: skip
        if error is not None:
            report.failed.append((digest.recipient, error))
            log.error("digest to %s not sent: %s", digest.recipient, error,
                      extra={"event": "digest_failed", "reason": error.reason})  # fmt: skip
        else:
            (report.empty if digest.empty else report.sent).append(digest.recipient)
            if not digest.empty:
                log.info("digest sent to %s (%s)", digest.recipient, ", ".join(keys),
                         extra={"event": "digest_sent"})  # fmt: skip
    return report
