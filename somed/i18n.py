"""User-facing words in Swedish (default) and English; code and logs stay English."""

from __future__ import annotations

import os

LANGUAGES = ("sv", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "sv": {
        "col.account": "Konto",
        "col.platform": "Plattform",
        "col.status": "Status",
        "col.new": "Nya",
        "col.changed": "Ändrade",
        "col.deleted": "Borttagna",
        "col.requests": "Anrop",
        "col.duration": "Tid",
        "col.items": "Poster",
        "col.health": "Hälsa",
        "col.last_run": "Senaste körning",
        "col.last_own_post": "Senaste egna inlägg",
        "col.note": "Anmärkning",
        "status.ok": "ok",
        "status.partial": "delvis",
        "status.auth_failed": "token avvisad",
        "status.rate_limited": "strypt av plattformen",
        "status.failed": "misslyckades",
        "status.interrupted": "avbruten",
        "status.busy": "upptagen",
        "status.running": "pågår",
        "health.ok": "ok",
        "health.failing": "fel",
        "health.auth_failed": "token måste förnyas",
        "health.unknown": "ej körd",
        "note.auth_failed": "Åtkomsttoken avvisades ({detail}). Förnya token och lägg in den "
        "i {where}; nästa körning fortsätter där arkivet slutade.",
        "note.permission": "Behörighet saknas för {stream}: {detail}",
        "note.busy": "En annan process arkiverar kontot just nu; försök igen om en stund "
        "eller använd --wait.",
        "note.failing": "Senaste körningen misslyckades: {detail}",
        "note.never_run": "Inte arkiverat ännu.",
        "summary.failed": "{count} av {total} konton kunde inte arkiveras helt.",
        "summary.ok": "Alla {total} konton arkiverade.",
        "status.no_archive": "Inget arkiv finns ännu i {path} (kör 'somed archive' först).",
        "demo.banner": "somed demo: Facebook-emulatorn kör på {url}; arkivet ligger i {dir}.",
        "demo.daemon": "Demon kör nu och hämtar var {minutes}:e minut. Avsluta med Ctrl-C.",
        "demo.config": "Konfigurationen för demon: {path}",
        "days_ago": "för {days} dagar sedan",
        "today": "i dag",
        "stream.profile": "profil",
        "stream.posts": "inlägg och kommentarer",
        "stream.messages": "meddelanden (Messenger)",
    },
    "en": {
        "col.account": "Account",
        "col.platform": "Platform",
        "col.status": "Status",
        "col.new": "New",
        "col.changed": "Changed",
        "col.deleted": "Deleted",
        "col.requests": "Requests",
        "col.duration": "Time",
        "col.items": "Items",
        "col.health": "Health",
        "col.last_run": "Last run",
        "col.last_own_post": "Last own post",
        "col.note": "Note",
        "status.ok": "ok",
        "status.partial": "partial",
        "status.auth_failed": "token rejected",
        "status.rate_limited": "rate limited",
        "status.failed": "failed",
        "status.interrupted": "interrupted",
        "status.busy": "busy",
        "status.running": "running",
        "health.ok": "ok",
        "health.failing": "failing",
        "health.auth_failed": "token must be renewed",
        "health.unknown": "not run",
        "note.auth_failed": "The access token was rejected ({detail}). Renew the token and put "
        "it in {where}; the next run continues where the archive stopped.",
        "note.permission": "No permission for {stream}: {detail}",
        "note.busy": "Another process is archiving this account right now; try again shortly "
        "or use --wait.",
        "note.failing": "The last run failed: {detail}",
        "note.never_run": "Not archived yet.",
        "summary.failed": "{count} of {total} accounts could not be archived completely.",
        "summary.ok": "All {total} accounts archived.",
        "status.no_archive": "No archive yet at {path} (run 'somed archive' first).",
        "demo.banner": "somed demo: the Facebook emulator runs at {url}; the archive is in {dir}.",
        "demo.daemon": "The daemon now polls every {minutes} minute(s). Stop with Ctrl-C.",
        "demo.config": "The demo's configuration: {path}",
        "days_ago": "{days} days ago",
        "today": "today",
        "stream.profile": "profile",
        "stream.posts": "posts and comments",
        "stream.messages": "messages (Messenger)",
    },
}


class Translator:
    """Look up user-facing text in one language, falling back to English, then the key."""

    def __init__(self, language: str | None = None) -> None:
        chosen = language or os.environ.get("SOMED_LANG") or "sv"
        self.language = chosen if chosen in LANGUAGES else "sv"

    def __call__(self, key: str, **values: object) -> str:
        """Return the text for `key` with `values` filled in."""
        text = MESSAGES[self.language].get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text
