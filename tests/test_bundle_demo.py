"""Registrar bundles of the archived demo of every platform, through the real `somed` CLI:
FGS passes the E-ARK validator, BagIt the bagit library, `somed verify` names a changed file,
records.jsonl is `somed export`, no token is in any file, and a killed build leaves nothing
that looks finished."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import bagit
import pytest

from tests.demo_support import DEMO_GROUP, DemoSnapshots
from tests.eark import validate
from tests.test_bundle_fgs import KNOWN_DEFECT

pytestmark = DEMO_GROUP
ROOT = Path(__file__).resolve().parent.parent
DATA = "representations/rep1/data"


def somed(snapshots: DemoSnapshots, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI on the demo's config, with no token in its environment."""
    tokens = {name for demo in snapshots.demos for name in demo.tokens}
    env = {k: v for k, v in os.environ.items() if k not in tokens}
    return subprocess.run([sys.executable, "-m", "somed", "--lang", "en", "--config",
                           str(snapshots.config.path), *args], env=env, capture_output=True,
                          text=True, cwd=ROOT, timeout=600)  # fmt: skip


def made(result: subprocess.CompletedProcess[str]) -> Path:
    """The package path `somed bundle` printed (its first line)."""
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(result.stdout.splitlines()[0])


@pytest.fixture(scope="module")
def bundles(demo_snapshots: DemoSnapshots, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An FGS folder and a BagIt ZIP of every account (one build each)."""
    out = tmp_path_factory.mktemp("bundles")
    fgs = made(somed(demo_snapshots, "bundle", "--all-accounts", "--out", str(out / "fgs")))
    bag = made(somed(demo_snapshots, "bundle", "--all-accounts", "--format", "bagit", "--zip",
                     "--out", str(out / "bagit")))  # fmt: skip
    return {"fgs": fgs, "bagit_zip": bag, "out": out}


def test_the_fgs_bundle_of_every_platform_passes_the_eark_validator(bundles, demo_snapshots):
    fgs = bundles["fgs"]
    valid, errors = validate(fgs)
    assert valid and [e for e in errors if not e.startswith(KNOWN_DEFECT)] == []
    records = [json.loads(line) for line in (fgs / DATA / "records.jsonl").open(encoding="utf-8")]
    assert {r["platform"] for r in records} == {d.platform for d in demo_snapshots.demos}
    snapshots = {p.parent.parent.name for p in (fgs / DATA / "snapshots").rglob("screenshot.png")}
    assert snapshots == {r.account for r in demo_snapshots.accounts}
    for account in {r["account"] for r in records}:
        assert (fgs / DATA / "rendition" / account / "index.html").is_file()
    assert list((fgs / DATA / "rendition").rglob("*.pdf"))


def test_the_bagit_zip_unpacks_to_one_valid_bag(bundles, tmp_path):
    with zipfile.ZipFile(bundles["bagit_zip"]) as archive:
        archive.extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    assert folder.name == bundles["bagit_zip"].name.removesuffix(".zip")
    bag = bagit.Bag(str(folder))
    bag.validate(fast=False)
    assert bag.info["External-Identifier"] == folder.name
    assert (folder / "README.sv.md").is_file() and (folder / "data" / "records.jsonl").is_file()


def test_records_jsonl_is_what_somed_export_writes(bundles, demo_snapshots):
    exported = somed(demo_snapshots, "export")
    assert (bundles["fgs"] / DATA / "records.jsonl").read_text(encoding="utf-8") == exported.stdout
    key = demo_snapshots.accounts[0].account
    period = ("--from", "2020-01-01", "--to", "2026-06-01")
    one = made(somed(demo_snapshots, "bundle", "--account", key, *period,
                     "--out", str(bundles["out"] / "one")))  # fmt: skip
    same = somed(demo_snapshots, "export", "--account", key, "--since", "2020-01-01",
                 "--until", "2026-06-01")  # fmt: skip
    assert (one / DATA / "records.jsonl").read_text(encoding="utf-8") == same.stdout


def test_verify_passes_a_real_bundle_and_names_a_changed_byte(bundles, demo_snapshots, tmp_path):
    for path in (bundles["fgs"], bundles["bagit_zip"]):
        result = somed(demo_snapshots, "verify", str(path))
        assert result.returncode == 0 and result.stdout.count("\n") == 1, result.stdout
    copy = tmp_path / bundles["fgs"].name
    shutil.copytree(bundles["fgs"], copy)
    victim = next((copy / DATA / "snapshots").rglob("manifest.json"))
    data = bytearray(victim.read_bytes())
    data[10] ^= 1
    victim.write_bytes(bytes(data))
    result = somed(demo_snapshots, "verify", str(copy))
    assert result.returncode == 1 and victim.relative_to(copy).as_posix() in result.stdout


def test_no_token_of_any_platform_is_in_a_bundle(bundles, demo_snapshots, tmp_path):
    tokens = {v for demo in demo_snapshots.demos for v in demo.tokens.values() if len(v) >= 6}
    assert tokens
    with zipfile.ZipFile(bundles["bagit_zip"]) as archive:
        archive.extractall(tmp_path)
    for folder in (bundles["fgs"], tmp_path):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not [t for t in tokens if t.encode() in data], path


def test_a_bundle_killed_mid_build_leaves_nothing_that_looks_finished(demo_snapshots, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "somed", "--config", str(demo_snapshots.config.path),
               "bundle", "--all-accounts", "--out", str(out)]  # fmt: skip
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if list(out.glob(".*partial-*/*/**/rendition/*/*.html")):  # the payload is well under way
            break
        time.sleep(0.05)
    assert child.poll() is None, "the build ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    assert [p for p in out.iterdir() if ".partial-" in p.name]  # hidden, and named partial
    again = made(somed(demo_snapshots, "bundle", "--all-accounts", "--out", str(out)))
    assert [p.name for p in out.iterdir()] == [again.name]  # the partial folder is gone


def test_renditions_show_their_images_and_run_no_script_in_chromium(bundles, chromium, tmp_path):
    """Opened from disk in real Chromium, the rendition's CSP lets the bundle's own images and
    style sheet in and blocks scripts (a page with a planted one, under the same policy)."""
    from somed.bundle.rendition.html import content_security_policy, css

    pages = [p for p in (bundles["fgs"] / DATA / "rendition").rglob("*.html")
             if "<img" in p.read_text(encoding="utf-8")]  # fmt: skip
    assert pages
    planted = pages[0].parent / "planted.html"  # beside the real pages: same relative images
    planted.write_text(
        f'<!doctype html><html lang="sv"><head><meta http-equiv="Content-Security-Policy"'
        f' content="{content_security_policy()}"><style>{css()}</style></head><body>'
        '<script>document.title = "ran"</script></body></html>', encoding="utf-8")  # fmt: skip
    page = chromium.new_page()
    try:
        for path in pages[:3]:
            page.goto(path.as_uri())
            images = page.evaluate("() => [...document.images].map(i => i.naturalWidth)")
            assert images and all(width > 0 for width in images), path
            assert page.evaluate("() => getComputedStyle(document.body).maxWidth") != "none"
        page.goto(planted.as_uri())
        assert page.title() == ""  # the script did not run
    finally:
        page.close()
        planted.unlink()
