"""Account tokens: refused in the TOML file, read only from environment variables or files.

Tokens are read lazily, when an account's run needs one (never by read-only verbs), so a missing
or unreadable token fails only that account's run. A token never appears in an error message;
the messages name the variable or the file instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Secret
from somed.config_errors import ConfigError, FileTooLarge, _format_loc, read_capped

if TYPE_CHECKING:
    from somed.config import AccountConfig, Config

TOKEN_MAX_BYTES = 64 << 10  # 64 KiB: access tokens are a few hundred bytes


class TokenError(ConfigError):
    """An account's token cannot be read: one line, plus a reason code and its parameters.

    Codes: `config.token_unset`, `config.token_empty`, `config.token_lines`,
    `config.token_missing`, `config.token_denied`, `config.token_unreadable`,
    `config.token_too_large`; `params` names the account and where its token is read from.
    """

    def __init__(
        self,
        file: Path | str,
        key: str | None,
        problem: str,
        fix: str | None = None,
        *,
        reason: str = "config.token_unreadable",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(file, key, problem, fix)
        self.reason = reason
        self.params = dict(params or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.file, self.key, self.problem, self.fix, self.reason, self.params))


def _rebuild(*args: Any) -> TokenError:
    file, key, problem, fix, reason, params = args
    return TokenError(file, key, problem, fix, reason=reason, params=params)


# Keys that would put a credential into the TOML file itself; refused wherever they appear.
SECRET_KEYS = frozenset(
    {"token", "access_token", "secret", "password", "app_secret", "client_secret", "api_key",
     "session_key"}
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
    return read_secret(
        config, index, account.key, "token", account.token_env, account.token_file, env
    )


def read_secret(
    config: Config,
    index: int,
    account_key: str,
    name: str,
    env_var: str | None,
    file: Path | None,
    env: Mapping[str, str],
) -> Secret:
    """Read the credential `name` of one account from `<name>_env` or `<name>_file`."""
    if env_var:
        key = f"accounts[{index}].{name}_env"
        params = {"account": account_key, "where": f"${env_var}"}

        def fail(problem: str, fix: str, reason: str) -> TokenError:
            return TokenError(config.path, key, problem, fix, reason=reason, params=params)

        value = env.get(env_var, "").strip()
        if not value:
            unset = env_var not in env
            state = "not set" if unset else "empty"
            problem = f"environment variable {env_var} is {state}"
            reason = "config.token_unset" if unset else "config.token_empty"
            raise fail(problem, f"export it, or use {name}_file", reason)
        if "\n" in value:
            problem = f"environment variable {env_var} holds more than one line"
            raise fail(problem, f"put only the {name} in it", "config.token_lines")
        return Secret(value)
    assert file is not None  # the model guarantees one source
    key = f"accounts[{index}].{name}_file"
    if not file.is_absolute():
        credentials = env.get("CREDENTIALS_DIRECTORY")
        file = (Path(credentials) if credentials else config.path.parent) / file
    params = {"account": account_key, "where": str(file)}

    def failed(problem: str, fix: str, reason: str) -> TokenError:
        return TokenError(config.path, key, problem, fix, reason=reason, params=params)

    try:
        text = read_capped(file, TOKEN_MAX_BYTES).decode("utf-8-sig").strip()
    except FileTooLarge as exc:
        problem = f"token file {file} is {exc}"
        raise failed(problem, "write only the token into it", "config.token_too_large") from None
    except FileNotFoundError:
        fix = "check it; a relative path starts at $CREDENTIALS_DIRECTORY, else the config folder"
        raise failed(f"token file {file} does not exist", fix, "config.token_missing") from None
    except IsADirectoryError:
        problem = f"token file {file} is a directory"
        raise failed(problem, "name the file holding the token", "config.token_missing") from None
    except PermissionError:
        problem = f"token file {file} is not readable: permission denied"
        fix = "let the user somed runs as read it, or pass it with systemd LoadCredential"
        raise failed(problem, fix, "config.token_denied") from None
    except OSError as exc:
        problem = f"token file {file} cannot be read: {exc.strerror}"
        raise failed(problem, "check the file", "config.token_unreadable") from None
    except UnicodeDecodeError:
        problem = f"token file {file} is not UTF-8 text"
        raise failed(problem, "write only the token into it", "config.token_unreadable") from None
    if not text:
        raise failed(f"token file {file} is empty", "write the token into it", "config.token_empty")
    if "\n" in text:
        problem = f"token file {file} holds more than one line"
        raise failed(problem, "put only the token in it", "config.token_lines")
    return Secret(text)
