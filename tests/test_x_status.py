"""What `somed status` says about an X account: streams the tier or tokens do not allow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from connectors.x.emulator import generate_account
from tests.xemu import TOKEN, USER_ID, USER_TOKEN

ROOT = Path(__file__).resolve().parents[1]


def somed(setup, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**setup.env, "SOMED_LANG": lang}
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_status_shows_the_stream_outside_the_tier_and_the_skipped_messages(x_setup):
    setup = x_setup([generate_account(USER_ID, "Testkommun", "testkommun", posts=8)],
                    user_token=False)  # fmt: skip
    setup.emulator.deny("search")
    archived = somed(setup, "archive")
    assert archived.returncode == 0, archived.stdout + archived.stderr
    (row,) = json.loads(somed(setup, "status", "--json").stdout)
    streams = {s["stream"]: s for s in row["streams"]}
    assert streams["replies"]["status"] == "permission_denied"
    assert streams["messages"]["status"] == "permission_denied"
    assert streams["posts"]["status"] == "ok"
    swedish = somed(setup, "status", lang="sv").stdout
    assert "API-nivå" in swedish and "användartoken" in swedish, swedish
    english = somed(setup, "status", lang="en").stdout
    assert "tier does not include" in english, english
    for text in (swedish, english, archived.stdout, archived.stderr):
        assert TOKEN not in text and USER_TOKEN not in text
