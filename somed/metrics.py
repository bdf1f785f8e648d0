"""The optional Prometheus endpoint (`[metrics] listen`): archive facts read on every scrape.

A custom collector opens the archive on each scrape and reports what `somed status` knows, per
account, so the numbers are the database's, whichever process did the work (daemon or a manual
`somed archive`). The daemon serves it from a thread with prometheus_client's own HTTP server.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from connectors.model import parse_utc
from somed.config import Config
from somed.status import PROBLEMS, account_status
from storage import queries
from storage.db import ArchiveUnavailable, connect_readonly

log = logging.getLogger("somed.metrics")

STATES = ("ok", *PROBLEMS, "disabled")


class ArchiveCollector(Collector):
    """Reads per-account metrics from the archive at each scrape (nothing is kept in memory)."""

    def __init__(self, config: Callable[[], Config]) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family, read from the database now."""
        config = self.config()
        readable = GaugeMetricFamily("somed_archive_up", "1 when the archive could be read.")
        try:
            with closing(connect_readonly(config.db_path)) as db:
                rows = account_status(config, db)
                totals = queries.run_totals(db)
        except (OSError, sqlite3.Error, ArchiveUnavailable) as exc:
            log.warning("metrics: the archive cannot be read: %s", exc, extra={"event": "metrics"})
            readable.add_metric([], 0.0)
            yield readable
            return
        readable.add_metric([], 1.0)
        yield readable
        yield from _families(rows, totals)


def _families(rows: list[dict[str, Any]], totals: dict[str, dict[str, Any]]) -> Iterator[Metric]:
    """Build the metric families from status rows and run totals."""
    labels = ["account", "platform"]

    def gauge(name: str, doc: str, extra: tuple[str, ...] = ()) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, labels=[*labels, *extra])

    def counter(name: str, doc: str, extra: tuple[str, ...] = ()) -> CounterMetricFamily:
        return CounterMetricFamily(name, doc, labels=[*labels, *extra])

    state = gauge("somed_account_state", "1 for the account's current state.", ("state",))
    success = gauge("somed_last_success_timestamp_seconds", "Last successful run (Unix time).")
    runs = counter("somed_runs", "Finished runs by status.", ("status",))
    requests = counter("somed_requests", "HTTP requests made by runs.")
    retries = counter("somed_retries", "Retries of failed requests in runs.")
    items = gauge("somed_items", "Archived items (deleted ones included) by kind.", ("kind",))
    deleted = gauge("somed_items_deleted", "Archived items deleted on the platform.")
    quarantined = gauge("somed_quarantined_items", "Items waiting in quarantine.")
    media = gauge("somed_media_missing", "Attachments without a stored file.")
    expiry = gauge(
        "somed_token_expiry_timestamp_seconds",
        "When the token or its data access expires, as the last check said (Unix time).",
        ("kind",),
    )
    checked = gauge("somed_token_check_timestamp_seconds", "When the token was last checked.")
    for row in rows:
        key = [row["key"], row["platform"]]
        for name in STATES:
            state.add_metric([*key, name], 1.0 if row["state"] == name else 0.0)
        _add_time(success, key, row["last_ok_at"])
        total = totals.get(row["key"]) or {"runs": {}, "requests": 0, "retries": 0}
        for status, count in sorted(total["runs"].items()):
            runs.add_metric([*key, status], count)
        requests.add_metric(key, total["requests"])
        retries.add_metric(key, total["retries"])
        for kind, count in sorted(row["items"].items()):
            items.add_metric([*key, kind], count)
        deleted.add_metric(key, row["deleted"])
        quarantined.add_metric(key, row["quarantined"])
        media.add_metric(key, row["media_missing"])
        token = row["token"]
        _add_time(expiry, [*key, "token"], token["expires_at"])
        _add_time(expiry, [*key, "data_access"], token["data_access_expires_at"])
        _add_time(checked, key, token["checked_at"])
    yield from (state, success, runs, requests, retries, items, deleted, quarantined, media)
    yield from (expiry, checked)


def _add_time(family: GaugeMetricFamily, labels: list[str], iso: str | None) -> None:
    """Add a timestamp sample, or none when the time is unknown (absent, not zero)."""
    moment = parse_utc(iso)
    if moment is not None:
        family.add_metric(labels, moment.timestamp())


class MetricsServer:
    """The HTTP endpoint in a daemon thread; `stop()` closes its socket."""

    def __init__(self, listen: str, config: Callable[[], Config]) -> None:
        host, _, port = listen.rpartition(":")
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ArchiveCollector(config))
        self._server, self._thread = start_http_server(
            int(port), addr=host.strip("[]"), registry=self.registry
        )
        self.address = f"{host}:{self._server.server_port}"

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if isinstance(self._thread, threading.Thread):
            self._thread.join(timeout=5)
