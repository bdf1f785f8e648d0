"""Snapshots: full-page captures of accounts' public pages (PNG, PDF/A, WACZ and a manifest).

The names below are imported on first use: the capture worker (`somed.capture.worker`), a
process of its own per batch, needs only the browser's side and starts without the
configuration and storage modules the batch uses (some 0.5 s of imports).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from somed.capture.batch import capture_accounts
    from somed.capture.model import CaptureRequest, CaptureResult

__all__ = ["CaptureRequest", "CaptureResult", "capture_accounts"]
_HOMES = {"capture_accounts": "batch", "CaptureRequest": "model", "CaptureResult": "model"}


def __getattr__(name: str) -> Any:
    """The public names, imported from their modules when first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"somed.capture.{_HOMES[name]}"), name)
