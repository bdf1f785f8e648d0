"""somed.config: loading, validation errors as one line, token handling, and the docs test."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from connectors.base import AccountSpec, PlatformSettings, Secret
from connectors.registry import available, connector_class
from somed.config import (
    AccountConfig,
    Config,
    ConfigError,
    PlatformConfig,
    StorageConfig,
    TokenError,
    default_config_path,
    load_config,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
DOCS = ROOT / "docs" / "configuration.md"

TOKEN = "EAAB-very-secret-token-4711"
ENV = {"SOMED_FB_TOKEN": TOKEN}

STORAGE = '[storage]\ndir = "/var/lib/somed"\n'
ACCOUNT = """
[[accounts]]
key = "mora-fb"
platform = "facebook"
id = "100200300"
token_env = "SOMED_FB_TOKEN"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV if env is None else env)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{path}: ")
    assert TOKEN not in message
    assert "Traceback" not in message
    return message


# --- the example, the docs and the models agree ---------------------------------------------


def config_tables() -> dict[str, type[BaseModel]]:
    """Map each TOML table of the schema to the model validating it, by walking Config."""
    tables: dict[str, type[BaseModel]] = {}
    for name, field in Config.model_fields.items():
        annotation: Any = field.annotation
        if get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            tables[name] = annotation
            for sub, inner in annotation.model_fields.items():  # [[retention.rules]]
                args = get_args(inner.annotation)
                if (
                    get_origin(inner.annotation) is list
                    and args
                    and isinstance(args[0], type)
                    and issubclass(args[0], BaseModel)
                ):
                    tables[f"{name}.{sub}"] = args[0]
    return tables


def table_of(header: str) -> str:
    """The schema table a TOML header names: `retention.rules` is one, `platforms.x` is not."""
    return header if header in config_tables() else header.split(".")[0]


def example_keys() -> dict[str, set[str]]:
    """Keys per table in the example, including commented-out `# key = value` lines."""
    keys: dict[str, set[str]] = {}
    table = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\[\[?([a-z_]+(?:\.[a-z_]+)?)[.\]]", line)
        if header:
            table = table_of(header.group(1))
            continue
        key = re.match(r"^#?\s*([a-z_]+)\s*=", line)
        if key and table:
            keys.setdefault(table, set()).add(key.group(1))
    return keys


def documented_keys() -> dict[str, set[str]]:
    """Keys per table in the docs: first-column entries of the table under each heading."""
    keys: dict[str, set[str]] = {}
    table = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#+ `\[\[?([a-z_]+(?:\.[a-z_]+)?)[.\]]", line)
        if heading:
            table = table_of(heading.group(1))
            continue
        if line.startswith("#"):
            table = None
        row = re.match(r"^\| `([a-z_]+)` \|", line)
        if row and table:
            keys.setdefault(table, set()).add(row.group(1))
    return keys


def test_example_config_loads(tmp_path: Path) -> None:
    """The example reads its token as the README's install hands it over (LoadCredential)."""
    (tmp_path / "mora-fb").write_text(TOKEN + "\n", encoding="utf-8")
    config = load_config(EXAMPLE, {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert config.storage_dir == Path("/var/lib/somed")
    assert config.db_path == Path("/var/lib/somed/somed.db")
    account = config.account("mora-fb")
    assert account.platform == "facebook" and account.id == "100200300"
    assert config.platform_settings("facebook").api_version == "v21.0"
    assert config.token("mora-fb").reveal() == TOKEN


def test_every_example_key_is_documented() -> None:
    documented = documented_keys()
    parsed = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(parsed) <= set(documented), "a table in the example has no docs section"
    for table, keys in example_keys().items():
        missing = keys - documented.get(table, set())
        assert not missing, f"[{table}] keys missing from docs/configuration.md: {missing}"


def test_every_model_field_is_in_example_and_docs() -> None:
    in_example = example_keys()
    documented = documented_keys()
    tables = config_tables()
    for table, model in tables.items():
        names = {f.alias or n for n, f in model.model_fields.items()}  # `from` for `sender`
        fields = names - CONNECTOR_KEY_HOLDERS
        nested = {name for name in fields if f"{table}.{name}" in tables}  # [[table.name]]s
        assert fields - nested <= in_example.get(table, set()), f"[{table}] not all in the example"
        assert fields <= documented.get(table, set()), f"[{table}] not all in the docs"
        extra = documented.get(table, set()) - fields - connector_keys(table)
        assert not extra, f"[{table}] docs describe keys the schema lacks: {extra}"


def connector_keys(table: str) -> set[str]:
    """The account keys the registered connectors declare (documented per platform)."""
    if table != "accounts":
        return set()
    keys: set[str] = set()
    for platform in available():
        connector = connector_class(platform)
        model = connector.options_model
        keys |= set(model.model_fields if model is not None else ())
        keys |= {f"{n}_{s}" for n in connector.secret_names for s in ("env", "file")}
    return keys


# fields that hold the connectors' own keys: the keys are documented, not the holders
CONNECTOR_KEY_HOLDERS = {"connector_options", "secret_sources"}


def test_every_connector_key_is_in_the_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for platform in available():
        connector = connector_class(platform)
        model = connector.options_model
        names = [*(model.model_fields if model is not None else ()),
                 *(f"{n}_env" for n in connector.secret_names)]  # fmt: skip
        missing = [name for name in names if f"`{name}`" not in text]
        assert not missing, f"{platform}: account keys not in docs/configuration.md: {missing}"


def test_docs_mention_secrets_and_reload() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for phrase in ("token_env", "token_file", "LoadCredential", "CREDENTIALS_DIRECTORY", "SIGHUP"):
        assert phrase in text


# --- good configs ----------------------------------------------------------------------------


def test_minimal_config_takes_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STORAGE), {})
    assert config.accounts == [] and config.enabled_accounts() == []
    assert config.logging.format == "plain" and config.logging.level == "info"
    assert config.ui.language == "sv"
    assert config.daemon.workers == 4 and config.daemon.jitter_seconds == 60
    assert config.daemon.stop_timeout_seconds == 8 and config.daemon.misfire_grace_seconds == 3600
    assert config.runner.max_attempts == 8 and config.runner.max_wait_seconds == 900.0
    assert config.runner.slow_down_at_percent == 80
    assert config.platforms == {}
    pacing = {"slow_down_at_percent": 80}
    assert config.platform_settings("facebook") == PlatformSettings(
        api_version="v21.0", options=pacing
    )
    assert config.platform_settings("youtube") == PlatformSettings(api_version="v3", options=pacing)


def test_relative_storage_dir_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[storage]\ndir = "data"\n'), {})
    assert config.storage_dir == tmp_path / "data"
    assert config.db_path == tmp_path / "data" / "somed.db"
    assert config.path == tmp_path / "config.toml"


def test_platform_table(tmp_path: Path) -> None:
    text = (
        STORAGE
        + """
[platforms.facebook]
endpoint = "http://127.0.0.1:8710/"
page_size = 25
timeout_seconds = 5
"""
    )
    config = load_config(write(tmp_path, text), {})
    assert config.platforms["facebook"].api_version == "v21.0"
    settings = config.platform_settings("facebook")
    assert settings == PlatformSettings(
        api_version="v21.0",
        endpoint="http://127.0.0.1:8710",
        page_size=25,
        timeout_seconds=5.0,
        options={"slow_down_at_percent": 80},
    )


def test_accounts_specs_and_lookup(tmp_path: Path) -> None:
    text = (
        STORAGE
        + ACCOUNT
        + """
url = "https://www.facebook.com/morakommun"
streams = ["posts", "messages"]
refetch_window_days = 30
sender_text = "Mora kommun"
min_posts_per_week = 3
response_limit_hours = 24

[[accounts]]
key = "mora-ig"
platform = "facebook"
id = "100200301"
token_env = "SOMED_IG_TOKEN"
enabled = false
"""
    )
    config = load_config(write(tmp_path, text), ENV)
    assert [a.key for a in config.enabled_accounts()] == ["mora-fb"]
    account = config.account("mora-fb")
    assert account.sender_text == "Mora kommun"
    assert account.min_posts_per_week == 3 and account.response_limit_hours == 24
    spec = config.account_spec("mora-fb")
    assert isinstance(spec, AccountSpec) and isinstance(spec.token, Secret)
    assert spec.platform == "facebook" and spec.platform_id == "100200300"
    assert spec.url == "https://www.facebook.com/morakommun"
    assert spec.token.reveal() == TOKEN
    assert spec.options == {"refetch_window_days": 30, "streams": ["posts", "messages"]}
    with pytest.raises(KeyError):
        config.account("nope")
    # A disabled account's token is not needed to load, only to use it.
    with pytest.raises(ConfigError, match=r"accounts\[1\]\.token_env: .*SOMED_IG_TOKEN is not set"):
        config.token("mora-ig")


def test_token_file_relative_to_credentials_directory(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "mora-fb").write_text(f"  {TOKEN}\n", encoding="utf-8")
    text = STORAGE + ACCOUNT.replace('token_env = "SOMED_FB_TOKEN"', 'token_file = "mora-fb"')
    config = load_config(write(tmp_path, text), {"CREDENTIALS_DIRECTORY": str(credentials)})
    assert config.token("mora-fb").reveal() == TOKEN


def test_token_file_relative_to_config_folder(tmp_path: Path) -> None:
    (tmp_path / "fb.token").write_text(TOKEN, encoding="utf-8")
    text = STORAGE + ACCOUNT.replace('token_env = "SOMED_FB_TOKEN"', 'token_file = "fb.token"')
    config = load_config(write(tmp_path, text), {})
    assert config.token("mora-fb").reveal() == TOKEN


def test_default_config_path() -> None:
    assert default_config_path({}) == Path("/etc/somed/config.toml")
    assert default_config_path({"SOMED_CONFIG": "/tmp/x.toml"}) == Path("/tmp/x.toml")


def test_integer_is_accepted_for_a_number(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STORAGE + "[runner]\nbackoff_base_seconds = 1\n"), {})
    assert config.runner.backoff_base_seconds == 1.0


# --- bad configs: one line naming file and key --------------------------------------------------

BAD = {
    "unknown key": (
        ACCOUNT.replace("token_env", "tokn_env"),
        "accounts[0].tokn_env: unknown key (did you mean 'token_env'?)",
    ),
    "unknown table": ("[acounts]\n", "acounts: unknown key (did you mean 'accounts'?)"),
    "wrong type": (
        ACCOUNT + 'interval_minutes = "15"\n',
        "accounts[0].interval_minutes: expected an integer, got a string",
    ),
    "decimal for integer": ("[daemon]\nworkers = 4.0\n", "daemon.workers: expected an integer"),
    "string for boolean": (ACCOUNT + 'enabled = "yes"\n', "accounts[0].enabled: expected true"),
    "out of range": (
        "[daemon]\nworkers = 0\n",
        "daemon.workers: 0 is out of range (use a value from 1 to 32)",
    ),
    "bad literal": ('[logging]\nlevel = "verbose"\n', "logging.level: 'verbose' is not allowed"),
    "duplicate account key": (
        ACCOUNT + ACCOUNT,
        "accounts[1].key: duplicate account key 'mora-fb' (each account needs its own key)",
    ),
    "bad account key": (
        ACCOUNT.replace('"mora-fb"', '"Mora FB"'),
        "accounts[0].key: 'Mora FB' is not a valid account key",
    ),
    "token in toml": (
        ACCOUNT + f'token = "{TOKEN}"\n',
        "accounts[0].token: secrets are not read from the config file"
        " (use token_env or token_file)",
    ),
    "access_token in platform": (
        f'[platforms.facebook]\naccess_token = "{TOKEN}"\n',
        "platforms.facebook.access_token: secrets are not read from the config file",
    ),
    "password": (f'[ui]\npassword = "{TOKEN}"\n', "ui.password: secrets are not read"),
    "bad endpoint scheme": (
        '[platforms.facebook]\nendpoint = "ftp://graph.example"\n',
        "platforms.facebook.endpoint: not an http(s) URL with a host",
    ),
    "endpoint without host": (
        '[platforms.facebook]\nendpoint = "http://"\n',
        "platforms.facebook.endpoint: not an http(s) URL with a host",
    ),
    "bad api_version": (
        '[platforms.facebook]\napi_version = "21.0"\n',
        "platforms.facebook.api_version: '21.0' is not a facebook API version",
    ),
    "unknown platform": (
        ACCOUNT.replace('"facebook"', '"facebok"'),
        "accounts[0].platform: unknown platform 'facebok' (did you mean 'facebook'?",
    ),
    "unknown platform table": (
        "[platforms.tiktok]\n",
        "platforms.tiktok: unknown platform 'tiktok'",
    ),
    "both token sources": (
        ACCOUNT + 'token_file = "/run/credentials/somed.service/mora-fb"\n',
        "accounts[0]: account 'mora-fb' sets both token_env and token_file",
    ),
    "no token source": (
        ACCOUNT.replace('token_env = "SOMED_FB_TOKEN"\n', ""),
        "accounts[0]: account 'mora-fb' has no token source (set token_env or token_file)",
    ),
    "missing required key": (
        ACCOUNT.replace('id = "100200300"\n', ""),
        "accounts[0].id: required key is missing",
    ),
    "accounts as a single table": (
        '[accounts]\nkey = "x"\n',
        "accounts: expected an array of tables",
    ),
    "bad account url": (ACCOUNT + 'url = "www.mora.se"\n', "accounts[0].url: not an http(s) URL"),
    "infinite number": (
        "[runner]\nmax_wait_seconds = inf\n",
        "runner.max_wait_seconds: inf is not",
    ),
    "empty streams": (ACCOUNT + "streams = []\n", "accounts[0].streams: must not be empty"),
    "token pasted as env name": (
        ACCOUNT.replace('"SOMED_FB_TOKEN"', f'"{TOKEN} x"'),
        "accounts[0].token_env: not a valid environment variable name",
    ),
    "backoff order": (
        "[runner]\nbackoff_base_seconds = 10.0\nbackoff_max_seconds = 5.0\n",
        "runner.backoff_max_seconds: must not be smaller than backoff_base_seconds",
    ),
}


@pytest.mark.parametrize("body, expected", BAD.values(), ids=list(BAD))
def test_bad_config_gives_one_line(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, STORAGE + body)
    message = load_error(path)
    assert message.startswith(f"{path}: {expected}"), message


def test_missing_storage_table(tmp_path: Path) -> None:
    path = write(tmp_path, ACCOUNT)
    assert load_error(path) == f"{path}: storage: required table is missing (add a [storage] table)"


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert "config file not found" in load_error(path)


def test_config_path_is_a_directory(tmp_path: Path) -> None:
    assert "is a directory" in load_error(tmp_path)


def test_unreadable_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, STORAGE)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as it would for somed
        real_open = Path.open

        def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", open_)
    assert "permission denied" in load_error(path)


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, STORAGE + "[daemon\nworkers = 4\n")
    message = load_error(path)
    assert message.startswith(f"{path}: line 3, column 8: invalid TOML: "), message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(STORAGE.encode() + b'[ui]\nlanguage = "\xff"\n')
    assert "not UTF-8" in load_error(path)


def token_error(path: Path, env: dict[str, str], key: str = "mora-fb") -> str:
    """The one line a run gets when the account's token cannot be read (loading succeeds)."""
    config = load_config(path, env)
    with pytest.raises(TokenError) as info:
        config.token(key)
    message = str(info.value)
    assert "\n" not in message and TOKEN not in message
    assert info.value.reason.startswith("config.token_") and info.value.params["account"] == key
    return message


def test_missing_token_env_var(tmp_path: Path) -> None:
    path = write(tmp_path, STORAGE + ACCOUNT)
    assert token_error(path, {}) == (
        f"{path}: accounts[0].token_env: environment variable SOMED_FB_TOKEN is not set "
        "(export it, or use token_file)"
    )
    assert "SOMED_FB_TOKEN is empty" in token_error(path, {"SOMED_FB_TOKEN": "  "})


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "two lines", "unreadable", "/dev/zero", "too large"]
)
def test_bad_token_file(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "fb.token"
    if kind == "directory":
        token_file.mkdir()
    elif kind == "empty":
        token_file.write_text("\n \n", encoding="utf-8")
    elif kind == "two lines":
        token_file.write_text(f"{TOKEN}\n{TOKEN}\n", encoding="utf-8")
    elif kind == "/dev/zero":
        token_file = Path("/dev/zero")  # endless: must be refused after 64 KiB, not read whole
    elif kind == "too large":
        token_file.write_text("x" * (64 * 1024 + 1), encoding="utf-8")
    elif kind == "unreadable":
        token_file.write_text(TOKEN, encoding="utf-8")
        token_file.chmod(0)
        if os.geteuid() == 0:  # root reads anything: make the read fail as it would for somed
            real_open = Path.open

            def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
                if self == token_file:
                    raise PermissionError(13, "Permission denied", str(self))
                return real_open(self, *args, **kwargs)

            monkeypatch.setattr(Path, "open", open_)
    body = ACCOUNT.replace('token_env = "SOMED_FB_TOKEN"', f'token_file = "{token_file}"')
    path = write(tmp_path, STORAGE + body)
    message = token_error(path, {})
    assert message.startswith(f"{path}: accounts[0].token_file: token file {token_file} "), message
    if kind in ("/dev/zero", "too large"):
        assert "larger than 64 KiB" in message


def test_config_file_is_read_with_a_size_limit(tmp_path: Path) -> None:
    message = load_error(Path("/dev/zero"))
    assert "larger than 1 MiB" in message
    big = write(tmp_path, STORAGE + "#" * (1 << 20) + "\n")
    assert "larger than 1 MiB" in load_error(big)


def test_a_byte_order_mark_is_accepted_in_config_and_token_files(tmp_path: Path) -> None:
    (tmp_path / "fb.token").write_bytes(b"\xef\xbb\xbf" + TOKEN.encode() + b"\r\n")
    body = ACCOUNT.replace('token_env = "SOMED_FB_TOKEN"', 'token_file = "fb.token"')
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (STORAGE + body).encode())
    config = load_config(path, {})
    assert config.token("mora-fb").reveal() == TOKEN


def test_loading_reads_no_token_so_a_missing_one_fails_only_its_account(tmp_path: Path) -> None:
    (tmp_path / "ok.token").write_text(TOKEN, encoding="utf-8")
    second = ACCOUNT.replace('key = "mora-fb"', 'key = "mora-ig"').replace(
        'token_env = "SOMED_FB_TOKEN"', 'token_file = "ok.token"'
    )
    config = load_config(write(tmp_path, STORAGE + ACCOUNT + second), {})
    assert config.secret_values() == []  # nothing read yet
    assert config.token("mora-ig").reveal() == TOKEN
    with pytest.raises(TokenError, match="SOMED_FB_TOKEN is not set"):
        config.token("mora-fb")


# --- tokens never show --------------------------------------------------------------------------


def test_token_never_appears_in_repr_or_dumps(tmp_path: Path) -> None:
    (tmp_path / "ig.token").write_text(TOKEN + "-ig", encoding="utf-8")
    text = (
        STORAGE
        + ACCOUNT
        + """
[[accounts]]
key = "mora-ig"
platform = "facebook"
id = "100200301"
token_file = "ig.token"
"""
    )
    config = load_config(write(tmp_path, text), ENV)
    assert config.token("mora-ig").reveal() == TOKEN + "-ig"
    shown = [
        repr(config),
        str(config),
        config.model_dump_json(),
        repr(config.model_dump()),
        repr(config.model_dump(mode="json")),
        repr(config.account_spec("mora-fb")),
        repr(config.account_spec("mora-ig")),
        repr(config.token("mora-fb")),
        repr(config.accounts),
    ]
    for text_shown in shown:
        assert TOKEN not in text_shown


def test_token_never_appears_in_errors_about_other_keys(tmp_path: Path) -> None:
    # The environment holds the token, and the config is wrong somewhere else.
    path = write(tmp_path, STORAGE + ACCOUNT + ACCOUNT)
    assert TOKEN not in load_error(path)
    path = write(tmp_path, STORAGE + ACCOUNT + f"editor = {TOKEN.count('-')}\n")
    assert TOKEN not in load_error(path)


def test_models_are_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STORAGE + ACCOUNT), ENV)
    with pytest.raises(ValueError):
        config.accounts[0].enabled = False  # type: ignore[misc]
    assert isinstance(config.storage, StorageConfig)
    assert isinstance(config.accounts[0], AccountConfig)
    assert PlatformConfig().page_size == 100


def test_a_platform_without_a_connector_yet_is_refused_at_load(tmp_path: Path) -> None:
    waiting = [p for p in ("instagram", "x", "youtube") if p not in available()]
    if not waiting:
        pytest.skip("every known platform has its connector")
    text = STORAGE + ACCOUNT.replace('platform = "facebook"', f'platform = "{waiting[0]}"')
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), ENV)
    message = str(caught.value)
    assert "accounts[0].platform" in message
    assert f"no connector for platform '{waiting[0]}'" in message
    assert "facebook" in message and "\n" not in message


def test_a_stream_the_platform_does_not_offer_is_refused_at_load(tmp_path: Path) -> None:
    text = STORAGE + ACCOUNT + 'streams = ["posts", "comments"]\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), ENV)
    message = str(caught.value)
    assert "accounts[0].streams" in message and "'comments'" in message
    assert "profile, posts, visitor_posts, messages" in message
