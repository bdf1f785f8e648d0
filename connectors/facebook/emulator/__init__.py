"""The Facebook emulator: a local server speaking the Graph API wire format for pages.

`FacebookEmulator` (in `core`) is built on the shared toolkit `connectors.emulation`; the Graph
side lives beside it: `store` (state), `render` and `nodes` (reads), `fields` (the `fields`
syntax), `errors` and `faults` (error envelopes, injected faults), `data` (data sets and the
demo pages), `demo` (what `somed demo` serves, imported only by it).
"""

from __future__ import annotations

from connectors.emulation import png_image
from connectors.facebook.emulator.core import MAX_BATCH, FacebookEmulator, LoggedRequest
from connectors.facebook.emulator.data import (
    ALL_PERMISSIONS,
    CommentData,
    ConversationData,
    MessageData,
    PageData,
    PostData,
    TokenInfo,
    demo_pages,
    generate_page,
)
from connectors.facebook.emulator.faults import FAULT_KINDS, FaultPlan
from connectors.facebook.emulator.fields import FieldSpec, parse_fields

__all__ = [
    "ALL_PERMISSIONS",
    "FAULT_KINDS",
    "MAX_BATCH",
    "CommentData",
    "ConversationData",
    "FacebookEmulator",
    "FaultPlan",
    "FieldSpec",
    "LoggedRequest",
    "MessageData",
    "PageData",
    "PostData",
    "TokenInfo",
    "demo_pages",
    "generate_page",
    "parse_fields",
    "png_image",
]
