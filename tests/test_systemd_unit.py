"""The shipped systemd unit: static checks and `systemd-analyze verify`.

Whether the unit really runs under systemd (notify, watchdog, credentials,
sandbox) cannot be tested here: the test machines have no systemd as PID 1.
See systemd/README.md.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "somed.service"
INSTALLED_EXEC = "/opt/somed/.venv/bin/somed"

# Messages systemd-analyze prints in containers and chroots that say nothing
# about our unit: no systemd as PID 1, no D-Bus, read-only or missing cgroupfs,
# missing users, SELinux/AppArmor probing.
CONTAINER_NOISE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"failed to connect to (system )?bus",
        r"failed to get d-bus connection",
        r"system has not been booted with systemd",
        r"cgroup",
        r"/sys/fs/",
        r"/proc/",
        r"selinux",
        r"apparmor",
        r"failed to (resolve|look up|find) (user|group)",
        r"(user|group) .* (not found|does not exist)",
        r"no such process",
        r"read-only file system",
        r"ignoring inotify",
        r"failed to open /dev/",
    )
]


class _MultiDict(dict):
    """Keep every value of a repeated key (LoadCredential=, Environment=, ...)."""

    def __setitem__(self, key: str, value: object) -> None:
        if isinstance(value, list) and key in self:
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def parse_unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(
        strict=False,
        dict_type=_MultiDict,
        interpolation=None,
        empty_lines_in_values=False,
        comment_prefixes=("#", ";"),
    )
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


@pytest.fixture(scope="module")
def unit() -> configparser.RawConfigParser:
    return parse_unit(UNIT)


def values(unit: configparser.RawConfigParser, section: str, key: str) -> list[str]:
    """All values of a key that may be repeated, in file order."""
    return unit.get(section, key, fallback="").splitlines()


# --- static checks -----------------------------------------------------------


def test_unit_is_notify_with_watchdog(unit):
    svc = unit["Service"]
    assert svc["Type"] == "notify"
    assert svc["NotifyAccess"] == "main"
    assert int(svc["WatchdogSec"]) > 0
    assert svc["Restart"] == "on-failure"
    assert svc["ExecReload"] == "/bin/kill -HUP $MAINPID"


def test_unit_runs_installed_somed(unit):
    exec_start = unit["Service"]["ExecStart"].split()
    assert exec_start[0] == INSTALLED_EXEC
    assert exec_start[-1] == "run"
    assert "--config" in exec_start
    assert "SOMED_CONFIG=/etc/somed/config.toml" in values(unit, "Service", "Environment")


def test_unit_user_and_directories(unit):
    svc = unit["Service"]
    assert svc["User"] == "somed"
    assert svc["Group"] == "somed"
    assert svc["StateDirectory"] == "somed"
    assert svc["StateDirectoryMode"] == "0750"
    assert svc["ConfigurationDirectory"] == "somed"
    assert svc["UMask"] == "0027"


def test_unit_loads_credentials(unit):
    creds = values(unit, "Service", "LoadCredential")
    assert creds, "no LoadCredential= line"
    for cred in creds:
        name, _, source = cred.partition(":")
        assert name and "/" not in name, cred
        assert source.startswith("/etc/somed/credentials/"), cred


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictNamespaces", "yes"),
        ("RestrictRealtime", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("SystemCallFilter", "@system-service"),
        ("SystemCallArchitectures", "native"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
    ],
)
def test_unit_hardening(unit, key, expected):
    assert unit.has_option("Service", key), f"{key}= missing"
    assert unit["Service"][key] == expected


def test_unit_address_families(unit):
    families = set(unit["Service"]["RestrictAddressFamilies"].split())
    assert families == {"AF_UNIX", "AF_INET", "AF_INET6"}


def test_unit_allows_chromium_jit(unit):
    # Chromium (page screenshots) runs under this unit and needs W^X JIT memory.
    assert unit["Service"].get("MemoryDenyWriteExecute", "no") != "yes"


def test_unit_install_section(unit):
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_readme_installs_where_unit_expects():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "/opt/somed/.venv" in readme
    assert "systemd/somed.service" in readme


# --- systemd-analyze verify --------------------------------------------------


def _systemd_analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        if os.geteuid() != 0:
            pytest.skip(
                "systemd-analyze not installed and not root "
                "(apt-get install systemd; `make test` does this as root)"
            )
        pytest.fail("systemd-analyze not installed; run `make test` (installs package systemd)")
    return exe


def _runnable_exec() -> str:
    """Somed's console script next to this interpreter, else /bin/true."""
    script = Path(sys.executable).parent / "somed"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    return "/bin/true"


def _verify(unit_text: str, tmp_path: Path) -> tuple[int, list[str]]:
    """Run `systemd-analyze verify` on a copy of the unit; return code and messages."""
    exe = _systemd_analyze()
    text = unit_text.replace(f"ExecStart={INSTALLED_EXEC} ", f"ExecStart={_runnable_exec()} ")
    path = tmp_path / "somed.service"  # the file name is the unit name
    path.write_text(text, encoding="utf-8")
    help_text = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False).stdout
    args = [exe, "verify"]
    if "--man" in help_text:
        args.append("--man=no")
    if "--recursive-errors" in help_text:
        args.append("--recursive-errors=no")
    env = {**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": "", "LC_ALL": "C"}
    proc = subprocess.run(
        [*args, str(path)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    lines = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    return proc.returncode, lines


def _real_errors(code: int, lines: list[str]) -> list[str]:
    unexplained = [ln for ln in lines if not any(p.search(ln) for p in CONTAINER_NOISE)]
    about_unit = [ln for ln in unexplained if "somed.service" in ln]
    # A zero exit can still carry "Unknown key ..., ignoring" about our unit.
    return unexplained if code != 0 else about_unit


def test_systemd_analyze_verify(tmp_path):
    code, lines = _verify(UNIT.read_text(encoding="utf-8"), tmp_path)
    errors = _real_errors(code, lines)
    assert not errors, f"systemd-analyze verify exited {code}:\n" + "\n".join(lines)
    if code != 0:
        # Only container noise, no message about the unit itself.
        assert lines, f"systemd-analyze verify exited {code} without saying why"


def test_systemd_analyze_catches_mistakes(tmp_path):
    """The harness above is not vacuous: a misspelt key and a bad value fail."""
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace("ProtectSystem=strict", "ProtectSytem=strict")
    text = text.replace("WatchdogSec=60", "WatchdogSec=sixty")
    code, lines = _verify(text, tmp_path)
    errors = _real_errors(code, lines)
    assert any("ProtectSytem" in ln for ln in errors), lines
    assert any("sixty" in ln for ln in errors), lines
