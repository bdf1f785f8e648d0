"""Account tokens: refused in the TOML file, read only from environment variables or files.

A token never appears in an error message; the messages name the variable or the file instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Secret
from somed.config_errors import ConfigError, _format_loc

if TYPE_CHECKING:
    from somed.config import AccountConfig, Config

# Keys that would put a credential into the TOML file itself; refused wherever they appear.
SECRET_KEYS = frozenset(
    {"token", "access_token", "secret", "password", "app_secret", "client_secret", "api_key"}
)


def _reject_secrets(path: Path, data: Any, loc: tuple[str | int, ...]) -> None:
    """Raise ConfigError if a key anywhere in the TOML looks like it holds a secret."""
    if isinstance(data, dict):
        for name, value in data.items():
            if name.lower() in SECRET_KEYS:
                problem = "secrets are not read from the config file"
                raise ConfigError(
                    path, _format_loc((*loc, name)), problem, "use token_env or token_file"
                )
            _reject_secrets(path, value, (*loc, name))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _reject_secrets(path, value, (*loc, i))


def _resolve_token(
    config: Config, index: int, account: AccountConfig, env: Mapping[str, str]
) -> Secret:
    """Read one account's token from its environment variable or file."""
    if account.token_env:
        key = f"accounts[{index}].token_env"
        value = env.get(account.token_env, "").strip()
        if not value:
            state = "is empty" if account.token_env in env else "is not set"
            problem = f"environment variable {account.token_env} {state}"
            raise ConfigError(config.path, key, problem, "export it, or use token_file")
        if "\n" in value:
            problem = f"environment variable {account.token_env} holds more than one line"
            raise ConfigError(config.path, key, problem, "put only the token in it")
        return Secret(value)
    assert account.token_file is not None  # the model guarantees one source
    key = f"accounts[{index}].token_file"
    file = account.token_file
    if not file.is_absolute():
        credentials = env.get("CREDENTIALS_DIRECTORY")
        file = (Path(credentials) if credentials else config.path.parent) / file
    try:
        text = file.read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        fix = "check it; a relative path starts at $CREDENTIALS_DIRECTORY, else the config folder"
        raise ConfigError(config.path, key, f"token file {file} does not exist", fix) from None
    except IsADirectoryError:
        problem = f"token file {file} is a directory"
        raise ConfigError(config.path, key, problem, "name the file holding the token") from None
    except PermissionError:
        problem = f"token file {file} is not readable: permission denied"
        fix = "let the user somed runs as read it, or pass it with systemd LoadCredential"
        raise ConfigError(config.path, key, problem, fix) from None
    except OSError as exc:
        problem = f"token file {file} cannot be read: {exc.strerror}"
        raise ConfigError(config.path, key, problem, "check the file") from None
    except UnicodeDecodeError:
        problem = f"token file {file} is not UTF-8 text"
        raise ConfigError(config.path, key, problem, "write only the token into it") from None
    if not text:
        raise ConfigError(
            config.path, key, f"token file {file} is empty", "write the token into it"
        )
    if "\n" in text:
        problem = f"token file {file} holds more than one line"
        raise ConfigError(config.path, key, problem, "put only the token in it")
    return Secret(text)
