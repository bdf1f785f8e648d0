"""How `somed web` serves its app: uvicorn in this process, or `[web] workers` worker processes.

With one worker, uvicorn serves in this process. With several, this process binds the socket and
supervises them (uvicorn's `Multiprocess`: a worker that dies is started again; SIGTERM or
SIGINT ends them all, each finishing its requests, then this process). Each worker is a fresh
interpreter (multiprocessing's spawn) that builds the app itself from a `WorkerSpec`: the config
file's path, the listen address and the session key. The spec reaches the worker pickled through
the pipe spawn gives it, never in its argv or environment, so every worker signs sessions with
the same key, the random one of a config that names none included. State that any request may
need lives in the database (sessions are signed cookies; lockouts, sign-ins under way and bundle
jobs are tables), and the bundle worker runs in the supervising process only (`cli_web.py`).
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from somed.config import Config, load_config
from somed.config_web import WebConfig

SWITCH_INTERVAL = 0.005  # Python's default: the CLI's shorter one thrashes twenty request threads
# the options every server of `somed web` gets (behind the TLS proxy on loopback)
SERVER_OPTIONS: dict[str, Any] = {
    "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1,::1", "server_header": False,
    "log_config": None, "access_log": False, "timeout_graceful_shutdown": 5,
}  # fmt: skip


def with_web(config: Config, **changes: Any) -> Config:
    """`config` with these `[web]` keys changed (ValueError when one is not valid)."""
    web = WebConfig.model_validate({**config.web.model_dump(), **changes})
    return config.model_copy(update={"web": web})


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process builds its app from (pickled to it through spawn's pipe)."""

    config_path: Path
    listen: str
    session_key: str


def worker_app(spec: WorkerSpec) -> Starlette:
    """The app of one worker process: the config read again, logging set up, no bundle worker.

    A config that no longer loads (edited since the start) stops the worker as a failed start:
    the supervisor then stops too, instead of starting it again and again.
    """
    from uvicorn.config import STARTUP_FAILURE

    from somed.config_errors import ConfigError
    from somed.logs import setup_logging
    from somed.web.app import create_app

    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        config = with_web(load_config(spec.config_path), listen=spec.listen)
    except ConfigError as exc:
        logging.getLogger(__name__).error("somed web worker: %s", exc)
        sys.exit(STARTUP_FAILURE)
    setup_logging(config.logging.format, config.logging.level, secrets=config.secret_values())
    return create_app(config, session_key=spec.session_key, run_bundles=False)


class WorkerConfig(uvicorn.Config):
    """uvicorn's config of the worker processes, carrying the `WorkerSpec` to each of them."""

    def __init__(self, spec: WorkerSpec, **options: Any) -> None:
        # the import string only tells uvicorn the app is made in the worker: `load_app` makes it
        super().__init__("somed.web.serve:worker_app", factory=True, **options)
        self.somed_spec = spec

    def load_app(self) -> Callable[[], Starlette]:
        """The factory uvicorn calls in the worker (instead of importing the app by name)."""
        spec = self.somed_spec
        return lambda: worker_app(spec)


def tcp_socket(sock: socket.socket) -> socket.socket:
    """`sock` with its protocol read from the kernel (IPPROTO_TCP, not the 0 it was made with).

    asyncio sets TCP_NODELAY only on connections of a socket whose `proto` says TCP; without it
    a keep-alive response waits for the client's delayed ACK (Nagle): 40 ms a request.
    """
    return socket.socket(fileno=sock.detach())


def serve(config: Config, session_key: str, app: Callable[[], Starlette]) -> bool:
    """Serve until SIGTERM/SIGINT; True when the server (or every worker) started."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    host, port = config.web.host_port
    workers = config.web.worker_count()
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(app(), host=host, port=port, **SERVER_OPTIONS))
        server.run()
        return bool(server.started)
    spec = WorkerSpec(Path(config.path).resolve(), config.web.listen, session_key)
    options = WorkerConfig(spec, host=host, port=port, workers=workers, **SERVER_OPTIONS)
    sock = tcp_socket(options.bind_socket())
    supervisor = Multiprocess(options, sockets=[sock])
    try:
        supervisor.run()
    finally:
        sock.close()
    return not any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
