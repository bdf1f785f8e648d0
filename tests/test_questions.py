"""Which texts from the public ask something: Swedish and English fixtures, word order decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from somed.monitors.questions import asks

TEXTS = json.loads((Path(__file__).parent / "fixtures" / "questions" / "texts.json").read_text())


@pytest.mark.parametrize("text", TEXTS["asks"])
def test_questions_are_found(text):
    assert asks(text), text


@pytest.mark.parametrize("text", TEXTS["does_not_ask"])
def test_statements_thanks_and_links_are_not_questions(text):
    assert not asks(text), text


def test_case_and_none():
    assert asks("NÄR ÖPPNAR BADHUSET") and not asks(None)
