"""The web UI's systemd unit: hardened like the daemon's, and accepted by `systemd-analyze`."""

from __future__ import annotations

import pytest

from tests.test_systemd_unit import ROOT, _real_errors, _verify, parse_unit

WEB_UNIT = ROOT / "systemd" / "somed-web.service"
DAEMON_UNIT = ROOT / "systemd" / "somed.service"
HARDENING = (
    "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "NoNewPrivileges",
    "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
    "ProtectClock", "ProtectHostname", "RestrictAddressFamilies", "RestrictNamespaces",
    "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "SystemCallFilter",
    "SystemCallArchitectures", "CapabilityBoundingSet", "AmbientCapabilities", "User", "Group",
    "StateDirectory", "UMask",
)


@pytest.mark.parametrize("key", HARDENING)
def test_web_unit_is_hardened_like_the_daemon(key):
    web, daemon = parse_unit(WEB_UNIT)["Service"], parse_unit(DAEMON_UNIT)["Service"]
    assert web.get(key) == daemon.get(key), key


def test_web_unit_runs_somed_web_without_jit():
    service = parse_unit(WEB_UNIT)["Service"]
    assert service["ExecStart"].endswith(" web")
    assert service["MemoryDenyWriteExecute"] == "yes"
    assert service["RestartPreventExitStatus"] == "2"
    assert "web-session-key" in service["LoadCredential"]


def test_web_unit_passes_systemd_analyze(tmp_path):
    code, lines = _verify(WEB_UNIT.read_text(encoding="utf-8"), tmp_path)
    errors = _real_errors(code, lines)
    assert not errors, f"systemd-analyze verify exited {code}:\n" + "\n".join(lines)
