"""Snapshots: full-page captures of accounts' public pages (PNG, PDF/A, WACZ and a manifest)."""

from __future__ import annotations

from somed.capture.batch import capture_accounts
from somed.capture.model import CaptureRequest, CaptureResult

__all__ = ["CaptureRequest", "CaptureResult", "capture_accounts"]
