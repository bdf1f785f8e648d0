"""A platform emulator served from a child process, so its rendering does not share somed's GIL."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


class ChildEmulator:
    """The parent's handle: `serve(conn, *args)` runs in a spawned child, sends its base URL,
    then answers each command sent with `call` until it receives None."""

    def __init__(self, serve: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, *args), daemon=True)
        self.process.start()
        self.base_url: str = self.conn.recv()

    def call(self, command: str) -> Any:
        """Send a command to the child and return its answer."""
        self.conn.send(command)
        return self.conn.recv()

    def close(self) -> None:
        """Stop the child (killed if it does not end within 10 s)."""
        self.conn.send(None)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
