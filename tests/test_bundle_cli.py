"""`somed bundle` refuses bad usage and a config without `[organisation]` in one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = '[organisation]\nname = "Mora kommun"\nidentification_code = "212000-2080"\n'


def bundle(setup, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", "--lang", "en", "--config",
                           str(setup.config_path), "bundle", *args], env=setup.env,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip


def one_line_usage_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_without_organisation_the_bundle_is_refused_naming_the_key(fb_setup):
    setup = fb_setup()
    one_line_usage_error(bundle(setup, "--account", "test-fb"), "organisation.name")


def test_which_accounts_and_the_period_must_make_sense(fb_setup):
    setup = fb_setup(extra=ORGANISATION)
    one_line_usage_error(bundle(setup), "--all-accounts")
    one_line_usage_error(bundle(setup, "--account", "test-fb", "--all-accounts"), "--account")
    one_line_usage_error(bundle(setup, "--account", "nope"), "nope")
    one_line_usage_error(bundle(setup, "--all-accounts", "--from", "2026-05-01", "--to",
                                "2026-01-01"), "--from 2026-05-01")  # fmt: skip
    one_line_usage_error(bundle(setup, "--all-accounts", "--from", "igår"), "--from")
