"""Reasons in the reader's language, rendered from a reason code and its parameters.

Connectors raise typed errors carrying `reason` (a dotted code such as `auth.token_expired`)
and `params` (`connectors/base.py`); the runner adds its own codes (`run.gave_up`,
`run.interrupted`, ...). Runs, stream states and health store code and params beside the
English message (which stays for the logs). A code's text is the catalogue id `reason.<code>`
(`somed/i18n.py`): somed's catalogue holds the codes every platform shares, a connector's own
catalogue its platform's (`<platform>.api_version`). Nothing here reads the English message.

Rules of rendering:
- a code without a text falls back to its parent (`auth.weird` -> `auth`), then to the generic
  `reason.error` with the English detail, so a new code is never shown as a bare code;
- `{platform}` is the platform's display name (the connector class's `display_name`);
- `cause`/`cause_params` in the params are another reason, rendered and filled in as `{cause}`;
- `count` in the params picks the plural form;
- `run.partial` holds `parts`, one reason per stream, rendered "stream: reason. Stream: reason".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from somed.i18n import Translator

PARTIAL = "run.partial"
GENERIC = "error"


def reason_of(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """The reason code and params an exception carries (a generic internal one if none)."""
    code = getattr(exc, "reason", None)
    if isinstance(code, str) and code:
        return code, dict(getattr(exc, "params", None) or {})
    return "run.internal", {"error": type(exc).__name__}


def display_name(platform: str | None) -> str:
    """How people write the platform's name, from its connector class's `display_name`."""
    if not platform:
        return "?"
    from connectors.registry import connector_class

    try:
        name = getattr(connector_class(platform), "display_name", "")
    except Exception:  # an unknown or broken connector still gets a name
        name = ""
    return name or platform


def render(
    t: Translator,
    code: str | None,
    params: Mapping[str, Any] | None = None,
    *,
    platform: str | None = None,
    detail: str | None = None,
) -> str:
    """The reason `code` with `params` in plain words ("" when there is no reason at all).

    `detail` is the stored English message, shown only when no text for the code exists.
    """
    if not code:
        return t("reason.error", detail=detail) if detail and detail.strip() else ""
    values = dict(params or {})
    if code == PARTIAL:
        return _render_parts(t, values.get("parts") or [], platform)
    if values.get("cause"):
        values["cause"] = render(
            t, str(values["cause"]), values.get("cause_params"), platform=platform, detail=detail
        )
    values.setdefault("platform", display_name(platform))
    key = _text_id(t, code)
    if key is None:
        return t("reason.error", detail=detail or code)
    if isinstance(values.get("count"), int):
        count = values.pop("count")
        return t.n(key, count, **values)
    return t(key, **values)


def _text_id(t: Translator, code: str) -> str | None:
    """The catalogue id for `code`, or for its nearest parent that has a text."""
    parts = code.split(".")
    while parts:
        key = "reason." + ".".join(parts)
        if t.has(key):
            return key
        parts.pop()
    return None


def _render_parts(t: Translator, parts: list[Any], platform: str | None) -> str:
    """One sentence per stream that had a problem."""
    texts = []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        stream = stream_name(t, str(part.get("stream", "")))
        why = render(t, part.get("reason"), part.get("params"), platform=platform)
        text = f"{stream}: {why}"
        texts.append(capitalized(text) if texts else text)
    return ". ".join(texts)  # each reason may hold a "; " itself


def stream_name(t: Translator, stream: str) -> str:
    """A stream's name in words (the name itself when no catalogue knows it)."""
    key = f"stream.{stream}"
    return t(key) if t.has(key) else stream


def partial_streams(params: Mapping[str, Any] | None) -> set[str]:
    """The streams a `run.partial` reason names."""
    parts = (params or {}).get("parts") or []
    return {str(p.get("stream")) for p in parts if isinstance(p, Mapping)}


def rejected_token(
    t: Translator,
    code: str | None,
    params: Mapping[str, Any] | None = None,
    *,
    platform: str | None = None,
) -> str:
    """Why a token was rejected, opening a sentence (a generic reason when none is stored)."""
    if not code:
        code = "auth.invalid"
    return capitalized(render(t, code, params, platform=platform))


def capitalized(text: str) -> str:
    """`text` with its first letter upper-case."""
    return text[:1].upper() + text[1:]
