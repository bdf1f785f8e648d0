"""The word lists: data files per language and category, extended by config, indexed by form.

A list file (`words/<lang>/<category>.txt`) holds one entry a line (`#` starts a comment):

- `word`: the word and its inflections (`fitta`, `fittan`, `fittor`, ...; the language's
  endings, see SUFFIXES);
- `=word`: that form only;
- `word*`: every word that begins so (`jävl*`: `jävla`, `jävlar`, `jävlaste`);
- `*word`: the word at the end of a compound, with its inflections (`*idiot`: `pucko-idiot`);
- several words: a phrase, word by word in a row; a word may offer alternatives `dig|er`.

`allow.txt` lists innocent words and phrases; a hit inside one is no hit ("kassa", "fan of").
Every form is folded like the text (`fold.fold`), so "fiiitta" meets "fitta".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from somed.moderation.findings import WORD_CATEGORIES
from somed.moderation.fold import fold

LANGUAGES = ("sv", "en")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
ALLOW = "allow"
MEMO_SIZE = 200_000

SUFFIXES: dict[str, tuple[str, ...]] = {
    "sv": ("en", "n", "et", "t", "ar", "er", "or", "r", "na", "arna", "erna", "orna", "s",
           "ens", "ets", "arnas", "ernas", "ornas", "a", "e", "ade", "de", "ad", "at", "ande",
           "ig", "iga", "igt", "are", "aste", "ast", "ens", "ers", "ars", "ors"),
    "en": ("s", "es", "ed", "d", "ing", "er", "ers", "y", "ies", "ish", "ed", "in"),
}  # fmt: skip
# endings after a final vowel is dropped: "fitta" -> "fitt-or", "hora" -> "hor-or"
STEM_SUFFIXES: dict[str, tuple[str, ...]] = {
    "sv": ("or", "orna", "ornas", "ors", "an", "ans", "ig", "iga", "igt", "ar", "arna"),
    "en": ("es", "ed", "ing", "er", "ers", "ies"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Term:
    """A list entry as written (the `terms` a flag names) and the category it belongs to."""

    category: str
    text: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase: its term and, per following word, the forms that may stand there."""

    term: Term
    rest: tuple[frozenset[str], ...]


@dataclass
class Lexicon:
    """Every list entry indexed by folded form: exact forms, beginnings, compound ends, phrases."""

    forms: dict[str, Term] = field(default_factory=dict)
    prefixes: dict[int, dict[str, Term]] = field(default_factory=dict)
    tails: dict[int, dict[str, Term]] = field(default_factory=dict)
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    allowed: set[str] = field(default_factory=set)
    allowed_phrases: dict[str, list[Phrase]] = field(default_factory=dict)
    memo: dict[str, tuple[str, Term | None]] = field(default_factory=dict)

    def lookup(self, raw: str) -> tuple[str, Term | None]:
        """A word as written (lower case): its folded form and the term it matches, remembered.

        Words repeat (Zipf): most look-ups are one dictionary hit in `memo`, which is cleared
        when it holds MEMO_SIZE words.
        """
        known = self.memo.get(raw)
        if known is None:
            form = fold(raw)
            known = (form, self.word(form))
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[raw] = known
        return known

    def word(self, form: str) -> Term | None:
        """The term a single folded word matches (exact or inflected, beginning, compound end)."""
        if form in self.allowed:
            return None
        term = self.forms.get(form)
        if term is not None:
            return term
        for size, table in self.prefixes.items():
            if len(form) >= size and (term := table.get(form[:size])) is not None:
                return term
        for size, table in self.tails.items():
            if len(form) > size and (term := table.get(form[-size:])) is not None:
                return term
        return None

    def add(self, category: str, line: str, lang: str) -> None:
        """Index one list line of `category` in language `lang` (see the module doc)."""
        line = line.split("#", 1)[0].strip().lower()
        if not line:
            return
        parts = _APOSTROPHE.sub(" ", line).split()  # "you're": the words "you", "re"
        term = Term(category, line)
        if len(parts) == 1 and "|" not in line:
            if category == ALLOW:
                self.allowed.update(_forms(parts[0], lang))
            else:
                self._single(parts[0], term, lang)
            return
        heads = _forms_of_slot(parts[0], lang)
        rest = tuple(frozenset(_forms_of_slot(p, lang)) for p in parts[1:])
        target = self.allowed_phrases if category == ALLOW else self.phrases
        for head in heads:
            target.setdefault(head, []).append(Phrase(term, rest))

    def _single(self, entry: str, term: Term, lang: str) -> None:
        if entry.endswith("*") and not entry.startswith("*"):
            stem = fold(entry.rstrip("*"))
            self.prefixes.setdefault(len(stem), {}).setdefault(stem, term)
            return
        if entry.startswith("*"):
            for form in _forms(entry.lstrip("*"), lang):
                self.tails.setdefault(len(form), {}).setdefault(form, term)
            return
        for form in _forms(entry, lang):
            self.forms.setdefault(form, term)


def _forms(entry: str, lang: str) -> set[str]:
    """The folded forms of one word entry: itself and, unless `=word`, its inflections."""
    if entry.startswith("="):
        return {fold(entry[1:])}
    found = {fold(entry)} | {fold(entry + s) for s in SUFFIXES.get(lang, ())}
    if len(entry) > 3 and entry[-1] in "aeo":
        found |= {fold(entry[:-1] + s) for s in STEM_SUFFIXES.get(lang, ())}
    return found


def _forms_of_slot(slot: str, lang: str) -> set[str]:
    """The forms one word of a phrase may take: alternatives `a|b`, each inflected."""
    found: set[str] = set()
    for alternative in slot.split("|"):
        if alternative:
            found |= (
                _forms(alternative, lang)
                if not alternative.endswith("*")
                else {fold(alternative.rstrip("*"))}
            )
    return found


def packaged_lines(category: str, lang: str) -> list[str]:
    """The lines of a packaged list file (`words/<lang>/<category>.txt`), [] when absent."""
    path = resources.files("somed.moderation").joinpath("words", lang, f"{category}.txt")
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


def packaged_domains() -> list[str]:
    """The packaged commercial domains (`words/commercial_domains.txt`)."""
    path = resources.files("somed.moderation").joinpath("words", "commercial_domains.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.split("#", 1)[0].strip().lower() for ln in lines if ln.split("#", 1)[0].strip()]


def build(
    extra_words: Mapping[str, Sequence[str]] | None = None,
    word_files: Mapping[str, Iterable[Path]] | None = None,
) -> Lexicon:
    """The packaged lists of every language, plus the config's extra words and files."""
    lexicon = Lexicon()
    for category in (*WORD_CATEGORIES, ALLOW):
        for lang in LANGUAGES:
            for line in packaged_lines(category, lang):
                lexicon.add(category, line, lang)
    for category, lines in (extra_words or {}).items():
        for line in lines:
            for lang in LANGUAGES:
                lexicon.add(category, line, lang)
    for category, paths in (word_files or {}).items():
        for path in paths:
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                for lang in LANGUAGES:
                    lexicon.add(category, line, lang)
    return lexicon
