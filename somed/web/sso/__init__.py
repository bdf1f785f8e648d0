"""Single sign-on for the web UI: SAML 2.0 (`saml.py`, pysaml2) and OpenID Connect (`oidc.py`).

Both end in `signin.finish`: the identity provider's groups give the role through `[web.roles]`,
the user row is recorded (`storage.users.upsert_sso_user`), the session started and the sign-in
(or its refusal) written to the audit log. The routes are in `somed.web.pages.sso`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_lock = threading.Lock()


def once_per_app(state: Any, name: str, make: Callable[[], T]) -> T:
    """`state.<name>` (an app's `app.state`), made by `make()` on first use, then kept."""
    with _lock:
        found = getattr(state, name, None)
        if found is None:
            found = make()
            setattr(state, name, found)
        return found  # type: ignore[no-any-return]
