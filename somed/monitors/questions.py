"""Does a text from the public ask something? A pure, word-order based test in Swedish and English.

A text asks when it has a question mark outside a link, or when one of its sentences (not one
ending in "!") reads as a question:
- it opens with a question word followed by a verb, not by a subject: "När öppnar badhuset",
  "Where is the library" ask; "När jag kom dit var det stängt", "When I was young" do not;
- it opens with an auxiliary or modal verb followed by its subject: "Kan ni hjälpa mig",
  "Finns det parkering", "Is the pool open" ask; "Kom ihåg att...", "Do not park here" do not;
- it says "undrar" / "I wonder" / "någon som vet" / "does anyone know" anywhere.
"""

from __future__ import annotations

import re

_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!,;:\n]+[.!,;:\n]*")  # sentences and clauses
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _words(text: str) -> frozenset[str]:
    """The set of the words written in `text`, separated by spaces."""
    return frozenset(text.split())


QUESTION_WORDS = _words(
    # Swedish ("var" alone is also "be!": only with a verb after it, see VAR_VERBS)
    "hur när vem vems vilken vilket vilka varför vad vart varifrån"
    # English
    " how what when where who whom whose why which"
)
VAR_VERBS = _words("finns ligger kan hittar är får ska skall köper anmäler går")
AUXILIARIES = _words(
    # Swedish: verb first, then its subject, is a yes/no question
    "kan kunde kommer finns fanns går gick får fick ska skall behöver har hade är blir vet"
    " stämmer gäller måste brukar borde vill tänker planerar tar gör hinner öppnar stänger"
    # English
    " is are was were can could do does did will would should shall may might have has"
    " isn't aren't can't won't doesn't don't didn't"
)
SUBJECTS = _words(
    "ni man jag du det vi någon den de han hon kommunen ni ingen detta"
    " you i we they it there he she anyone someone anybody somebody this that the"
    " my your our their his her"
)
NOT_AFTER_QUESTION_WORD = SUBJECTS | _words("a an bra fint roligt synd kul härligt")
ANYWHERE = (
    re.compile(r"\bundrar\b"),
    re.compile(r"\bnågon som vet\b"),
    re.compile(r"\bi wonder\b"),
    re.compile(r"\b(does|do) (any|some)(one|body) know\b"),
    re.compile(r"\bany(one|body) know\b"),
)


def asks(text: str | None) -> bool:
    """True when `text` (a comment, reply or message) asks the account something."""
    if not text:
        return False
    folded = _URL.sub(" ", text.casefold())
    if "?" in folded:
        return True
    if any(pattern.search(folded) for pattern in ANYWHERE):
        return True
    return any(_sentence_asks(sentence) for sentence in _SENTENCE.findall(folded))


def _sentence_asks(sentence: str) -> bool:
    """True when one sentence reads as a question by its word order."""
    if sentence.rstrip().endswith("!"):
        return False
    words = _WORD.findall(sentence)
    if len(words) < 2:
        return False
    first, second = words[0], words[1]
    if first == "var":
        return second in VAR_VERBS
    if first in QUESTION_WORDS:
        return second not in NOT_AFTER_QUESTION_WORD
    if first in AUXILIARIES:
        return second in SUBJECTS
    return False
