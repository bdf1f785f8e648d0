"""`somed verify` on BagIt bags, folder and ZIP: every missing, extra or altered file is named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from somed.cli import cli
from tests.test_bundle_bagit import PACKAGE_ID, make_bag

Change = Callable[[dict[str, bytes]], None]


def run_verify(path: Path, *lang: str) -> tuple[int, list[str]]:
    """`somed [--lang L] verify PATH` through click's runner: exit code and output lines."""
    args = (["--lang", *lang] if lang else []) + ["verify", str(path)]
    result = CliRunner().invoke(cli, args, env={"SOMED_CONFIG": "/nonexistent/config.toml"})
    return result.exit_code, result.output.splitlines()


def flip_byte(data: bytes, at: int = 0) -> bytes:
    """`data` with one byte changed."""
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def tamper_folder(package: Path, change: Change) -> None:
    """Apply `change` to the folder's files (a dict path -> bytes), writing the result back."""
    before = {
        p.relative_to(package).as_posix(): p.read_bytes() for p in package.rglob("*") if p.is_file()
    }
    after = dict(before)
    change(after)
    for rel in before.keys() - after.keys():
        (package / rel).unlink()
    for rel, data in after.items():
        if before.get(rel) != data:
            (package / rel).parent.mkdir(parents=True, exist_ok=True)
            (package / rel).write_bytes(data)


def tamper_zip(package: Path, change: Change) -> None:
    """Rewrite the ZIP with `change` applied to its members (paths below the top folder)."""
    with zipfile.ZipFile(package) as archive:
        top = archive.namelist()[0].split("/", 1)[0]
        files = {
            m[len(top) + 1 :]: archive.read(m) for m in archive.namelist() if not m.endswith("/")
        }
    change(files)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, data in files.items():
            archive.writestr(f"{top}/{rel}", data)


def altered(rel: str) -> Change:
    return lambda files: files.__setitem__(rel, flip_byte(files[rel], len(files[rel]) // 2))


def added(rel: str) -> Change:
    return lambda files: files.__setitem__(rel, b"not in any manifest\n")


def removed(rel: str) -> Change:
    return lambda files: files.pop(rel)


def both_shapes(make: Callable[..., Path], factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The package `make` writes, once as a folder and once as a ZIP (copied before a change)."""
    return {
        "folder": make(factory.mktemp("folder")),
        "zip": make(factory.mktemp("zip"), as_zip=True),
    }


def fresh_copy(source: Path, tmp_path: Path) -> Path:
    """A copy of the package `source` (folder or ZIP) in `tmp_path`."""
    target = tmp_path / source.name
    (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return target


@pytest.fixture(scope="module")
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return both_shapes(make_bag, tmp_path_factory)


@pytest.fixture(params=["folder", "zip"])
def bag(request: pytest.FixtureRequest, bags: dict[str, Path], tmp_path: Path) -> Path:
    return fresh_copy(bags[request.param], tmp_path)


def tamper(package: Path, change: Change) -> None:
    (tamper_zip if package.is_file() else tamper_folder)(package, change)


def test_an_untouched_bag_passes_with_one_swedish_line(bag: Path):
    code, lines = run_verify(bag)
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith(f"OK: BagIt-paket {PACKAGE_ID}, 11 filer (")
    assert "kontrollerade, inga fel" in lines[0]


def test_the_summary_is_english_with_lang_en(bag: Path):
    code, lines = run_verify(bag, "en")
    assert (code, len(lines)) == (0, 1)
    assert lines[0].startswith(f"OK: BagIt package {PACKAGE_ID}, 11 files (")


PAYLOAD_FILE = "data/records.jsonl"
CASES = {
    "payload byte": (altered(PAYLOAD_FILE), "altered", PAYLOAD_FILE),
    "media byte": (altered("data/media/" + "ab" * 32 + ".jpg"), "altered", "data/media/"),
    "tag file byte": (altered("README.sv.md"), "altered", "README.sv.md"),
    "bag-info byte": (altered("bag-info.txt"), "altered", "bag-info.txt"),
    "manifest byte": (altered("manifest-sha512.txt"), "altered", "manifest-sha512.txt"),
    "added payload": (added("data/smuggled.txt"), "extra", "data/smuggled.txt"),
    "added tag file": (added("notes.txt"), "extra", "notes.txt"),
    "removed payload": (removed(PAYLOAD_FILE), "missing", PAYLOAD_FILE),
    "removed tag file": (removed("README.en.md"), "missing", "README.en.md"),
    "removed manifest": (removed("manifest-sha256.txt"), "missing", "manifest-sha256.txt"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_one_change_fails_and_names_the_file(bag: Path, case: str):
    change, kind, rel = CASES[case]
    tamper(bag, change)
    code, lines = run_verify(bag, "en")
    assert code == 1, lines
    assert any(line.startswith(f"{kind}: {rel}") for line in lines[:-1]), lines
    assert lines[-1].startswith(f"FAILED: BagIt package {PACKAGE_ID}: ")


def test_an_added_payload_file_also_breaks_the_payload_oxum(bag: Path):
    tamper(bag, added("data/smuggled.txt"))
    _code, lines = run_verify(bag, "en")
    assert any(line.startswith("altered: bag-info.txt (Payload-Oxum") for line in lines)


def test_a_file_only_in_one_of_the_manifests_is_named(bag: Path):
    def drop_line(files: dict[str, bytes]) -> None:
        lines = files["manifest-sha512.txt"].splitlines(keepends=True)
        files["manifest-sha512.txt"] = b"".join(x for x in lines if b"register.json" not in x)

    tamper(bag, drop_line)
    code, lines = run_verify(bag, "en")
    assert code == 1
    assert "extra: data/register.json (not in manifest-sha512.txt)" in lines


def test_a_manifest_path_leaving_the_package_is_a_problem_and_never_opened(bag: Path):
    outside = bag.parent / "secret.txt"
    outside.write_bytes(b"outside\n")
    line = b"0" * 64 + b"  data/../../secret.txt\n"
    tamper(
        bag,
        lambda files: files.__setitem__("manifest-sha256.txt", files["manifest-sha256.txt"] + line),
    )
    code, lines = run_verify(bag, "en")
    assert code == 1
    assert any(x.startswith("unreadable: manifest-sha256.txt (the path leads out") for x in lines)
    assert not any("secret.txt" in x and "altered" in x for x in lines)


def test_a_byte_flipped_inside_the_zip_file_itself_is_named(bags: dict[str, Path], tmp_path: Path):
    package = shutil.copy(bags["zip"], tmp_path / "damaged.zip")
    with zipfile.ZipFile(package) as archive:
        member = archive.getinfo(f"{PACKAGE_ID}/data/media/{'ab' * 32}.jpg")
    assert member.compress_type == zipfile.ZIP_STORED
    with open(package, "r+b") as handle:  # the member's data follows its local header
        handle.seek(member.header_offset + 30 + len(member.filename.encode()) + 100)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    code, lines = run_verify(Path(package), "en")
    assert code == 1
    assert any(line.startswith(f"altered: data/media/{'ab' * 32}.jpg") for line in lines)


def test_a_zip_member_outside_the_top_folder_is_extra(bags: dict[str, Path], tmp_path: Path):
    bag = Path(shutil.copy(bags["zip"], tmp_path / "stray.zip"))
    with zipfile.ZipFile(bag, "a") as archive:
        archive.writestr("stray.txt", b"beside the package\n")
    code, lines = run_verify(bag, "en")
    assert code == 1
    assert "extra: stray.txt (outside the ZIP's package folder)" in lines


@pytest.mark.parametrize(
    "what", ["nothing there", "empty folder", "text file", "zip of other things"]
)
def test_a_path_that_is_no_bundle_is_one_line_with_exit_2(tmp_path: Path, what: str):
    path = tmp_path / "x"
    if what == "empty folder":
        path.mkdir()
    elif what == "text file":
        path.write_text("hello\n")
    elif what == "zip of other things":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("top/hello.txt", b"hello\n")
    result = CliRunner().invoke(cli, ["verify", str(path)], env={"SOMED_CONFIG": "/nonexistent"})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("somed: error: ")
    assert str(path) in result.stderr


def test_the_real_command_line_verifies_a_bag(bags: dict[str, Path]):
    env = {**os.environ, "SOMED_CONFIG": "/nonexistent/config.toml"}
    somed = Path(sys.executable).with_name("somed")
    done = subprocess.run(
        [str(somed), "verify", str(bags["zip"])], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("OK: BagIt-paket")


def test_a_bag_made_by_bagit_python_is_verified_by_its_own_manifests(tmp_path: Path):
    import bagit

    folder = tmp_path / "other-tool"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_bytes(b"made elsewhere\n")
    bagit.make_bag(str(folder), {"Source-Organization": "Elsewhere"}, checksums=["md5", "sha256"])
    assert run_verify(folder, "en")[0] == 0
    (folder / "data" / "sub" / "a.txt").write_bytes(b"made elsewhere!\n")
    code, lines = run_verify(folder, "en")
    assert code == 1 and any(x.startswith("altered: data/sub/a.txt") for x in lines)
