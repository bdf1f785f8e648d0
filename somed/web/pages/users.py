"""The people of the web UI (admin): list, add a local user, disable one.

Through `somed.users` (`add_local_user`, `disable`), as `somed user add|disable` does, audited in
the admin's name. A disabled user cannot sign in, and their open sessions end at their next
request (the session is checked against `users` every time).
"""

from __future__ import annotations

from starlette.responses import Response

from somed.users import ROLES, UserError, add_local_user, disable
from somed.web.context import Context
from somed.web.notices import notify, take_notices
from somed.web.routing import MenuItem, Pages
from storage.users import list_users

PAGES = Pages(menu=[MenuItem(70, "/users", "web.nav.users", "admin")])


@PAGES.get("/users", role="admin")
def users_page(ctx: Context) -> Response:
    """Every user with role, source, state and last sign-in; the forms to add and disable."""
    return ctx.render("users.html.j2", title=ctx.t("web.users.title"), users=list_users(ctx.db),
                      roles=ROLES, notices=take_notices(ctx))  # fmt: skip


def _refused(ctx: Context, exc: UserError) -> Response:
    """Keep why the change was refused, back to the list."""
    notify(ctx, exc.reason, alert=True, **exc.params)
    return ctx.redirect("/users")


@PAGES.post("/users", role="admin", name="user_add")
def add(ctx: Context) -> Response:
    """Add a local user: name, role, full name, the password twice."""
    name, role = ctx.field("name").strip(), ctx.field("role")
    password = ctx.field("password")
    if password != ctx.field("password2"):
        notify(ctx, "web.users.passwords_differ", alert=True)
        return ctx.redirect("/users")
    try:
        with ctx.archive.writer() as db:
            add_local_user(db, name, role, password, full_name=ctx.field("full_name").strip()
                           or None, by=ctx.actor, now=ctx.now)  # fmt: skip
    except UserError as exc:
        return _refused(ctx, exc)
    notify(ctx, "web.users.added", name=name, role=ctx.t(f"web.role.{role}"))
    return ctx.redirect("/users")


@PAGES.post("/users/{name}/disable", role="admin", name="user_disable")
def disable_user(ctx: Context) -> Response:
    """Disable a user, with the reason given (required); an admin cannot disable themself."""
    assert ctx.user is not None
    name = ctx.param("name")
    if name == ctx.user.name:
        notify(ctx, "web.users.not_yourself", alert=True)
        return ctx.redirect("/users")
    reason = ctx.field("reason").strip()
    if not reason:
        notify(ctx, "web.users.reason_needed", alert=True, name=name)
        return ctx.redirect("/users")
    try:
        with ctx.archive.writer() as db:
            changed = disable(db, name, by=ctx.actor, reason=reason, now=ctx.now)
    except UserError as exc:
        return _refused(ctx, exc)
    notify(ctx, "web.users.disabled" if changed else "web.users.disabled_already", name=name)
    return ctx.redirect("/users")
