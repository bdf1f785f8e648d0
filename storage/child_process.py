"""A helper interpreter on two pipes: the parent sends on the child's stdin and reads its
answers from the child's original stdout (the child's prints go to stderr instead)."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection


def start_child(module: str, *args: str) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start `python -m module args...`; return it with the connection to send on and the one
    to read its answers from. A fresh interpreter, not a fork: the daemon has threads."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    out = Connection(os.dup(process.stdin.fileno()), readable=False)
    answers = Connection(os.dup(process.stdout.fileno()), writable=False)
    process.stdin.close()
    process.stdout.close()
    return process, out, answers


def run_child(serve: Callable[[Connection, Connection], None]) -> None:
    """The child's side: `serve(inbox, answers)`, then exit at once (a failure is said on
    stderr; the parent sees the pipe close). Anything printed goes to stderr, never into the
    answers; the interpreter's teardown is skipped, which the parent would wait for."""
    answers = os.dup(1)
    os.dup2(2, 1)
    code = 0
    try:
        serve(Connection(0, writable=False), Connection(answers, readable=False))
    except BaseException:  # noqa: BLE001 - said on stderr; the parent sees the pipe close
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)
