"""Words of a text folded for matching: lower case, leetspeak, repeated letters, gluing.

A text's words are found with their character spans in the original text, then folded:
lower case (åäö kept), leetspeak undone in words that mix letters with digits or symbols
("h0ra", "$kit"), and a run of three or more of one letter made one ("fiiiitta" -> "fitta");
such a word is also tried with the run made two ("fuuuull" -> "full"). Runs of two stay: they
are ordinary spelling ("fanns" is not "fans"). Obfuscation by inserted separators is undone twice:
a glued word ("f.i.t.t.a", "id-iot") is also tried with its separators removed, and a row of
three or more single letters ("f i t t a") is tried as one word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[\w@$]+")
_GLUED = re.compile(r"[\w@$]+(?:[.\-_*·|/]+[\w@$]+)+")
_GLUE_HINT = re.compile(r"[\w@$][.\-_*·|/]+[\w@$]")
_SEPARATORS = re.compile(r"[.\-_*·|/]+")
_SPACED = re.compile(r"(?<![\w@$])[\w@$](?:[\s.\-_*·]{1,3}[\w@$](?![\w@$])){2,}")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "8": "b", "9": "g"})  # fmt: skip
_LEETABLE = re.compile(r"[0-9@$]")
_RUNS = re.compile(r"(.)\1{2,}")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the text: its span [start, end) in the original and its folded form."""

    start: int
    end: int
    form: str
    glued: bool = False  # made by removing separators or joining spaced letters


def fold(word: str) -> str:
    """The matching form of one word (already lower case): leetspeak undone, long runs one."""
    if _LEETABLE.search(word) and _LETTER.search(word):
        word = word.translate(_LEET)
    return _RUNS.sub(r"\1", word) if _RUNS.search(word) else word


def fold_double(word: str) -> str | None:
    """The second form of a word with a long run (made two letters), None when it has none."""
    if not _RUNS.search(word):
        return None
    if _LEETABLE.search(word) and _LETTER.search(word):
        word = word.translate(_LEET)
    return _RUNS.sub(r"\1\1", word)


def prepared(text: str) -> str:
    """The text in NFC and lower case, with the same length (so spans stay true)."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        nfc = unicodedata.normalize("NFC", text)
        text = nfc if len(nfc) == len(text) else text
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else "".join(c.lower()[:1] or c for c in text)


def raw_words(lowered: str) -> Iterator[re.Match[str]]:
    """The words of a prepared text in order (as matches: span and the word as written)."""
    return _WORD.finditer(lowered)


def glued_words(lowered: str) -> list[Word]:
    """Words hidden by separators inside or between their letters, joined and folded."""
    glued: list[Word] = []
    if _GLUE_HINT.search(lowered):
        for m in _GLUED.finditer(lowered):
            joined = _SEPARATORS.sub("", m.group())
            if not joined.isdigit():
                glued.append(Word(m.start(), m.end(), fold(joined), glued=True))
    for m in _SPACED.finditer(lowered):
        joined = "".join(c for c in m.group() if c.isalnum() or c in "@$")
        glued.append(Word(m.start(), m.end(), fold(joined), glued=True))
    if _RUNS.search(lowered):
        for m in _WORD.finditer(lowered):
            double = fold_double(m.group())
            if double is not None:
                glued.append(Word(m.start(), m.end(), double, glued=True))
    return glued
