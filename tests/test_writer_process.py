"""A first archive stores in a writer process: killing either process loses and duplicates
nothing, a dead writer fails the run in one line, and no writer outlives its run."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from test_crash_safety import RUN_TIMEOUT, Archive, assert_same_archive, big_page


def writer_processes(archive: Archive) -> list[int]:
    """Pids of the writer processes started for `archive` (found by their inherited config)."""
    marker = f"SOMED_CONFIG={archive.config_path}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in environ and b"storage.writer_process" in cmdline:
            found.append(int(entry.name))
    return found


def wait_for(condition, timeout: float = 30.0) -> bool:  # noqa: ANN001 - a test helper
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_killed_writer_process_fails_the_run_in_one_line_and_the_next_run_completes(
    fb_setup, tmp_path
):
    setup = fb_setup([big_page(posts=300)])
    setup.emulator.usage_budget = 10**9
    setup.emulator.latency = 0.02  # the run lasts long enough to find its writer
    reference = Archive(tmp_path / "reference", setup.emulator.base_url)
    victim = Archive(tmp_path / "victim", setup.emulator.base_url)
    reference.complete()

    proc = victim.start()
    assert wait_for(lambda: bool(writer_processes(victim)) or proc.poll() is not None)
    [writer] = writer_processes(victim)
    time.sleep(0.3)  # some batches stored
    os.kill(writer, signal.SIGKILL)
    out, err = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in out + err
    assert "writer process" in out + err

    victim.complete()
    assert_same_archive(victim, reference)
    statuses = [status for (status,) in victim.query("SELECT status FROM runs ORDER BY id")]
    assert statuses[0] in ("failed", "partial") and statuses[-1] == "ok"


def test_no_writer_process_outlives_a_killed_run(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=300)])
    setup.emulator.usage_budget = 10**9
    setup.emulator.latency = 0.02
    victim = Archive(tmp_path / "victim", setup.emulator.base_url)
    proc = victim.start()
    assert wait_for(lambda: bool(writer_processes(victim)) or proc.poll() is not None)
    assert writer_processes(victim), "the first archive stored without a writer process"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=RUN_TIMEOUT)
    assert wait_for(lambda: not writer_processes(victim), timeout=15), "the writer lingers"


def test_without_the_writer_process_a_first_archive_is_the_same(fb_setup, tmp_path):
    setup = fb_setup([big_page(posts=60)])
    reference = Archive(tmp_path / "reference", setup.emulator.base_url)
    single = Archive(tmp_path / "single", setup.emulator.base_url)
    single.set_runner("writer_process", "false")
    reference.complete()
    proc = single.start()
    seen_writer = False
    while proc.poll() is None:
        seen_writer = seen_writer or bool(writer_processes(single))
        time.sleep(0.01)
    assert proc.returncode == 0 and not seen_writer
    assert_same_archive(single, reference)
