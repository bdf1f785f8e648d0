"""The web UI's pages: each module declares `PAGES = Pages(...)` (see `somed.web.routing`)."""
