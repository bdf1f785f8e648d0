"""The accessibility statement (tillgänglighetsredogörelse), a template the body fills in."""

from __future__ import annotations

from starlette.responses import Response

from somed.web.context import Context
from somed.web.routing import Pages

PAGES = Pages()


@PAGES.get("/tillganglighet", role=None)
def accessibility(ctx: Context) -> Response:
    """The accessibility statement required by the DOS law (lag 2018:1937)."""
    return ctx.render("accessibility.html.j2", title=ctx.t("web.accessibility.title"))
