"""Signed-cookie sessions: who is signed in, since when, last seen, CSRF token, language.

The cookie is signed with the session key (`[web] session_key_env|_file`), `HttpOnly`,
`SameSite=Strict` and `Secure` unless `secure_cookies = false`; its lifetime is the absolute
timeout. A session idle longer than `idle_timeout_minutes`, older than
`absolute_timeout_hours`, or whose user was disabled or changed role is ended on its next
request, whatever the cookie says.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from somed.config import Config
from somed.web.user import WebUser
from storage.users import get_user

log = logging.getLogger(__name__)
COOKIE = "somed_session"


def session_key(config: Config) -> str:
    """The session signing key from the config's secret, else a random one for this process."""
    from somed.config_secrets import read_config_secret

    web = config.web
    secret = read_config_secret(
        config, "web.session_key", web.session_key_env, web.session_key_file, "session key"
    )
    if secret is not None:
        return secret.reveal()
    log.warning(
        "no [web] session_key_env or session_key_file: sessions end when somed web restarts"
    )
    return secrets.token_urlsafe(32)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


def csrf_ok(session: dict[str, Any], given: object) -> bool:
    """True when `given` is the session's CSRF token."""
    expected = session.get("csrf")
    return bool(expected) and isinstance(given, str) and secrets.compare_digest(given, expected)


def start(session: dict[str, Any], user: WebUser, now: datetime) -> None:
    """Sign `user` in: a fresh session (new CSRF token), keeping only the language."""
    language = session.get("lang")
    session.clear()
    session.update(user=user.name, role=user.role, source=user.source,
                   started=now.timestamp(), seen=now.timestamp(),
                   csrf=secrets.token_urlsafe(32))  # fmt: skip
    if language:
        session["lang"] = language


def end(session: dict[str, Any]) -> None:
    """Sign out, keeping only the language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def current_user(session: dict[str, Any], db: Any, config: Config, now: datetime
                 ) -> WebUser | None:  # fmt: skip
    """The signed-in user, or None (the session ended here when it timed out or went stale)."""
    name = session.get("user")
    if not name:
        return None
    web = config.web
    started, seen = float(session.get("started", 0)), float(session.get("seen", 0))
    moment = now.timestamp()
    expired = (
        moment - seen > timedelta(minutes=web.idle_timeout_minutes).total_seconds()
        or moment - started > timedelta(hours=web.absolute_timeout_hours).total_seconds()
    )
    row = None if expired else get_user(db, str(name))
    if row is None or row.get("disabled_at") or row.get("role") != session.get("role"):
        end(session)
        return None
    session["seen"] = moment
    return WebUser(name=row["name"], role=row["role"], full_name=row.get("full_name"),
                   source=row.get("source") or "local")  # fmt: skip
