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
        "note.auth_failed": "{reason}. Förnya token och lägg in den i {where}; nästa körning "
        "fortsätter där arkivet slutade.",
        "note.permission": "Behörighet saknas för {stream}: {reason}.",
        "note.no_permission": "Behörighet saknas för {stream}",
        "note.busy": "En annan process arkiverar kontot just nu; försök igen om en stund "
        "eller använd --wait.",
        "note.failing": "Senaste körningen misslyckades: {reason}.",
        "note.never_run": "Inte arkiverat ännu.",
        "summary.failed": "{count} av {total} konton kunde inte arkiveras helt.",
        "summary.ok": "Alla {total} konton arkiverade.",
        "status.no_archive": "Inget arkiv finns ännu i {path} (kör 'somed archive' först).",
        "demo.banner": "somed demo: Facebook-emulatorn kör på {url}; arkivet ligger i {dir}.",
        "demo.fresh": "Demot börjar från början: somed:s egna filer från ett tidigare demo i "
        "mappen (databasen, media/, locks/ och konfigurationen) har tagits bort, inget annat.",
        "demo.daemon": "Demonen kör nu och hämtar var {minutes}:e minut. Avsluta med Ctrl-C.",
        "demo.config": "Konfigurationen för demot: {path}",
        "days_ago": "för {days} dagar sedan",
        "today": "i dag",
        "stream.profile": "profil",
        "stream.posts": "inlägg och kommentarer",
        "stream.messages": "meddelanden (Messenger)",
        "stream.sweep": "omläsning av senaste inläggen",
        "reason.token": "Facebook avvisade åtkomsttoken: {why} (kod {code})",
        "reason.token_nocode": "Facebook avvisade åtkomsttoken: {why}",
        "reason.token.expired": "den har gått ut",
        "reason.token.password": "den blev ogiltig när lösenordet byttes",
        "reason.token.unused": "den har inte använts på 90 dagar",
        "reason.token.app_removed": "appen har tagits bort från kontot",
        "reason.token.invalid": "den är inte giltig",
        "reason.permission_named": "token saknar behörigheten {permission}",
        "reason.permission": "token saknar en behörighet som krävs (kod {code})",
        "reason.permission_nocode": "token saknar en behörighet som krävs",
        "reason.page_missing": "sidan {page} finns inte eller syns inte med denna token "
        "(kontrollera kontots id och att token hör till den sidan)",
        "reason.object_missing": "det efterfrågade finns inte längre eller syns inte med denna "
        "token",
        "reason.throttled": "Facebook begränsar anropen just nu; nästa körning fortsätter",
        "reason.network": "nätverksproblem mot Facebook; nästa körning försöker igen",
        "reason.transient": "Facebook svarade med tillfälliga fel även efter upprepade försök; "
        "nästa körning försöker igen",
        "reason.api_version": "Facebook godtar inte den inställda API-versionen (ändra "
        "api_version i konfigurationen)",
        "reason.interrupted": "körningen avbröts när demonen stoppades; nästa körning fortsätter "
        "där den slutade",
        "reason.crashed": "processen som körde avslutades oväntat; nästa körning fortsätter där "
        "den slutade",
        "reason.busy": "en annan process arkiverade kontot samtidigt",
        "reason.internal": "internt fel i somed, se loggen (på engelska: {detail})",
        "reason.other": "oväntat fel (på engelska: {detail})",
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
        "note.auth_failed": "{reason}. Renew the token and put it in {where}; the next run "
        "continues where the archive stopped.",
        "note.permission": "No permission for {stream}: {reason}.",
        "note.no_permission": "No permission for {stream}",
        "note.busy": "Another process is archiving this account right now; try again shortly "
        "or use --wait.",
        "note.failing": "The last run failed: {reason}.",
        "note.never_run": "Not archived yet.",
        "summary.failed": "{count} of {total} accounts could not be archived completely.",
        "summary.ok": "All {total} accounts archived.",
        "status.no_archive": "No archive yet at {path} (run 'somed archive' first).",
        "demo.banner": "somed demo: the Facebook emulator runs at {url}; the archive is in {dir}.",
        "demo.fresh": "The demo starts afresh: somed's own files from an earlier demo in that "
        "folder (the database, media/, locks/ and the config) were removed, nothing else.",
        "demo.daemon": "The daemon now polls every {minutes} minute(s). Stop with Ctrl-C.",
        "demo.config": "The demo's configuration: {path}",
        "days_ago": "{days} days ago",
        "today": "today",
        "stream.profile": "profile",
        "stream.posts": "posts and comments",
        "stream.messages": "messages (Messenger)",
        "stream.sweep": "re-reading recent posts",
        "reason.token": "Facebook rejected the access token: {why} (code {code})",
        "reason.token_nocode": "Facebook rejected the access token: {why}",
        "reason.token.expired": "it has expired",
        "reason.token.password": "it was invalidated when the password changed",
        "reason.token.unused": "it was not used for 90 days",
        "reason.token.app_removed": "the app was removed from the account",
        "reason.token.invalid": "it is not valid",
        "reason.permission_named": "the token lacks the {permission} permission",
        "reason.permission": "the token lacks a required permission (code {code})",
        "reason.permission_nocode": "the token lacks a required permission",
        "reason.page_missing": "page {page} does not exist or this token cannot see it "
        "(check the account's id, and that the token belongs to that page)",
        "reason.object_missing": "what was asked for no longer exists or this token cannot see it",
        "reason.throttled": "Facebook is limiting requests right now; the next run continues",
        "reason.network": "network problem reaching Facebook; the next run tries again",
        "reason.transient": "Facebook kept answering with passing faults after repeated tries; "
        "the next run tries again",
        "reason.api_version": "Facebook does not accept the configured API version (change "
        "api_version in the config)",
        "reason.interrupted": "the run was cut short when the daemon stopped; the next run "
        "continues where it stopped",
        "reason.crashed": "the process running it ended unexpectedly; the next run continues "
        "where it stopped",
        "reason.busy": "another process was archiving the account at the same time",
        "reason.internal": "internal error in somed, see the log ({detail})",
        "reason.other": "unexpected problem ({detail})",
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
