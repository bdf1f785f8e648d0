"""User-facing words in Swedish (default) and English, from gettext catalogues; logs stay English.

The texts live in gettext catalogues read with the standard `gettext` module:

- `somed/locale/{sv,en}/LC_MESSAGES/somed.po` hold somed's own texts (tables, notes, the generic
  reasons every platform shares); a capability may keep its texts in a catalogue of its own
  beside it (`retention.po`, `moderation.po`, ...: every `.po` domain there is read, somed's
  first, so parallel work never edits one file);
- each connector may ship `locale/{sv,en}/LC_MESSAGES/<platform>.po` in its own folder (e.g.
  `connectors/<platform>/locale/`) for its platform's reason texts. A new platform adds files
  there only; somed finds them through the connector registry.

Message ids are symbolic (`note.auth_failed`, `reason.auth.token_expired`), the Home Assistant
`translation_key` way: reason codes map to ids directly (`reason.` + code), and an English text
can be reworded without touching the code. Placeholders use `str.format` braces (`{stream}`).
A text missing in the chosen language falls back to English, then to the id itself.

To add a text (the old `MESSAGES` dict is gone):
1. add the id to BOTH `sv` and `en` `.po` files of the catalogue it belongs to: somed's own
   texts and the reasons every platform shares in `somed/locale/`, a platform's reason texts in
   its connector's `locale/` (a reason code `area.code` has the id `reason.area.code`); a plural
   is `msgid`/`msgid_plural` with the same id and `msgstr[0]` (one) / `msgstr[1]` (other);
2. run `make catalogues`: it compiles the `.mo` files older than their `.po` (pybabel's output
   differs from run to run, so untouched ones are left alone), which are committed (after a
   merge conflict in a `.mo`, delete it, run it again and add the result);
3. call `t(ID, name=value)`, or for a count `t.n(ID, count, name=value)` (the count is also
   `{count}` in the text).
`tests/test_i18n.py` fails while a `.mo` is stale, one language lacks an id, an id the code asks
for is missing, or a reason code raised anywhere has no text.
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
DOMAIN = "somed"
LOCALE_DIR = Path(__file__).parent / "locale"


class _Params(dict[str, Any]):
    """Format values; a placeholder without a value shows as "?" instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def catalogue_dirs() -> list[tuple[str, Path]]:
    """Every catalogue (domain, locale folder): somed's own first, then each connector's."""
    from connectors.registry import available, connector_class

    found = [(DOMAIN, LOCALE_DIR)] + [(domain, LOCALE_DIR) for domain in _capability_domains()]
    for platform in sorted(available()):
        try:
            cls = connector_class(platform)
        except Exception:  # a broken plugin must not take the words away
            continue
        module = sys.modules.get(cls.__module__)
        folder = Path(module.__file__).parent / "locale" if module and module.__file__ else None
        if folder is not None and folder.is_dir():
            found.append((platform, folder))
    return found


def _capability_domains() -> list[str]:
    """The catalogues beside somed's own in `somed/locale` (one per capability), sorted."""
    found = {po.stem for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")}
    return sorted(found - {DOMAIN})


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogues of `language` chained with English ones, then the ids themselves."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    first: gettext.NullTranslations | None = None
    order = [language] + ([] if language == "en" else ["en"])
    for lang in order:
        for domain, folder in catalogue_dirs():
            found = gettext.translation(domain, folder, languages=[lang], fallback=True)
            if type(found) is gettext.NullTranslations:
                continue
            if first is None:
                first = found
            else:
                first.add_fallback(found)
    if first is None:
        return chain
    first.add_fallback(chain)
    return first


MEMO_LIMIT = 20_000  # texts remembered per language (ids come from code and reason codes)


@cache
def _memo(language: str) -> dict[str, str]:
    """The texts of `language` looked up so far, by id (shared by its translators)."""
    return {}


class Phrases:
    """Some texts of one language, picked from a Translator: small, picklable, no catalogues.

    For a worker process that formats a known set of texts: it is sent these instead of loading
    the catalogues (and every connector with them) itself. Same lookup and formatting as
    `Translator`; an id not picked shows as itself.
    """

    def __init__(self, language: str, texts: dict[str, str]) -> None:
        self.language = language
        self.texts = texts

    def __call__(self, key: str, /, **values: Any) -> str:
        """Return the text for `key` with `values` filled in."""
        text = self.texts.get(key, key)
        return text.format_map(_Params(values)) if values else text


class Translator:
    """Look up user-facing text in one language, falling back to English, then the id.

    A lookup walks the chain of catalogues (every domain, then English); each id's text is
    remembered per language, so a page repeating a text pays for the walk once per process.
    """

    def __init__(self, language: str | None = None) -> None:
        chosen = language or os.environ.get("SOMED_LANG") or DEFAULT_LANGUAGE
        self.language = chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
        self._catalogue = translations(self.language)
        self._texts = _memo(self.language)

    def _text(self, key: str) -> str:
        text = self._texts.get(key)
        if text is None:
            text = self._catalogue.gettext(key)
            if len(self._texts) < MEMO_LIMIT:
                self._texts[key] = text
        return text

    def __call__(self, key: str, /, **values: Any) -> str:
        """Return the text for `key` with `values` filled in."""
        text = self._text(key)
        return text.format_map(_Params(values)) if values else text

    def n(self, key: str, count: int, /, **values: Any) -> str:
        """Return the singular or plural text for `count` (also given as `{count}`)."""
        text = self._catalogue.ngettext(key, key, count)
        return text.format_map(_Params(values, count=count))

    def phrases(self, keys: Iterable[str]) -> Phrases:
        """The texts of `keys` in this language, to hand to another process."""
        return Phrases(self.language, {key: self._text(key) for key in keys})

    def has(self, key: str) -> bool:
        """True when a catalogue of this language or English holds `key`."""
        return self._text(key) != key or self._catalogue.ngettext(key, "", 2) != ""
