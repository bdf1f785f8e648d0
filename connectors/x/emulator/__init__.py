"""A local X API v2 server speaking X's wire format, built on `connectors.emulation`."""

from __future__ import annotations

from connectors.x.emulator.app import XEmulator
from connectors.x.emulator.data import XAccount, x_time
from connectors.x.emulator.generate import demo_account, generate_account

__all__ = ["XAccount", "XEmulator", "demo_account", "generate_account", "x_time"]
