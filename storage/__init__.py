"""SQLite and files on disk: the archive's storage layer (knows nothing about platforms).

Import from the modules themselves (`storage.db`, `storage.writer`, `storage.quarantine`, ...).
"""
