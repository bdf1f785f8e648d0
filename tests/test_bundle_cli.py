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


def test_the_package_goes_under_storage_bundles_by_default_and_its_id_is_printed(fb_setup):
    setup = fb_setup(extra=ORGANISATION)
    archived = subprocess.run([sys.executable, "-m", "somed", "archive"], env=setup.env,
                              capture_output=True, text=True, cwd=ROOT, timeout=300)  # fmt: skip
    assert archived.returncode == 0, archived.stdout + archived.stderr
    env = {k: v for k, v in setup.env.items() if k != "SOMED_LANG"}  # the default language
    result = subprocess.run([sys.executable, "-m", "somed", "bundle", "--account", "test-fb"],
                            env=env, capture_output=True, text=True, cwd=ROOT, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    path, made = result.stdout.splitlines()
    package = Path(path)
    assert package.parent == setup.config.storage_dir / "bundles" and package.is_dir()
    assert package.name.startswith("somed-test-fb-")
    records = (package / "representations/rep1/data/records.jsonl").read_text(encoding="utf-8")
    files = [p for p in package.rglob("*") if p.is_file()]
    assert made.startswith(f"Paket {package.name}: {records.count(chr(10))} poster, ")
    assert f" {len(files)} filer, " in made and made.endswith(" MB.")
