"""Routes declared with the role they need; every module in `somed.web.pages` holds some.

A page module makes `PAGES = Pages()` and decorates its handlers:

    @PAGES.get("/search", role="reader")
    def search(ctx: Context) -> Response: ...

Handlers are plain functions of a `Context` (run in the thread pool, so they may block on
SQLite); `role=None` marks a public route (sign-in, static files, the accessibility statement).
POST routes check the CSRF token before the handler runs. The one exception is a route declared
`csrf=False`: only the SAML assertion consumer service (`/saml/acs`, somed.web.pages.sso), which
the identity provider's page posts cross-site without our token and whose body is authenticated
instead by its XML signature and its InResponseTo (checked by the handler). No other route may
use it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import Response

from somed.web.roles import ROLES

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Page:
    """One route: path, methods, handler and the least role that may use it (None: anyone)."""

    path: str
    handler: Handler
    role: str | None
    methods: tuple[str, ...]
    name: str
    csrf: bool = True  # False only for /saml/acs (see the module docstring)


@dataclass(frozen=True)
class MenuItem:
    """A link in the main menu: its place, path, text id and the least role that sees it."""

    order: int
    path: str
    text: str
    role: str


@dataclass
class Pages:
    """The routes of one page module, in the order declared, and its main-menu links."""

    menu: list[MenuItem] = field(default_factory=list)
    routes: list[Page] = field(default_factory=list)

    def add(self, path: str, *, role: str | None, methods: tuple[str, ...], name: str | None = None,
            csrf: bool = True) -> Callable[[Handler], Handler]:  # fmt: skip
        """Register `handler` for `path`, `methods`, open to `role` and above."""
        if role is not None and role not in ROLES:
            raise ValueError(f"unknown role {role!r}")

        def register(handler: Handler) -> Handler:
            self.routes.append(Page(path, handler, role, methods, name or handler.__name__, csrf))
            return handler

        return register

    def get(self, path: str, *, role: str | None, name: str | None = None
            ) -> Callable[[Handler], Handler]:  # fmt: skip
        """Register a GET (and HEAD) route."""
        return self.add(path, role=role, methods=("GET", "HEAD"), name=name)

    def post(self, path: str, *, role: str | None, name: str | None = None, csrf: bool = True
             ) -> Callable[[Handler], Handler]:  # fmt: skip
        """Register a POST route (CSRF-checked unless `csrf=False`: the SAML ACS only)."""
        return self.add(path, role=role, methods=("POST",), name=name, csrf=csrf)


def page_modules() -> list[Pages]:
    """The `PAGES` of every module in `somed.web.pages`, modules in name order."""
    import somed.web.pages as package

    found: list[Pages] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        pages = getattr(module, "PAGES", None)
        if isinstance(pages, Pages):
            found.append(pages)
    return found


def menu() -> list[MenuItem]:
    """The main menu of every page module, in order."""
    return sorted((item for pages in page_modules() for item in pages.menu), key=lambda m: m.order)


def all_pages() -> list[Page]:
    """Every route of every module in `somed.web.pages`, modules in name order."""
    found = [page for pages in page_modules() for page in pages.routes]
    names = [page.name for page in found]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise RuntimeError(f"web routes named twice: {sorted(duplicates)}")
    return found
