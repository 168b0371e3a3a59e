"""The one-line reminder under a question names the kind of answer its wording asks for."""

from __future__ import annotations

import pytest

from rag.prompts.builder import user_turn
from rag.prompts.hints import LIST_HINT, answer_hint
from rag.prompts.tasks import get_task


@pytest.mark.parametrize(("question", "wanted"), [
    ("Why are chunk sizes measured in tokens?", "reason"),
    ("What is the seed for?", "what it is for"),
    ("Which sampling settings can I change?", LIST_HINT),
    ("What kinds of index are there?", LIST_HINT),
    ("How are answers normalised before they are compared?", "how"),
])
def test_questions_that_need_more_than_a_restatement_get_a_hint(question: str, wanted: str) -> None:
    assert wanted in (answer_hint(question) or "")


@pytest.mark.parametrize("question", [
    "Which command builds an index from a folder?",  # "builds" is a verb: it takes an object
    "Which file holds the chunk texts?",
    "What is the default chunk size?",
    "What happens if I open an index with another embedder?",
    "Is greedy decoding the default?",
])
def test_plain_questions_get_none(question: str) -> None:
    assert answer_hint(question) is None


def test_only_the_full_answer_style_shows_the_hint() -> None:
    question = "Why was the bridge closed?"
    assert user_turn(get_task("qa", "full"), question, []).endswith(f"Question: {question}\n{answer_hint(question)}")
    assert user_turn(get_task("qa", "short"), question, []).endswith(f"Question: {question}")
