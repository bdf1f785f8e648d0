"""Put a capture's files in the content-addressed media store, and describe each one."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from storage.media import MediaStore

WACZ_TYPE = "application/wacz"
mimetypes.add_type(WACZ_TYPE, ".wacz")  # so the store names it .wacz, not .bin
_CHUNK = 1 << 20


def store_file(store: MediaStore, path: Path, mime_type: str, role: str) -> dict[str, Any]:
    """Stream `path` into the store; return its entry for the manifest (role, sha256, size...)."""
    with store.incoming() as incoming, path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            incoming.write(chunk)
        stored = store.commit(incoming, mime_type)
    return {
        "role": role,
        "sha256": stored.sha256,
        "size": stored.size,
        "mime_type": stored.mime_type,
        "path": stored.path,
    }


def store_manifest(store: MediaStore, manifest: dict[str, Any]) -> dict[str, Any]:
    """Store the manifest as canonical JSON (sorted keys, UTF-8); return its entry."""
    data = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2).encode() + b"\n"
    stored = store.put(data, "application/json")
    return {
        "role": "manifest",
        "sha256": stored.sha256,
        "size": stored.size,
        "mime_type": stored.mime_type,
        "path": stored.path,
    }
