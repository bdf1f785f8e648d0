"""somed in the benchmarks as it runs deployed: compiled, and its runner built as the daemon's.

- `compile_sources()`: an installed somed has the bytecode of its modules (pip compiles it);
  a checkout run with `PYTHONDONTWRITEBYTECODE` (set on some build machines) has none, and each
  child process a run starts (writer, media) compiled every module it imports again, 30-40 ms
  each. The benchmarks compile the sources once before they measure.
- `daemon_runner(config)`: the runner as the daemon builds it, which leaves checking a run's
  new items for moderation to its own lane (`bench/flags.py` measures that check), in a
  process tuned as `somed` tunes itself when it starts (`somed.runner.tune_threads`: quick
  thread switches, a garbage collector that runs seldom).
"""

from __future__ import annotations

import compileall
from pathlib import Path

from somed.config import Config
from somed.runner import Runner, tune_threads

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("somed", "connectors", "storage")


def compile_sources() -> None:
    """Write the bytecode of somed's packages, as an install does (quietly; once is enough)."""
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


def daemon_runner(config: Config) -> Runner:
    """A runner as `somed run` builds it (moderation in its own lane, not after each run)."""
    tune_threads()  # process-wide, as the CLI does at its start
    return Runner(config, moderate=False)
