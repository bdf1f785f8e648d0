"""What the capture of one account needs from the config: its hints and its browser state.

`account_hints` is the platform's `CaptureHints` with the `[platforms.NAME] consent_selectors`
added after the defaults. `storage_state` reads `[platforms.NAME] storage_state_file`, a
Playwright storage-state JSON (a logged-in browser's cookies and local storage): a secret, read
like a token file (size-capped, a relative path starts at `$CREDENTIALS_DIRECTORY`, else the
config's folder), whose cookie values are added to what the logs redact and which is never
stored, logged or shown. Errors are `TokenError`s naming the file, never its content.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from connectors.capture_hints import CaptureHints
from connectors.registry import connector_class
from somed.config import Config
from somed.config_errors import FileTooLarge, read_capped
from somed.config_tokens import TokenError
from somed.logs import update_secrets

STATE_MAX_BYTES = 4 << 20  # 4 MiB: cookies and local storage of one site
ANONYMOUS = "anonymous"


def account_hints(config: Config, key: str) -> CaptureHints | None:
    """The account's capture hints with the configured consent selectors (None: no capture)."""
    platform = config.account(key).platform
    hints = connector_class(platform).capture_hints
    settings = config.platforms.get(platform)
    if hints is None or settings is None or not settings.consent_selectors:
        return hints
    return hints.with_consent(settings.consent_selectors)


def account_page(config: Config, key: str) -> str:
    """The account's public page: its `url`, else its platform's address of its id."""
    account = config.account(key)
    hints = connector_class(account.platform).capture_hints
    if hints is None:
        raise ValueError(f"{account.platform} pages cannot be captured")
    return hints.page_url(account.id, account.url)


def state_file(config: Config, key: str) -> Path | None:
    """Where the account's platform keeps its logged-in browser state (None: anonymous)."""
    settings = config.platforms.get(config.account(key).platform)
    if settings is None or settings.storage_state_file is None:
        return None
    path = settings.storage_state_file
    if not path.is_absolute():
        env = os.environ if config._env is None else config._env  # noqa: SLF001 - the config's own
        credentials = env.get("CREDENTIALS_DIRECTORY")
        path = (Path(credentials) if credentials else config.path.parent) / path
    return path


def identity(config: Config, key: str) -> str:
    """Who the capture is made as: "anonymous", or the name of the browser state file."""
    path = state_file(config, key)
    return ANONYMOUS if path is None else path.stem


def storage_state(config: Config, key: str) -> dict[str, Any] | None:
    """Read the account's platform's browser state (None: anonymous); raise TokenError."""
    path = state_file(config, key)
    if path is None:
        return None
    platform = config.account(key).platform
    where = f"platforms.{platform}.storage_state_file"
    params = {"account": key, "platform": platform, "where": str(path)}

    def failed(problem: str, fix: str, code: str) -> TokenError:
        return TokenError(config.path, where, problem, fix, reason=code,
                          params=params)  # fmt: skip

    try:
        data = read_capped(path, STATE_MAX_BYTES)
    except FileTooLarge as exc:
        raise failed(f"browser state file {path} is {exc}", "save only one site's state",
                     "config.storage_state_too_large") from None  # fmt: skip
    except (FileNotFoundError, IsADirectoryError):
        fix = "save it with Playwright's context.storage_state(path=...) after logging in"
        problem = f"browser state file {path} does not exist"
        raise failed(problem, fix, "config.storage_state_missing") from None
    except PermissionError:
        fix = "let the user somed runs as read it, or pass it with systemd LoadCredential"
        problem = f"browser state file {path} is not readable"
        raise failed(problem, fix, "config.storage_state_denied") from None
    except OSError as exc:
        problem = f"browser state file {path} cannot be read: {exc.strerror}"
        raise failed(problem, "check the file", "config.storage_state_unreadable") from None
    try:
        state = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        state = None
    if not _valid(state):
        fix = "save it with Playwright's context.storage_state(path=...)"
        raise failed(f"browser state file {path} is not a Playwright storage state", fix,
                     "config.storage_state_invalid")  # fmt: skip
    update_secrets([c["value"] for c in state["cookies"] if len(c["value"]) >= 8])
    return state


def _valid(state: Any) -> bool:
    """Whether `state` has the shape of a Playwright storage state."""
    if not isinstance(state, dict):
        return False
    cookies, origins = state.get("cookies", []), state.get("origins", [])
    if not isinstance(cookies, list) or not isinstance(origins, list):
        return False
    return all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("value"), str)
        for c in cookies
    ) and all(isinstance(o, dict) and isinstance(o.get("origin"), str) for o in origins)
