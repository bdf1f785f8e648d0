"""Periodic duties: idempotent "is it due, and for whom?" checks run by the daemon's tick."""
