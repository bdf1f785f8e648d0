"""The word-list detectors: profanity, hate and harassment, threats, sales words.

Pure: a prepared text (`fold.prepared`) and a `Lexicon` in, findings out. Single words are
looked up by folded form (one dictionary look-up for an exact or inflected form); phrases
start at a word that is the phrase's first and must go on word by word. A hit that lies inside
an allowed word or phrase is dropped.
"""

from __future__ import annotations

from somed.moderation.findings import Finding
from somed.moderation.fold import Word, glued_words, raw_words
from somed.moderation.lexicon import Lexicon, Phrase

Span = tuple[int, int]


def _phrase_hits(
    found: list[tuple[int, int, str]],
    table: dict[str, list[Phrase]],
    starts: list[int] | None = None,
) -> list[tuple[Span, Phrase]]:
    """Every phrase of `table` that occurs word by word in `found` (start, end, form).

    `starts`: the positions of `found` where a phrase may begin (default: every one).
    """
    hits: list[tuple[Span, Phrase]] = []
    if not table:
        return hits
    for i in range(len(found)) if starts is None else starts:
        start, _end, form = found[i]
        candidates = table.get(form)
        if not candidates:
            continue
        for phrase in candidates:
            last = i + len(phrase.rest)
            if last >= len(found):
                continue
            if all(found[i + 1 + k][2] in forms for k, forms in enumerate(phrase.rest)):
                hits.append(((start, found[last][1]), phrase))
    return hits


def word_findings(lowered: str, lexicon: Lexicon) -> list[Finding]:
    """The word-list findings of a prepared text, one per category that has a hit."""
    plain: list[tuple[int, int, str]] = []
    hits: list[tuple[Span, str, str]] = []  # span, category, term
    memo, lookup, heads = lexicon.memo, lexicon.lookup, lexicon.phrases
    phrase_at: list[int] = []
    for m in raw_words(lowered):
        raw = m.group()
        form, term = memo.get(raw) or lookup(raw)
        start, end = m.span()
        if form in heads:
            phrase_at.append(len(plain))
        plain.append((start, end, form))
        if term is not None:
            hits.append(((start, end), term.category, term.text))
    for word in glued_words(lowered):
        term = lexicon.word(word.form)
        if term is not None and not _inside_hit(hits, word, term.category):
            hits.append(((word.start, word.end), term.category, term.text))
    if phrase_at:
        for span, phrase in _phrase_hits(plain, heads, phrase_at):
            hits.append((span, phrase.term.category, phrase.term.text))
    if not hits:
        return []
    allowed = [span for span, _ in _phrase_hits(plain, lexicon.allowed_phrases)]
    by_category: dict[str, Finding] = {}
    for span, category, term in sorted(hits):
        if any(a[0] <= span[0] and span[1] <= a[1] for a in allowed):
            continue
        by_category.setdefault(category, Finding(category, "words")).add(span, term)
    return list(by_category.values())


def _inside_hit(hits: list[tuple[Span, str, str]], word: Word, category: str) -> bool:
    """True when a glued word only repeats a hit of the same category it contains."""
    return any(c == category and word.start <= s[0] and s[1] <= word.end for s, c, _ in hits)
