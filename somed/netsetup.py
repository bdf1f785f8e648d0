"""Build the network layer of one account's run from the config: its sessions and media caps."""

from __future__ import annotations

from connectors.base import Connector
from connectors.download import MB, MediaLimits
from connectors.http import NetPolicy, SessionFactory, ThreadSessions
from somed.config import Config, PlatformConfig
from somed.media_process import DownloadPlan, picklable


def sessions_for(config: Config, key: str, connector: type[Connector]) -> ThreadSessions:
    """Per-thread sessions for one account: its platform's rules, scrubbing its token."""
    account = config.account(key)
    settings = config.platforms.get(account.platform) or PlatformConfig()
    policy = NetPolicy(
        platform=account.platform,
        endpoint=settings.endpoint,
        hosts=tuple(connector.hosts),
        deadline_seconds=float(settings.deadline_seconds),
        read_timeout_seconds=float(settings.timeout_seconds),
    )
    return ThreadSessions(SessionFactory(policy, secrets=_secrets(config, key)))


def download_plan(
    config: Config, sessions: ThreadSessions, limits: MediaLimits
) -> DownloadPlan | None:
    """How a child process downloads an account's media with the run's own network rules and
    scrubber, or None when `[runner] media_process` is off or the rules cannot travel."""
    policy = sessions.factory.policy
    if not config.runner.media_process or not picklable(policy):
        return None
    return DownloadPlan(policy, sessions.scrubber, str(config.storage_dir), limits,
                        config.media.parallel_downloads)  # fmt: skip


def _secrets(config: Config, key: str) -> list[str]:
    """The account's token and extra credentials, for the scrubber (empty ones left out)."""
    values = [config.token(key).reveal(), *(s.reveal() for s in config.secrets(key).values())]
    return [value for value in values if value]


def media_limits(config: Config, platform: str) -> MediaLimits:
    """The `[media]` caps and deadline, with the platform's read timeout."""
    media = config.media
    settings = config.platforms.get(platform) or PlatformConfig()
    return MediaLimits(
        max_image_bytes=media.max_image_mb * MB,
        max_video_bytes=media.max_video_mb * MB,
        max_other_bytes=media.max_other_mb * MB,
        deadline_seconds=float(media.deadline_seconds),
        read_timeout_seconds=float(settings.timeout_seconds),
    )
