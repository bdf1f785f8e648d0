"""A service credential named in the config by `<name>_env` or `<name>_file` (never its value).

Used for the SMTP password (`[notify]`), the web UI's session key and its single sign-on client
secret (`[web]`): read when needed, from the environment the config was loaded with, a relative
file from `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential`) or else the config's folder, with a
size limit; what is read joins the values the logs redact.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from connectors.base import Secret
from somed.config import Config
from somed.config_errors import ConfigError, FileTooLarge, read_capped
from somed.logs import update_secrets

SECRET_MAX_BYTES = 4096


def read_config_secret(
    config: Config,
    at: str,
    env_var: str | None,
    file: Path | None,
    what: str,
    env: Mapping[str, str] | None = None,
) -> Secret | None:
    """The secret from `env_var` or `file` (None when neither is set); ConfigError naming `at`."""
    if env is None:  # the environment the config was loaded with, as for tokens
        env = getattr(config, "_env", None) or os.environ
    if env_var:
        value = env.get(env_var, "").strip()
        if not value:
            raise ConfigError(config.path, f"{at}_env",
                              f"environment variable {env_var} is not set or empty",
                              f"export it, or use {at.rsplit('.', 1)[-1]}_file")  # fmt: skip
    elif file:
        path = Path(file)
        if not path.is_absolute():
            credentials = env.get("CREDENTIALS_DIRECTORY")
            path = (Path(credentials) if credentials else config.path.parent) / path
        try:
            value = read_capped(path, SECRET_MAX_BYTES).decode("utf-8-sig").strip()
        except (OSError, FileTooLarge, UnicodeDecodeError) as exc:
            problem = f"{what} file {path} cannot be read ({type(exc).__name__})"
            fix = "check the file and that somed's user may read it"
            raise ConfigError(config.path, f"{at}_file", problem, fix) from None
        if not value or "\n" in value:
            raise ConfigError(config.path, f"{at}_file",
                              f"{what} file {path} is empty or holds more than one line",
                              f"write only the {what} into it")  # fmt: skip
    else:
        return None
    update_secrets([value])
    return Secret(value)
