"""The configuration as read at start (admin), without secrets.

Accounts with platform, owner, editor, substitute and intervals, and where each token is read
from (`somed.display.token_place`: `$VARIABLE` or a file's path), never a token; the [web],
[storage] and [retention] sections in short. No value read from the environment or a secret file
is ever put on this page.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from somed.display import token_place
from somed.web.context import Context
from somed.web.routing import MenuItem, Pages

PAGES = Pages(menu=[MenuItem(80, "/settings", "web.nav.settings", "admin")])


def source_of(env: str | None, file: Any) -> str:
    """Where a secret is read from, in words ("–" when nowhere), never the secret."""
    if env:
        return f"${env}"
    return str(file) if file else "–"


def _web(ctx: Context) -> list[tuple[str, Any]]:
    """The [web] section in short: (text id, value) pairs."""
    web = ctx.config.web
    rows: list[tuple[str, Any]] = [
        ("web.settings.listen", web.listen), ("web.settings.public_url", web.public_url or "–"),
        ("web.settings.secure_cookies", ctx.t("web.settings.yes" if web.secure_cookies
                                              else "web.settings.no")),
        ("web.settings.idle", web.idle_timeout_minutes),
        ("web.settings.absolute", web.absolute_timeout_hours),
        ("web.settings.lockout", ctx.t("web.settings.lockout_value",
                                       failures=web.max_login_failures,
                                       minutes=web.lockout_minutes)),
        ("web.settings.page_size", web.page_size),
        ("web.settings.session_key", source_of(web.session_key_env, web.session_key_file)),
        ("web.settings.saml", web.saml.display_name if web.saml else "–"),
        ("web.settings.oidc", f"{web.oidc.display_name} ({web.oidc.issuer})" if web.oidc else "–"),
    ]  # fmt: skip
    if web.oidc:
        rows.append(
            (
                "web.settings.oidc_secret",
                source_of(web.oidc.client_secret_env, web.oidc.client_secret_file),
            )
        )
    return rows


@PAGES.get("/settings", role="admin")
def settings_page(ctx: Context) -> Response:
    """The accounts and the main sections of the configuration, secrets named by source only."""
    config = ctx.config
    accounts = [{
        "key": a.key, "platform": a.platform, "id": a.id, "owner": a.owner or "–",
        "editor": a.editor or "–", "substitute": a.substitute or "–", "status": a.status,
        "enabled": a.enabled, "interval": a.interval_minutes, "refetch": a.refetch_window_days,
        "sweep": a.deep_sweep_days, "streams": ", ".join(a.streams) if a.streams else "–",
        "token": token_place(a) if a.token_env or a.token_file else "–",
    } for a in config.accounts]  # fmt: skip
    retention = config.retention
    rules = [{"name": r.name, "decision": r.decision, "priority": r.priority,
              "action": ctx.t(f"retention.action.{r.action}", period=r.dispose_after or
                              retention.not_current_after)} for r in retention.rules]  # fmt: skip
    return ctx.render(
        "settings.html.j2", title=ctx.t("web.settings.title"), accounts=accounts,
        web=_web(ctx), storage_dir=str(config.storage_dir), db_path=str(config.db_path),
        config_path=str(config.path), retention=retention, rules=rules,
    )  # fmt: skip
