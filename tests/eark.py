"""Run the real E-ARK validator (eark-validator 1.1.3, offline) on a package: `validate(path)`.

The validator runs from `../shared/tools/eark-validate` beside the repository; the tests that use
it are skipped, naming the missing path, when that folder is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCRIPT = SHARED / "tools" / "eark-validate"


def validate(path: Path) -> tuple[bool, list[str]]:
    """(schema VALID, the schematron and structure messages of severity Error) for a package."""
    if not SCRIPT.is_file():
        pytest.skip(f"E-ARK validator not found: {SCRIPT} is missing")
    with tempfile.TemporaryDirectory() as unpack:  # it unpacks ZIPs into TMPDIR
        result = subprocess.run(
            [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True,
            timeout=300, env={**os.environ, "TMPDIR": unpack},
        )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no report from the validator: {result.stdout}{result.stderr}"
    report = json.loads(lines[-1])
    metadata = report.get("metadata") or {}
    schema = metadata.get("schema_results") or {}
    messages = [*(report.get("structure") or {}).get("messages", []), *schema.get("messages", []),
                *(metadata.get("schematron_results") or {}).get("messages", [])]  # fmt: skip
    errors = [f"{m.get('rule_id')}: {m.get('message')} ({m.get('location')})"
              for m in messages if str(m.get("severity")).upper() == "ERROR"]  # fmt: skip
    return schema.get("status") == "VALID", errors
