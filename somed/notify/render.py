"""A digest as an e-mail: subject and plain-text body in the reader's language."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from connectors.model import utc_iso
from somed.display import local_time
from somed.i18n import Translator
from somed.item_ref import format_item
from somed.notify.digest import AccountDigest, Digest
from somed.reasons import display_name, render
from somed.status import health_note


def subject(t: Translator, digest: Digest) -> str:
    """The digest's subject line."""
    return t("notify.subject", day=digest.day)


def body(t: Translator, digest: Digest) -> str:
    """The digest's text: a line on what it covers, then each account with something to say."""
    since = local_time(utc_iso(digest.since)) if digest.since else None
    lines = [t("notify.intro", day=digest.day),
             t("notify.since", since=since) if since else t("notify.first"), ""]  # fmt: skip
    for part in digest.accounts:
        if not part.empty:
            lines += _account(t, part) + [""]
    lines.append(t("notify.footer"))
    return "\n".join(lines) + "\n"


def _account(t: Translator, part: AccountDigest) -> list[str]:
    """The lines about one account."""
    lines = [t("notify.account", key=part.key, platform=display_name(part.platform))]
    if part.run_trouble:
        note = health_note(t, {**part.status, "flags": []})
        lines.append(t("notify.runs", note=note))
    if part.inactive is not None:
        why = render(t, part.inactive["reason"], part.inactive["params"], platform=part.platform)
        lines.append(t("notify.inactive", reason=why))
    if part.new_flags:
        lines.append(t.n("notify.new_flags", len(part.new_flags)))
        for flag in part.new_flags:
            why = render(t, flag["reason"], flag["params"], platform=part.platform)
            where = _where(flag)
            lines.append(t("notify.flag_line", flag=t(f"flag.{flag['flag']}"), reason=why,
                           opened=local_time(flag["created_at"]), where=where))  # fmt: skip
    if part.unanswered:
        lines.append(t.n("notify.unanswered", len(part.unanswered)))
        for flag in part.unanswered:
            params = flag["params"]
            asked, due = local_time(params.get("asked_at")), local_time(params.get("deadline"))
            line = t("notify.question_line", author=params.get("author") or "?", asked=asked,
                     due=due, where=_where(flag))  # fmt: skip
            lines.append(line + (t("notify.new_marker") if flag.get("new") else ""))
    return lines


def _where(flag: dict[str, object]) -> str:
    """Where a flag's item is: its permalink, else its `PLATFORM:ID` ("" for an account flag)."""
    if flag.get("item_id") is None:
        return ""
    url = flag.get("item_url")
    return f" {url}" if url else f" {format_item(str(flag['platform']), str(flag['item_id']))}"


def message(t: Translator, digest: Digest, sender: str) -> EmailMessage:
    """The digest as an e-mail from `sender` to its recipient."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = digest.recipient
    mail["Subject"] = subject(t, digest)
    mail["Date"] = format_datetime(digest.through)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a digest
    mail.set_content(body(t, digest))
    return mail
