"""The four roles, ordered: each may do what the ones before it may, and more."""

from __future__ import annotations

from somed.config_web import ROLE_NAMES

ROLES = ROLE_NAMES  # reader < editor < registrar < admin


def rank(role: str | None) -> int:
    """The role's place in the order (-1 for none or an unknown role)."""
    return ROLES.index(role) if role in ROLES else -1


def allows(role: str | None, needed: str) -> bool:
    """True when `role` is `needed` or above it."""
    return rank(role) >= rank(needed) >= 0
