"""The instaloader context a walk uses, its login session, and its errors as typed errors.

`open_context` builds an `InstaloaderContext` that never sleeps (pacing raises, see
`loader_pace`), makes one attempt per request (only the runner retries), prints nothing (its
messages go to the log, scrubbed), and, with a `session_file`, carries that login session's
cookies, whose values are added to the run's scrubber: they never reach a log, record or error.

`typed(exc)` turns what instaloader raises into the connector's typed errors: 429 and 401
"Please wait a few minutes" are `RateLimited` (and hold off the pace file), a login wall or a
checkpoint is an `AuthError` that names what the operator must do, never an empty success.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from pathlib import Path
from typing import Any

import instaloader.exceptions as il
import requests
from instaloader import InstaloaderContext

from connectors.base import AuthError, ConnectorError, FatalError, RateLimited, TransientError
from connectors.http import scrub_error
from connectors.instagram.loader_pace import PacedController, PaceFile

log = logging.getLogger("connectors.instagram.loader")

# The tokens the web app sends with its queries (`lsd`, `fb_dtsg`), which instaloader reads from
# the start page once per context: kept in this process's memory only (never on disk, they are
# bound to the login), so a daemon's idle poll does not load the start page every time.
TOKEN_LIFETIME = 3600.0
_TOKENS: dict[str, tuple[float, dict[str, str]]] = {}

CHALLENGES = ("checkpoint_required", "challenge_required", "feedback_required")
SESSION_COOKIES = ("sessionid", "csrftoken")  # the credentials (ds_user_id is the public user id)


class ObjectGone(Exception):
    """Instagram answers 404 (or no item) for a post: it is gone."""


class QuietContext(InstaloaderContext):
    """An InstaloaderContext whose messages go to the log (scrubbed), not to stderr."""

    scrub = staticmethod(lambda text: text)

    def error(self, msg: Any, repeat_at_end: bool = True) -> None:
        """Log instaloader's error message at debug level (the connector raises the error)."""
        log.debug("instaloader: %s", self.scrub(str(msg)))

    def log(self, *msg: Any, sep: str = "", end: str = "\n", flush: bool = False) -> None:
        """Log instaloader's progress message at debug level."""
        log.debug("instaloader: %s", self.scrub(sep.join(str(m) for m in msg)))


class _SessionUnpickler(pickle.Unpickler):
    """instaloader's session files are a pickled dict of cookies: refuse anything else."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a session file holds only cookies, not {module}.{name}")


def read_session_file(path: Path) -> dict[str, str]:
    """The cookies of an instaloader session file (`instaloader --login` writes them)."""
    where = {"path": str(path)}
    try:
        with path.open("rb") as handle:
            data = _SessionUnpickler(handle).load()
    except OSError as exc:
        raise FatalError(
            f"cannot read the Instagram session file {path}: {exc.strerror}",
            reason="instagram.session_unreadable",
            params=where,
        ) from None
    except Exception:  # noqa: BLE001 - a damaged or foreign file, whatever pickle says
        raise FatalError(
            f"{path} is not an instaloader session file (make one with "
            f"`instaloader --login USER` and point session_file at it)",
            reason="instagram.session_invalid",
            params=where,
        ) from None
    if not isinstance(data, dict) or not data.get("sessionid"):
        raise FatalError(
            f"{path} holds no Instagram login session (no sessionid cookie)",
            reason="instagram.session_invalid",
            params=where,
        )
    return {str(k): str(v) for k, v in data.items()}


def open_context(
    session: requests.Session,
    pace: PaceFile,
    *,
    pace_factor: float,
    timeout: float,
    session_file: Path | None,
    session_user: str | None,
) -> QuietContext:
    """A context for one walk: paced, quiet, one attempt per request, logged in if asked."""
    context = QuietContext(
        sleep=False,
        quiet=True,
        max_connection_attempts=1,
        request_timeout=timeout,
        rate_controller=lambda ctx: PacedController(ctx, pace, pace_factor),
    )
    context.scrub = lambda text: scrub_error(session, text)  # type: ignore[method-assign]
    if session_file is not None:
        cookies = read_session_file(session_file)
        scrubber = getattr(session, "scrubber", None)
        if scrubber is not None:
            scrubber.add(v for k, v in cookies.items() if k in SESSION_COOKIES and v)
        user = session_user or session_file.name.removeprefix("session-") or "session"
        if "csrftoken" not in cookies:
            cookies["csrftoken"] = ""
        context.load_session(user, cookies)
        known = _TOKENS.get(_digest(cookies["sessionid"]))
        if known is not None and time.monotonic() - known[0] < TOKEN_LIFETIME:
            context._web_api_tokens_cache[cookies["sessionid"]] = dict(known[1])
    return context


def keep_tokens(context: InstaloaderContext) -> None:
    """Remember the web app's tokens of the context's session for the next walk (in memory)."""
    for sessionid, tokens in context._web_api_tokens_cache.items():
        if sessionid:
            _TOKENS[_digest(sessionid)] = (time.monotonic(), dict(tokens))


def forget_tokens(context: InstaloaderContext) -> None:
    """Drop the remembered tokens (the session was refused)."""
    for sessionid in context._web_api_tokens_cache:
        _TOKENS.pop(_digest(sessionid), None)


def _digest(sessionid: str) -> str:
    return hashlib.sha256(sessionid.encode("utf-8")).hexdigest()


def typed(exc: BaseException, session: requests.Session, pace: PaceFile, *,
          pause_429: float, pause_wait: float, logged_in: bool) -> ConnectorError:  # fmt: skip
    """The typed error for what instaloader raised (its text scrubbed)."""
    if isinstance(exc, ConnectorError):
        return exc
    text = scrub_error(session, str(exc))
    chain = _chain(exc)
    if any(isinstance(e, il.TooManyRequestsException) for e in chain) or " 429 " in f" {text} ":
        return _held_off(pace, pause_429, f"Instagram answers 429 Too Many Requests: {text}",
                         "instagram.too_many_requests")  # fmt: skip
    if "401" in text and "wait a few minutes" in text.lower():
        return _held_off(pace, pause_wait,
                         f'Instagram answers 401 "Please wait a few minutes": {text}',
                         "instagram.please_wait")  # fmt: skip
    if any(c in text for c in CHALLENGES):
        return AuthError(
            f"Instagram wants a checkpoint (a human check of the login) before it answers: "
            f"log in with a browser from this server's address, confirm it, and renew the "
            f"session file ({text})",
            reason="instagram.checkpoint_required",
        )
    if isinstance(exc, il.LoginRequiredException) or (
        isinstance(exc, il.AbortDownloadException) and "login page" in text
    ):
        if logged_in:
            return AuthError(
                "Instagram sends the session to the login page: the session has expired or "
                "was logged out; renew the session file (instaloader --login USER)",
                reason="auth.session_expired",
            )
        return AuthError(
            "Instagram shows this profile only after a login: give the account a session_file "
            "(instaloader --login USER)",
            reason="instagram.login_required",
        )
    if isinstance(exc, il.LoginException):
        return AuthError(
            f"the Instagram login session is not accepted: {text}",
            reason="auth.session_expired",
        )
    if isinstance(exc, il.PrivateProfileNotFollowedException):
        return FatalError(
            "the profile is private and the session's user does not follow it",
            reason="instagram.private_profile",
        )
    if isinstance(exc, il.ProfileNotExistsException):
        return FatalError(
            f"the Instagram profile does not exist: {text}", reason="instagram.profile_missing"
        )
    status = _status_of(text)
    return TransientError(
        f"Instagram request failed: {text}",
        reason="net.http_status" if status else "instagram.bad_answer",
        params={"status": status, "host": "instagram.com"} if status else {},
    )


def _held_off(pace: PaceFile, seconds: float, message: str, reason: str) -> RateLimited:
    """Instagram asked us to stay away: no request for `seconds` (kept across restarts)."""
    pace.hold_off(seconds)
    return RateLimited(message, retry_after=seconds, reason=reason,
                       params={"seconds": round(seconds)})  # fmt: skip


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _status_of(text: str) -> int | None:
    """The HTTP status instaloader names in its error text ("... 503 Service Unavailable ...")."""
    for word in text.replace(":", " ").split():
        if len(word) == 3 and word.isdigit() and word[0] in "45":
            return int(word)
    return None


INSTALOADER_ERRORS: tuple[type[BaseException], ...] = (
    il.InstaloaderException,
    il.AbortDownloadException,
    requests.RequestException,
    ValueError,  # JSON decoding of a body that is not JSON
    KeyError,  # an answer without the keys instaloader expects
)
