"""The Connector base class, the typed errors connectors raise, and what they are built from."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from connectors.capture_hints import CaptureHints
from connectors.model import (
    Batch,
    ItemRef,
    MediaRef,
    Quarantined,
    Record,
    Span,
    item_id,
    record_problem,
)

if TYPE_CHECKING:  # connectors.download imports this module
    from connectors.download import MediaLimits, Sink

Clock = Callable[[], datetime]
Normaliser = Callable[[Any, Mapping[str, Any], str], Record]  # (raw, context, account) -> Record
ERROR_TEXT_LIMIT = 500  # characters of an exception text kept with a quarantined item


class Secret:
    """A credential that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value, for the one place that sends it to the platform."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class AccountSpec:
    """What a connector needs to know about one configured account."""

    key: str
    platform: str
    platform_id: str
    token: Secret
    url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # extra credentials the connector declares in `secret_names`, as far as the account sets them
    secrets: dict[str, Secret] = field(default_factory=dict)
    # a folder of the archive for the connector's own durable state that is no secret (e.g. when
    # the platform allows the next request); None: keep nothing across runs
    state_dir: Path | None = None


@dataclass(frozen=True)
class PlatformSettings:
    """Per-platform settings from `[platforms.NAME]`."""

    api_version: str | None = None
    endpoint: str | None = None
    page_size: int = 100
    timeout_seconds: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamSpec:
    """A stream a connector offers: its cursor kind and its default polling interval.

    With cursor "none" the runner neither reads nor stores a cursor for the stream (every walk
    reads it whole); `default_interval` is the account's polling interval unless the config
    sets `interval_minutes` (the shortest of the account's streams wins).
    """

    name: str
    cursor: str  # "timestamp", "id" or "none"
    default_interval: timedelta
    optional: bool = False  # a token may lack permission for it without the account failing
    # may be walked in a thread of its own beside the account's other streams (after the
    # first): the connector's client is safe to use from two threads for it, and its walk
    # waits mostly on the platform, so overlapping it with another walk shortens a run
    beside: bool = False


@dataclass(frozen=True)
class CheckResult:
    """What `check()` learned: who the token is, which streams it may read, when it expires.

    `denied` maps a stream the token may not read to why (English, for logs);
    `missing_permissions` names the platform permissions the token lacks for full archiving;
    `expires_at` / `data_access_expires_at` are aware UTC datetimes where the platform says
    (None: it does not expire, or the platform does not tell).
    """

    identity: str
    allowed_streams: tuple[str, ...]
    denied: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    missing_permissions: tuple[str, ...] = ()


# --- typed errors ---------------------------------------------------------------------------


class ConnectorError(Exception):
    """Base of every error a connector raises; the message is safe to log (no secrets).

    Besides the English `message` (for logs), each error carries a `reason` code and its
    `params` (the Home Assistant `translation_key` pattern): runs and health store them, and
    every user text is rendered from them through the catalogues, never from the message.
    Codes are dotted and start with the area, e.g. `auth.token_expired`, `net.timeout`,
    `facebook.api_version`; each subclass has a generic default.
    """

    default_reason: ClassVar[str] = "error"

    def __init__(
        self, message: str, *, reason: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason or self.default_reason
        self.params: dict[str, Any] = dict(params or {})


class AuthError(ConnectorError):
    """The credentials are invalid or expired: pause the account and tell people."""

    default_reason = "auth.invalid"


class RateLimited(ConnectorError):
    """The platform asks us to slow down; `retry_after` is its hint in seconds, if any."""

    default_reason = "rate.limited"

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, params=params)
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """A passing fault (5xx, timeout, malformed body): the runner retries with backoff."""

    default_reason = "transient"


class PermissionDenied(ConnectorError):
    """The token may not read this stream: skip it and report it."""

    default_reason = "permission.denied"

    def __init__(
        self,
        stream: str,
        message: str,
        *,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, params=params)
        self.stream = stream


class FatalError(ConnectorError):
    """Something retrying cannot fix (bad account id, unsupported API version)."""

    default_reason = "fatal"


# --- the base class ---------------------------------------------------------------------------


class Connector:
    """Base class: one instance serves one account for one run.

    `normalisers` maps an item kind (e.g. "post") to the pure function that turns a raw item
    and its context into a record. The connector normalises every item through `normalised`,
    so an item that does not fit is quarantined instead of stopping the walk, and
    `renormalise` can try a quarantined item again later with the code of the day, offline.
    """

    platform: ClassVar[str]
    # the platform API version used when `[platforms.NAME] api_version` is not set, and the
    # pattern a configured version must match (None: the platform has no versions)
    default_api_version: ClassVar[str | None] = None
    api_version_pattern: ClassVar[str | None] = None
    display_name: ClassVar[str] = ""  # how people write the platform's name, e.g. "Facebook"
    streams: ClassVar[tuple[StreamSpec, ...]]
    # The platform's own hosts (shell patterns such as "*.fbcdn.net"): without a configured
    # endpoint, requests and redirects may go nowhere else (see connectors/netpolicy.py).
    hosts: ClassVar[tuple[str, ...]] = ()
    # True when `download()` is nothing but `connectors.download.download` of the ref's URL
    # through the connector's session: the runner may then download in a child process with
    # the same network rules (`somed.media_process`)
    plain_downloads: ClassVar[bool] = False
    normalisers: ClassVar[Mapping[str, Normaliser]] = {}
    # The connector's own account keys (a pydantic model, strict, extra="forbid", a default for
    # every field), written at the top level of `[[accounts]]`; validated values reach
    # `AccountSpec.options`. None: the platform has no keys of its own.
    options_model: ClassVar[type[Any] | None] = None
    # Extra, optional credentials, each read like the token from `<name>_env` or `<name>_file`
    # and handed over in `AccountSpec.secrets` (scrubbed like the token).
    secret_names: ClassVar[tuple[str, ...]] = ()
    # How a browser captures the account's public pages (connectors/<platform>/capture.py);
    # None: the platform's pages cannot be captured.
    capture_hints: ClassVar[CaptureHints | None] = None

    @classmethod
    def token_required(cls, options: Mapping[str, Any]) -> bool:
        """True when an account with these options needs `token_env` or `token_file`."""
        return True

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        self.account = account
        self.settings = settings
        self.session = session
        self.clock = clock  # the connector's only "now" (time windows, expiry), never datetime.now

    @classmethod
    def stream_names(cls) -> tuple[str, ...]:
        """Return the names of the streams this connector offers."""
        return tuple(s.name for s in cls.streams)

    @classmethod
    def default_interval(cls, streams: Sequence[str] | None = None) -> timedelta:
        """The polling interval the connector suggests: the shortest of `streams` (default all)."""
        wanted = [s for s in cls.streams if streams is None or s.name in streams]
        return min(s.default_interval for s in wanted or cls.streams)

    def normalised(
        self, stream: str, kind: str, raw: Any, context: Mapping[str, Any] | None = None
    ) -> Record | Quarantined:
        """Normalise one raw item with the `kind` normaliser, or quarantine it when it fails.

        A normaliser bug or an unexpected shape (a dict where text belongs, a time in words)
        must not stop the walk: the item is kept raw with the error, and the walk goes on.
        """
        given: Mapping[str, Any] = context or {}  # read-only: normalisers never change it
        try:
            record = self.normalisers[kind](raw, given, self.account.key)
            problem = record_problem(record)
            if problem:
                raise ValueError(problem)
        except ConnectorError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of one item quarantines that item
            return self.quarantine(stream, raw, f"{type(exc).__name__}: {exc}", kind, given)
        # text that is not valid UTF-8 is repaired by the writer, which checks every stored
        # column anyway (a walk over `extra` here for every record cost more than the rest)
        return record

    def quarantine(
        self,
        stream: str,
        raw: Any,
        error: str,
        kind: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Quarantined:
        """A raw item this connector cannot turn into a record, kept with the reason why."""
        return Quarantined(
            platform=self.platform,
            account=self.account.key,
            stream=stream,
            kind=kind,
            id=item_id(raw.get("id")) if isinstance(raw, dict) else None,
            raw=raw,
            error=error[:ERROR_TEXT_LIMIT],
            context=dict(context or {}),
        )

    @classmethod
    def renormalise(cls, entry: Quarantined) -> Record:
        """Normalise a quarantined item again with today's code (no network); raise if it fails."""
        normaliser = cls.normalisers.get(entry.kind or "")
        if normaliser is None:
            raise LookupError(f"the {cls.platform} connector has no normaliser {entry.kind!r}")
        record = normaliser(entry.raw, entry.context, entry.account)
        problem = record_problem(record)
        if problem:
            raise ValueError(problem)
        return record  # the writer repairs invalid text, as for a fresh walk

    def check(self) -> CheckResult:
        """Validate the credentials and say which streams they allow."""
        raise NotImplementedError

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of a stream walk from `cursor` (None: everything), resuming at `resume`."""
        raise NotImplementedError

    @classmethod
    def unknown_stream(cls, stream: str) -> FatalError:
        """The error a `fetch` of a stream this connector does not offer raises."""
        return FatalError(
            f"the {cls.platform} connector has no stream {stream!r}",
            reason="run.unknown_stream",
            params={"stream": stream},
        )

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Read stored items again; yield current records, and tombstones for those gone.

        With a `span`, `refs` are every stored item created in it (posts with their comments):
        the connector may list the span cheaply and read in full only what changed against
        the refs' markers, new items of the span included.
        """
        raise NotImplementedError

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream one attachment into `sink` within `limits`; return its MIME type.

        Connectors use `connectors.download.download`, which streams, caps and checks the type.
        """
        raise NotImplementedError

    def request_count(self) -> int:
        """Return how many HTTP requests this connector has made so far."""
        return 0

    def cost_units(self) -> int | None:
        """Return the platform's quota units this connector's calls cost (None: it has none)."""
        return None

    def pause_hint(self) -> float:
        """Seconds the runner should wait before the next request, from usage headers (0: none)."""
        return 0.0

    def close(self) -> None:
        """Release the HTTP session."""
        self.session.close()
