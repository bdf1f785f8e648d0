"""The shared emulator toolkit: what every platform emulator needs, so each is data and routes.

A platform emulator (`connectors/<platform>/emulator/`) subclasses `Emulator`, registers its
routes on `self.router` and maps the toolkit's fault kinds to its own error envelope in
`fault_response`. The toolkit gives it:

- `server.LoopbackServer`: a threaded WSGI server on a free loopback port (port 0), started in a
  daemon thread and stopped cleanly, with a per-request latency knob;
- `routes.Router`: routes by method and a regular expression on the path; overrides win;
- `log.RequestLog`: a thread-safe log of every request (method, path, params, status, fault);
- `faults.FaultPlan` / `faults.FaultQueue`: fail the next N requests, or a seeded share of them,
  with a kind the platform answers in its own wire format;
- `budget.UsageBudget`: a sliding (rate) or fixed (daily quota) window of spent units, with
  remaining units and reset time, that each platform turns into its own headers;
- `cursors.CursorCodec`: opaque, URL-safe, tamper-evident paging tokens;
- `media`: small valid JPEG/PNG/GIF/MP4 (and MP3/PDF) bytes with correct magic numbers,
  deterministic by seed.

Nothing here knows a platform; it uses the standard library and werkzeug only.
"""

from __future__ import annotations

from connectors.emulation.app import Emulator, json_response
from connectors.emulation.budget import UsageBudget
from connectors.emulation.cursors import CursorCodec, InvalidCursor
from connectors.emulation.faults import Fault, FaultPlan, FaultQueue
from connectors.emulation.log import LoggedRequest, RequestLog
from connectors.emulation.media import (
    MEDIA_TYPES,
    gif_image,
    jpeg_image,
    media_bytes,
    mp3_audio,
    mp4_video,
    pdf_document,
    png_image,
)
from connectors.emulation.routes import Router
from connectors.emulation.server import LoopbackServer

__all__ = [
    "MEDIA_TYPES",
    "CursorCodec",
    "Emulator",
    "Fault",
    "FaultPlan",
    "FaultQueue",
    "InvalidCursor",
    "LoggedRequest",
    "LoopbackServer",
    "RequestLog",
    "Router",
    "UsageBudget",
    "gif_image",
    "jpeg_image",
    "json_response",
    "media_bytes",
    "mp3_audio",
    "mp4_video",
    "pdf_document",
    "png_image",
]
