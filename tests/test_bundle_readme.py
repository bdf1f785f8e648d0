"""The READMEs of a real `somed bundle` of the Facebook emulator's archive: in Swedish and
English they name the organisation, the account and the period, and the ways to verify the
package without somed; the commands they give pass on the package as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import small_page

from tests.test_bundle_cli import ORGANISATION
from tests.test_bundle_logs import ACCOUNT, somed

BAGIT = Path(sys.executable).with_name("bagit.py")
PERIOD = ("--from", "2020-01-01", "--to", "2030-01-01")


def bundle(setup, out: Path, *args: str) -> Path:
    """One package of the account for the period; its folder."""
    printed = somed(setup, "bundle", "--account", ACCOUNT, *PERIOD, "--out", str(out), *args)
    return Path(printed.splitlines()[0])


def the_account_and_period_are_named(text: str, package: Path) -> None:
    assert package.name in text and ACCOUNT in text and "Mora kommun" in text
    assert "212000-2080" in text
    assert "2020-01-01" in text and "2030-01-01" in text


def test_the_fgs_readmes_name_the_checksums_and_the_eark_validator(fb_setup, tmp_path):
    setup = fb_setup([small_page(posts=3)], extra=ORGANISATION)
    somed(setup, "archive")
    package = bundle(setup, tmp_path)
    swedish = (package / "documentation" / "README.sv.md").read_text(encoding="utf-8")
    english = (package / "documentation" / "README.en.md").read_text(encoding="utf-8")
    for text in (swedish, english):
        the_account_and_period_are_named(text, package)
        assert "sha256sum -c documentation/sha256sums.txt" in text
        assert "eark-validator" in text and "V2.1.0" in text
        assert f"somed verify {package.name}" in text
        assert "bagit.py" not in text
    assert "Kontrollera paketet" in swedish and "Verifying the package" in english
    assert "**Period:** från 2020-01-01 00:00 CET till (men inte med) 2030-01-01" in swedish
    assert "**Period:** from 2020-01-01 00:00 CET up to (not including) 2030-01-01" in english
    checked = subprocess.run(["sha256sum", "--quiet", "-c", "documentation/sha256sums.txt"],
                             cwd=package, capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = (package / "documentation" / "sha256sums.txt").read_text(encoding="utf-8")
    assert "documentation/README.sv.md" in listed and "METS.xml" in listed


def test_the_bagit_readmes_name_the_manifests_and_bagit_py(fb_setup, tmp_path):
    setup = fb_setup([small_page(posts=3)], extra=ORGANISATION)
    somed(setup, "archive")
    package = bundle(setup, tmp_path, "--format", "bagit")
    for language in ("sv", "en"):
        text = (package / f"README.{language}.md").read_text(encoding="utf-8")
        the_account_and_period_are_named(text, package)
        assert "sha256sum -c manifest-sha256.txt" in text
        assert "sha256sum -c tagmanifest-sha256.txt" in text
        assert f"bagit.py --validate {package.name}" in text
        assert "eark-validator" not in text
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        checked = subprocess.run(["sha256sum", "--quiet", "-c", manifest], cwd=package,
                                 capture_output=True, text=True)  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
    validated = subprocess.run([sys.executable, str(BAGIT), "--validate", package.name],
                               cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert validated.returncode == 0, validated.stdout + validated.stderr
