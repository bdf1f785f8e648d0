"""The web UI: server-rendered pages over the same storage, queue, rules and audit log as the CLI.

`app.create_app(config)` builds the Starlette app; each module in `pages/` declares its routes
with the role each needs (`routing.Pages`), found at start, so a new page adds one module.
"""
