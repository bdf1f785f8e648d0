"""Turn the English failure messages somed stores into a reason in the reader's language.

The messages come from the Facebook connector (`connectors/facebook/client.py` `classify()`,
`connectors/facebook/connector.py`) and from the runner (`somed/runner.py`); they stay English in
the database and the logs. `explain` recognises their shapes and says the same thing in plain
words, so a Swedish note never carries English connector text. A message it does not recognise is
shown as a generic sentence with the English detail in parentheses.
"""

from __future__ import annotations

import re

from somed.i18n import Translator

# "(code 190/463)", as `classify()` writes it for a rejected token
_TOKEN_CODE = re.compile(r"\bcode (190|102)(?:/(\d+))?\b")
_TOKEN_SUBCODES = {
    463: "reason.token.expired",
    460: "reason.token.password",
    493: "reason.token.unused",
    458: "reason.token.app_removed",
}
# "(#200) Requires pages_messaging permission ...",
# "(#10) This endpoint requires the 'pages_read_engagement' permission ..."
_PERMISSION_NAME = re.compile(r"\b[Rr]equires (?:the )?'?([a-z][a-z_]+)'? permission")
# "(code 10)", "(code 200)", or Graph's own "(#10)": codes 10 and 200-299 are permission errors
_PERMISSION_CODE = re.compile(r"(?:\bcode |\(#)(10|2\d\d)\b")
_PAGE_MISSING = re.compile(r"\bpage (\S+) does not exist or this token cannot see it")
_TRANSIENT = re.compile(
    r"gave up after \d+ attempts|passing fault|malformed|answered HTTP|unexpected response|"
    r"media download failed",
    re.IGNORECASE,
)
# the parts of a partial run's message: "posts: ...; re-read: ..." (see `_AccountRun._work`)
_PART = re.compile(r"(?:^|; )(profile|posts|messages|re-read): ")
_PART_STREAMS = {"re-read": "sweep"}


def explain(message: str | None, t: Translator) -> str:
    """The reason behind a stored failure message, in `t`'s language ("" for no message)."""
    if not message or not message.strip():
        return ""
    message = message.strip()
    starts = list(_PART.finditer(message))
    if not starts or starts[0].start() != 0:
        return _explain_one(message, t)
    parts = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(message)
        stream = _PART_STREAMS.get(match.group(1), match.group(1))
        part = f"{t(f'stream.{stream}')}: {_explain_one(message[match.end() : end], t)}"
        parts.append(_capitalized(part) if parts else part)
    return ". ".join(parts)  # each reason may hold a "; " itself


def _explain_one(message: str, t: Translator) -> str:
    """One failure (no "stream: " prefix) in plain words."""
    lower = message.lower()
    token = _TOKEN_CODE.search(message)
    if token or "rejected the access token" in lower or "error validating access token" in lower:
        subcode = int(token.group(2)) if token and token.group(2) else None
        if subcode in _TOKEN_SUBCODES:
            why = t(_TOKEN_SUBCODES[subcode])
        elif token is None and "expired" in lower:
            why = t("reason.token.expired")
        else:
            why = t("reason.token.invalid")
        if token is None:
            return t("reason.token_nocode", why=why)
        code = token.group(1) + (f"/{subcode}" if subcode else "")
        return t("reason.token", why=why, code=code)
    if "throttling" in lower or "rate limit" in lower or "(asked to wait" in lower:
        return t("reason.throttled")
    permission = _PERMISSION_NAME.search(message)
    if permission:
        return t("reason.permission_named", permission=permission.group(1))
    code = _PERMISSION_CODE.search(message)
    if code:
        return t("reason.permission", code=code.group(1))
    if "lacks a permission" in lower:
        return t("reason.permission_nocode")
    page = _PAGE_MISSING.search(message)
    if page:
        return t("reason.page_missing", page=page.group(1))
    if "does not exist" in lower:
        return t("reason.object_missing")
    if "api version not accepted" in lower:
        return t("reason.api_version")
    if "network problem" in lower or "http problem" in lower:
        return t("reason.network")
    if _TRANSIENT.search(message):
        return t("reason.transient")
    if "the daemon was stopping" in lower:
        return t("reason.interrupted")
    if "ended unexpectedly" in lower:
        return t("reason.crashed")
    if "another process is archiving" in lower:
        return t("reason.busy")
    if lower.startswith("internal error: "):
        return t("reason.internal", detail=message[len("internal error: ") :])
    return t("reason.other", detail=message)


def rejected_token(message: str | None, t: Translator) -> str:
    """Why a token was rejected, opening a sentence (a generic reason when nothing is stored)."""
    reason = explain(message, t) or t("reason.token_nocode", why=t("reason.token.invalid"))
    return _capitalized(reason)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
