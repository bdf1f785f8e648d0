"""Retention (gallring): the current plan per rule, what it removes, and applying it (admin).

The plan is `somed retention plan`'s (`somed.retention.plan.plan_from_archive`), at the time of
the request; the holds in force are named beside it, since what they cover is never in it.
Applying takes the plan's id and a second step: a page that shows the id and the counts, whose
form posts `confirm=1`. `somed.retention.apply.apply_plan` recomputes the plan in its write
transaction and refuses an id that is no longer the plan (the archive, rules, holds or time
changed), as `somed retention apply` does.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from somed.display import human_bytes
from somed.item_ref import format_item
from somed.retention.apply import PlanChanged, apply_plan
from somed.retention.plan import Plan, plan_from_archive
from somed.web.context import Context
from somed.web.notices import notify, take_notices
from somed.web.pages.holds import holds_shown
from somed.web.paging import page_links, pager
from somed.web.routing import MenuItem, Pages

PAGES = Pages(menu=[MenuItem(40, "/retention", "web.nav.retention", "registrar")])


def current_plan(ctx: Context) -> Plan:
    """The disposal plan of the archive now, as `somed retention plan` computes it."""
    return plan_from_archive(ctx.db, ctx.config.retention, ctx.now)


def _rules(ctx: Context, plan: Plan) -> list[dict[str, Any]]:
    """The plan's rules for the table: totals, the action in words, the size removed."""
    return [{**vars(r), "action_text": ctx.t(f"retention.action.{r.action}", period=r.period or ""),
             "size": human_bytes(r.bytes)} for r in plan.rules]  # fmt: skip


@PAGES.get("/retention", role="registrar")
def retention_page(ctx: Context) -> Response:
    """The plan per rule, the holds it respects, and the items it would remove (paginated)."""
    assert ctx.user is not None
    plan = current_plan(ctx)
    names = {r.name for r in plan.rules}
    rule = ctx.query("rule") if ctx.query("rule") in names else ""
    chosen = [d for d in plan.disposals if not rule or d.rule == rule]
    page = pager(ctx, len(chosen))
    items = [{"item": format_item(d.platform, d.item_id), "kind": d.kind, "account": d.account,
              "rule": d.rule, "decision": d.decision}
             for d in chosen[page["offset"] : page["offset"] + page["size"]]]  # fmt: skip
    return ctx.render(
        "retention.html.j2", title=ctx.t("web.retention.title"), plan=plan,
        rules=_rules(ctx, plan), holds=holds_shown(ctx, active_only=True), items=items, rule=rule,
        page=page, links=page_links(ctx, page, "/retention", rule=rule),
        notices=take_notices(ctx), may_apply=ctx.user.allows("admin"),
        has_rules=bool(ctx.config.retention.rules),
    )  # fmt: skip


@PAGES.get("/retention/apply", role="admin", name="retention_confirm")
def confirm_page(ctx: Context) -> Response:
    """The second step: the plan's id and counts, and the button that really applies it."""
    asked = ctx.query("plan").strip().lower()
    if not asked:
        return ctx.redirect("/retention")
    plan = current_plan(ctx)
    if asked != plan.id:
        return ctx.render("retention_stale.html.j2", status=409,
                          title=ctx.t("web.retention.stale_title"), asked=asked,
                          current=plan.id)  # fmt: skip
    return ctx.render("retention_confirm.html.j2", title=ctx.t("web.retention.confirm_title"),
                      plan=plan, rules=[r for r in _rules(ctx, plan) if r["due"]])  # fmt: skip


@PAGES.post("/retention/apply", role="admin", name="retention_apply")
def apply(ctx: Context) -> Response:
    """Dispose of what the plan shows, if it is still the plan; else say so and show the new one."""
    asked = ctx.field("plan").strip().lower()
    if ctx.field("confirm") != "1":
        return ctx.redirect(ctx.url("/retention/apply", plan=asked))
    try:
        with ctx.archive.writer() as db:
            done = apply_plan(db, ctx.config.retention, asked, by=ctx.actor, now=ctx.now,
                              storage_root=ctx.config.storage_dir)  # fmt: skip
    except PlanChanged as exc:
        notify(ctx, "web.retention.changed", alert=True, id=exc.asked, current=exc.current)
        return ctx.redirect("/retention")
    notify(ctx, "web.retention.applied", count=done.disposed, id=done.plan.id,
           files=done.files_removed)  # fmt: skip
    return ctx.redirect("/retention")
