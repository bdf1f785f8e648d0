"""Read somed's TOML configuration and validate it into typed objects; tokens are read lazily.

Every problem becomes one `ConfigError` line: `<file>: <key.path>: <what is wrong> (<how to fix>)`.
Tokens come only from environment variables or files, and never appear in errors, reprs or dumps.
The error lines are built in `somed.config_errors`, tokens read in `somed.config_tokens`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from connectors.base import AccountSpec, PlatformSettings, Secret
from connectors.registry import available as available_connectors
from connectors.registry import connector_class, known_platforms
from somed.config_capture import BrowserConfig, CaptureConfig
from somed.config_errors import (
    ConfigError,
    _from_validation_error,
    _invalid,
    _read_toml,
    _suggest,
    _unknown_key,
)
from somed.config_moderation import ModerationConfig
from somed.config_notify import AccountNotifyKeys, NotifyConfig, env_name_checked
from somed.config_register import (
    CommunicationPlan,
    MonitorsConfig,
    sender_link_checked,
    sender_text_checked,
)
from somed.config_retention import RetentionConfig
from somed.config_tokens import (
    SECRET_KEYS,
    TokenError,
    _reject_secrets,
    _resolve_token,
    read_secret,
)
from somed.config_web import WebConfig
from somed.logs import update_secrets

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "SECRET_KEYS",
    "AccountConfig",
    "BrowserConfig",
    "CaptureConfig",
    "Config",
    "ConfigError",
    "DaemonConfig",
    "LoggingConfig",
    "LoosePath",
    "MediaConfig",
    "MetricsConfig",
    "MonitoringConfig",
    "MonitorsConfig",
    "OrganisationConfig",
    "PlatformConfig",
    "RunnerConfig",
    "StorageConfig",
    "TokenError",
    "UiConfig",
    "default_config_path",
    "load_config",
]


def _api_versions(platform: str) -> tuple[str | None, str | None]:
    """(default API version, version pattern) as the platform's connector declares them."""
    try:
        cls = connector_class(platform)
    except KeyError:
        return None, None
    return cls.default_api_version, cls.api_version_pattern


DEFAULT_CONFIG_PATH = Path("/etc/somed/config.toml")
CONFIG_ENV = "SOMED_CONFIG"

_ACCOUNT_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_url(value: str, *, base: bool) -> str:
    """Return `value` if it is an http(s) URL with a host (a base URL: no query, no credentials)."""
    example = "e.g. http://127.0.0.1:8710" if base else "e.g. https://www.example.org/morakommun"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _invalid("not a valid URL", example) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
        raise _invalid("not an http(s) URL with a host", example)
    if base and (parts.username or parts.password):
        raise _invalid("credentials do not belong in the URL", "use token_env or token_file")
    if base and (parts.query or parts.fragment):
        raise _invalid("a base URL takes no query or fragment", example)
    return value


def _check_platform(name: str) -> str:
    """Return `name` if it is a known platform, else raise a validation error with a suggestion."""
    platforms = known_platforms()
    if name in platforms:
        return name
    known = ", ".join(platforms)
    close = _suggest(name, platforms)
    fix = f"did you mean {close!r}? known: {known}" if close else f"known platforms: {known}"
    raise _invalid(f"unknown platform {name!r}", fix)


LoosePath = Annotated[Path, Field(strict=False)]


def _path_not_blank(value: Any, fix: str) -> Any:
    """Refuse an empty or blank path string (a path key left empty by mistake)."""
    if isinstance(value, str) and not value.strip():
        raise _invalid("must not be empty", fix)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class StorageConfig(_Model):
    """`[storage]`: where the database, media, screenshots and bundles live."""

    dir: LoosePath

    @field_validator("dir", mode="before")
    @classmethod
    def _dir_not_empty(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise _invalid("must not be empty", 'give a folder, e.g. dir = "/var/lib/somed"')
        return value


class LoggingConfig(_Model):
    """`[logging]`: log line format and level."""

    format: Literal["plain", "json"] = "plain"
    level: Literal["debug", "info", "warning", "error"] = "info"


class UiConfig(_Model):
    """`[ui]`: the language people read reports and the web interface in."""

    language: Literal["sv", "en"] = "sv"


class OrganisationConfig(_Model):
    """`[organisation]`: the submitting organisation named in every registrar bundle."""

    name: str = Field(min_length=1)
    identification_code: str = Field(min_length=1)  # e.g. the organisationsnummer

    @field_validator("name", "identification_code")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise _invalid("must not be blank", 'e.g. name = "Mora kommun"')
        return value.strip()


class DaemonConfig(_Model):
    """`[daemon]`: how `somed run` schedules and stops work."""

    workers: int = Field(4, ge=1, le=32)
    stop_timeout_seconds: float = Field(8.0, gt=0, le=10)  # systemd waits 15 s, the promise is 10
    jitter_seconds: int = Field(60, ge=0, le=3600)
    misfire_grace_seconds: int = Field(3600, ge=1)
    tick_seconds: int = Field(60, ge=1, le=3600)  # how often the duties are asked what is due


class RunnerConfig(_Model):
    """`[runner]`: retries, backoff and pacing of one account's run."""

    max_attempts: int = Field(8, ge=1, le=100)
    backoff_base_seconds: float = Field(2.0, ge=0)
    backoff_max_seconds: float = Field(300.0, ge=0)
    max_wait_seconds: float = Field(900.0, ge=0)
    slow_down_at_percent: int = Field(80, ge=1, le=100)
    max_requests_per_run: int = Field(20_000, ge=1)  # per account and run: a fuse, not a pace
    max_repeated_pages: int = Field(10, ge=1, le=1000)  # pages in a row that bring nothing new
    writer_process: bool = True  # a first walk of a stream stores in a child process
    media_process: bool = True  # a run with many files downloads them in a child process
    streams_beside: bool = True  # streams a connector marks `beside` walk in threads of their own

    @model_validator(mode="after")
    def _backoff_order(self) -> RunnerConfig:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise _invalid(
                "must not be smaller than backoff_base_seconds",
                "raise it, or lower backoff_base_seconds",
                at="backoff_max_seconds",
            )
        return self


class MonitoringConfig(_Model):
    """`[monitoring]`: when `somed status` warns that a token is about to expire."""

    token_warning_days: int = Field(14, ge=0, le=365)


class MetricsConfig(_Model):
    """`[metrics]`: the optional Prometheus endpoint the daemon serves (off unless `listen`)."""

    listen: str | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _invalid(f"{value[:60]!r} is not HOST:PORT", 'e.g. listen = "127.0.0.1:9464"')
        return value


class PlatformConfig(_Model):
    """`[platforms.NAME]`: settings shared by every account on one platform."""

    api_version: str | None = None
    endpoint: str | None = None
    page_size: int = Field(100, ge=1, le=100)
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    deadline_seconds: float = Field(120.0, gt=0, le=3600)
    # snapshots: consent buttons tried after the platform's own, and a logged-in browser state
    # (a Playwright storage-state JSON file: a secret, read like a token file)
    consent_selectors: list[str] = Field(default_factory=list, max_length=50)
    storage_state_file: LoosePath | None = None

    @field_validator("consent_selectors")
    @classmethod
    def _selectors(cls, value: list[str]) -> list[str]:
        for i, selector in enumerate(value):
            if not selector.strip() or len(selector) > 500 or "\n" in selector:
                raise _invalid(
                    "not a selector", 'give one CSS or Playwright selector per entry, e.g. '
                    '\'button:has-text("Avvisa alla")\'', at=f"[{i}]",
                )  # fmt: skip
        return value

    @field_validator("storage_state_file", mode="before")
    @classmethod
    def _state_file_not_empty(cls, value: Any) -> Any:
        return _path_not_blank(value, "give the path of the browser state file")

    @field_validator("api_version")
    @classmethod
    def _api_version_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise _invalid("must not be empty", "leave it out to use the default")
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, base=True).rstrip("/")


DEFAULT_PARALLEL_DOWNLOADS = 2


class MediaConfig(_Model):
    """`[media]`: size caps of downloaded attachments, per kind, a download's deadline, and
    how many files are downloaded at once."""

    max_image_mb: int = Field(50, ge=1, le=100_000)
    max_video_mb: int = Field(2048, ge=1, le=100_000)
    max_other_mb: int = Field(200, ge=1, le=100_000)
    deadline_seconds: float = Field(1800.0, gt=0, le=86_400)
    # files of one run downloaded at once; each more costs CPU on a busy 2-core server (the
    # threads take turns with the interpreter lock), each fewer costs time on a slow CDN
    parallel_downloads: int = Field(DEFAULT_PARALLEL_DOWNLOADS, ge=1, le=16)


class AccountConfig(AccountNotifyKeys, _Model):
    """`[[accounts]]`: one archived account, who answers for it and how often it is read."""

    key: str
    platform: str
    id: str
    url: str | None = None
    token_env: str | None = None
    token_file: LoosePath | None = None
    owner: str | None = None
    editor: str | None = None
    substitute: str | None = None
    purpose: str | None = None
    audience: str | None = None
    start_date: date | None = None
    status: Literal["active", "closing", "closed"] = "active"
    plan: CommunicationPlan | None = None
    interval_minutes: int = Field(15, ge=1, le=1440)  # default: the connector's streams
    refetch_window_days: int = Field(90, ge=0, le=3650)
    deep_sweep_days: int = Field(7, ge=0, le=3650)
    streams: list[str] | None = None
    enabled: bool = True
    sender_text: str | None = None
    sender_link: str | None = None
    inactive_months: int | None = Field(None, ge=1, le=120)
    min_posts_per_week: float | None = Field(None, ge=0)  # response keys: AccountNotifyKeys
    # the connector's own keys (its `options_model`) and where its extra credentials are read
    # (`<name>_env` / `<name>_file` of its `secret_names`), both taken from the account table
    connector_options: dict[str, Any] = Field(default_factory=dict)
    secret_sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _connector_keys(cls, data: Any) -> Any:
        """Move the keys the platform's connector declares out of the account table."""
        if not isinstance(data, dict):
            return data
        for internal in ("connector_options", "secret_sources"):
            if internal in data:
                raise _invalid(f"unknown key {internal!r}", "remove it", at=internal)
        platform = data.get("platform")
        if not isinstance(platform, str) or platform not in available_connectors():
            return data
        connector = connector_class(platform)
        model = connector.options_model
        option_names = set(model.model_fields) if model is not None else set()
        secret_keys = {f"{n}_{how}" for n in connector.secret_names for how in ("env", "file")}
        rest = {k: v for k, v in data.items() if k not in option_names | secret_keys}
        options = {k: v for k, v in data.items() if k in option_names}
        sources = {k: v for k, v in data.items() if k in secret_keys}
        return {**rest, "connector_options": options, "secret_sources": sources}

    @model_validator(mode="before")
    @classmethod
    def _default_interval(cls, data: Any) -> Any:
        """Without `interval_minutes`, poll as often as the connector's streams suggest."""
        if not isinstance(data, dict) or "interval_minutes" in data:
            return data
        platform = data.get("platform")
        if not isinstance(platform, str) or platform not in available_connectors():
            return data
        streams = data.get("streams")
        wanted = streams if isinstance(streams, list) else None
        interval = connector_class(platform).default_interval(wanted)
        return {**data, "interval_minutes": max(1, int(interval.total_seconds() // 60))}

    @field_validator("key")
    @classmethod
    def _key_format(cls, value: str) -> str:
        if not _ACCOUNT_KEY.match(value):
            raise _invalid(
                f"{value[:70]!r} is not a valid account key",
                "use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            )
        return value

    @field_validator("platform")
    @classmethod
    def _platform_known(cls, value: str) -> str:
        _check_platform(value)
        if value not in available_connectors():
            raise _invalid(
                f"no connector for platform {value!r} in this version of somed",
                f"installed connectors: {', '.join(sorted(available_connectors()))}",
            )
        return value

    @field_validator("id")
    @classmethod
    def _id_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise _invalid("must not be empty", "give the platform's id or handle of the account")
        return value

    @field_validator("url")
    @classmethod
    def _url_format(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, base=False)

    @field_validator("sender_text")
    @classmethod
    def _sender_text(cls, value: str | None) -> str | None:
        return sender_text_checked(value)

    @field_validator("sender_link")
    @classmethod
    def _sender_link(cls, value: str | None) -> str | None:
        return sender_link_checked(value)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        fix = "give the variable's name, e.g. SOMED_MORA_FB_TOKEN, never the token itself"
        return env_name_checked(value, fix)

    @field_validator("token_file", mode="before")
    @classmethod
    def _file_not_empty(cls, value: Any) -> Any:
        return _path_not_blank(value, "give the path of the file holding the token")

    @field_validator("streams")
    @classmethod
    def _streams_list(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise _invalid("must not be empty", "leave streams out to read every stream")
        for i, name in enumerate(value):
            if not name.strip():
                raise _invalid("must not be empty", 'name a stream, e.g. "posts"', at=f"[{i}]")
            if name in value[:i]:
                raise _invalid(f"stream {name!r} is listed twice", "list it once", at=f"[{i}]")
        return value

    @model_validator(mode="after")
    def _valid_connector_keys(self) -> AccountConfig:
        """Validate the connector's own keys with its model, and its credential sources."""
        connector = connector_class(self.platform)
        for name in connector.secret_names:
            env_var = self.secret_sources.get(f"{name}_env")
            file = self.secret_sources.get(f"{name}_file")
            if env_var is not None and file is not None:
                problem = f"account {self.key!r} sets both {name}_env and {name}_file"
                raise _invalid(problem, "keep only one of them")
            if env_var is not None and not _ENV_NAME.match(env_var):
                raise _invalid(
                    "not a valid environment variable name",
                    "give the variable's name, never the credential itself",
                    at=f"{name}_env",
                )
            if file is not None and not file.strip():
                raise _invalid("must not be empty", "give the path of the file", at=f"{name}_file")
        model = connector.options_model
        if model is None:
            return self
        try:
            checked = model.model_validate(self.connector_options)
        except ValidationError as exc:
            error = exc.errors()[0]
            at = ".".join(str(part) for part in error["loc"]) or None
            fix = f"see the {connector.display_name or self.platform} keys in docs/configuration.md"
            raise _invalid(error["msg"][:200], fix, at=at) from None
        return self.model_copy(update={"connector_options": checked.model_dump()})

    @model_validator(mode="after")
    def _one_token_source(self) -> AccountConfig:
        if self.token_env and self.token_file:
            problem = f"account {self.key!r} sets both token_env and token_file"
            raise _invalid(problem, "keep only one of them")
        required = connector_class(self.platform).token_required(self.connector_options)
        if required and not self.token_env and not self.token_file:
            problem = f"account {self.key!r} has no token source"
            raise _invalid(problem, "set token_env or token_file")
        return self

    @model_validator(mode="after")
    def _streams_offered(self) -> AccountConfig:
        offered = connector_class(self.platform).stream_names()
        unknown = [name for name in self.streams or [] if name not in offered]
        if unknown:
            raise _invalid(
                f"{self.platform} has no stream {unknown[0]!r}",
                f"choose from {', '.join(offered)}",
                at="streams",
            )
        return self


class Config(_Model):
    """The whole validated configuration; account tokens are read beside it when first needed."""

    path: LoosePath
    storage: StorageConfig
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    organisation: OrganisationConfig | None = None  # required by `somed bundle` only
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    capture: CaptureConfig = Field(default_factory=CaptureConfig)
    browser: BrowserConfig = Field(default_factory=BrowserConfig)
    monitors: MonitorsConfig = Field(default_factory=MonitorsConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    moderation: ModerationConfig = Field(default_factory=ModerationConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    platforms: dict[str, PlatformConfig] = Field(default_factory=dict)
    accounts: list[AccountConfig] = Field(default_factory=list)

    # Tokens live here, never in a field, so no repr or model dump can show them.
    _tokens: dict[str, Secret] = PrivateAttr(default_factory=dict)
    _env: Mapping[str, str] | None = PrivateAttr(default=None)

    @field_validator("path")
    @classmethod
    def _absolute_path(cls, value: Path) -> Path:
        return value.absolute()

    @field_validator("storage")
    @classmethod
    def _storage_relative_to_file(cls, value: StorageConfig, info: ValidationInfo) -> StorageConfig:
        path = info.data.get("path")
        if path is None or value.dir.is_absolute():
            return value
        return value.model_copy(update={"dir": path.parent / value.dir})

    @field_validator("platforms", mode="before")
    @classmethod
    def _platform_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name in value:
                try:
                    _check_platform(name)
                except PydanticCustomError as exc:
                    raise _invalid(exc.context["problem"], exc.context["fix"], at=name) from None
        return value

    @field_validator("platforms")
    @classmethod
    def _platform_versions(cls, value: dict[str, PlatformConfig]) -> dict[str, PlatformConfig]:
        result = dict(value)
        for name, settings in value.items():
            default, pattern = _api_versions(name)
            if settings.api_version is None and default is not None:
                result[name] = settings.model_copy(update={"api_version": default})
            version = settings.api_version
            if pattern and version is not None and not re.match(pattern, version):
                raise _invalid(
                    f"{version[:40]!r} is not a {name} API version",
                    f"write it like {default or 'v21.0'!r}",
                    at=f"{name}.api_version",
                )
        return result

    @field_validator("accounts")
    @classmethod
    def _unique_keys(cls, value: list[AccountConfig]) -> list[AccountConfig]:
        seen: set[str] = set()
        for i, account in enumerate(value):
            if account.key in seen:
                raise _invalid(
                    f"duplicate account key {account.key!r}",
                    "each account needs its own key",
                    at=f"[{i}].key",
                )
            seen.add(account.key)
        return value

    @property
    def storage_dir(self) -> Path:
        """Return the folder holding the database, media, screenshots and bundles."""
        return self.storage.dir

    @property
    def db_path(self) -> Path:
        """Return the path of the SQLite database."""
        return self.storage.dir / "somed.db"

    def account(self, key: str) -> AccountConfig:
        """Return the account with this key; raise KeyError if there is none."""
        for account in self.accounts:
            if account.key == key:
                return account
        raise KeyError(f"no account {key!r} in {self.path}")

    def organisation_required(self) -> OrganisationConfig:
        """`[organisation]`, or a ConfigError naming the missing key (bundles need it)."""
        if self.organisation is None:
            raise ConfigError(
                self.path,
                "organisation.name",
                "missing: a registrar bundle names the submitting organisation",
                'add [organisation] with name = "Mora kommun" and identification_code = '
                '"212000-2080" (the organisation number), see docs/configuration.md',
            )
        return self.organisation

    def enabled_accounts(self) -> list[AccountConfig]:
        """Return the accounts that are not switched off with `enabled = false`."""
        return [account for account in self.accounts if account.enabled]

    def token(self, key: str) -> Secret:
        """Return the account's token, read on first use; raise TokenError if it cannot be read.

        Only a run needs a token, so read-only verbs never read one, and a missing token fails
        only its own account's run. A token read here is added to what the logs redact.
        """
        account = self.account(key)
        secret = self._tokens.get(key)
        if secret is None:
            if not account.token_env and not account.token_file:
                return Secret("")  # the connector needs none for this account
            env = os.environ if self._env is None else self._env
            secret = _resolve_token(self, self.accounts.index(account), account, env)
            self._tokens[key] = secret
            update_secrets([secret.reveal()])
        return secret

    def secrets(self, key: str) -> dict[str, Secret]:
        """Return the account's extra credentials (its connector's `secret_names`) it sets.

        Read on first use like the token; raise TokenError if one cannot be read.
        """
        account = self.account(key)
        found: dict[str, Secret] = {}
        for name in connector_class(account.platform).secret_names:
            cache_key = f"{key}\0{name}"
            secret = self._tokens.get(cache_key)
            env_var = account.secret_sources.get(f"{name}_env")
            file = account.secret_sources.get(f"{name}_file")
            if secret is None and (env_var or file):
                env = os.environ if self._env is None else self._env
                index = self.accounts.index(account)
                path = Path(file) if file else None
                secret = read_secret(self, index, key, name, env_var, path, env)
                self._tokens[cache_key] = secret
                update_secrets([secret.reveal()])
            if secret is not None:
                found[name] = secret
        return found

    def secret_values(self) -> list[str]:
        """Return every credential read so far, so the log filter can redact them."""
        return [secret.reveal() for secret in self._tokens.values() if secret.reveal()]

    def account_spec(self, key: str) -> AccountSpec:
        """Return what a connector needs to know about the account with this key."""
        account = self.account(key)
        streams = None if account.streams is None else list(account.streams)
        return AccountSpec(
            key=account.key,
            platform=account.platform,
            platform_id=account.id,
            token=self.token(key),
            url=account.url,
            options={
                **account.connector_options,
                "refetch_window_days": account.refetch_window_days,
                "streams": streams,
            },
            secrets=self.secrets(key),
            state_dir=self.storage_dir / "state" / account.key,
        )

    def platform_settings(self, platform: str) -> PlatformSettings:
        """Return the `[platforms.NAME]` settings, or the defaults when the table is missing."""
        settings = self.platforms.get(platform) or PlatformConfig()
        return PlatformSettings(
            api_version=settings.api_version or _api_versions(platform)[0],
            endpoint=settings.endpoint,
            page_size=settings.page_size,
            timeout_seconds=float(settings.timeout_seconds),
            options={"slow_down_at_percent": self.runner.slow_down_at_percent},
        )


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Return `$SOMED_CONFIG` if set, else /etc/somed/config.toml."""
    env = os.environ if env is None else env
    value = env.get(CONFIG_ENV, "").strip()
    return Path(value) if value else DEFAULT_CONFIG_PATH


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (tokens are not read here); raise ConfigError."""
    env = os.environ if env is None else env
    path = Path(path)
    raw = _read_toml(path)
    _reject_secrets(path, raw, ())
    if "path" in raw:
        raise _unknown_key(path, ("path",), Config)
    try:
        config = Config.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise _from_validation_error(path, exc, Config) from None
    config._env = env  # tokens are read when a run needs them: see `Config.token`
    return config
