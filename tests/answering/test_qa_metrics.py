"""SQuAD-style normalisation, EM and F1, yes/no and answer-in-context on known cases."""

from __future__ import annotations

import pytest

from rag.core.answer import Answer, Timings
from rag.evaluation.qa import percentile, score_example, summarize
from rag.evaluation.text_metrics import contains_answer, exact_match, normalize_answer, token_f1, yes_no

from .conftest import scored


def test_normalisation() -> None:
    assert normalize_answer("The  Eiffel-Tower, in Paris! [1]") == "eiffeltower in paris"
    assert normalize_answer("An apple a day") == "apple day"


@pytest.mark.parametrize(("pred", "gold", "em", "f1"), [
    ("18 months [1]", "18 months", 1.0, 1.0),
    ("The United States", "united states", 1.0, 1.0),
    ("about 18 months", "18 months", 0.0, 0.8),
    ("Paris", "London", 0.0, 0.0),
    ("", "", 1.0, 1.0),
    ("yes", "", 0.0, 0.0),
])
def test_em_and_f1(pred: str, gold: str, em: float, f1: float) -> None:
    assert exact_match(pred, gold) == em
    assert token_f1(pred, gold) == pytest.approx(f1)


def test_yes_no_and_context() -> None:
    assert yes_no("Yes, he was. [1]") == "yes" and yes_no("No.") == "no" and yes_no("Nobody") is None
    assert contains_answer("Lincoln had about 18 months of schooling.", "18 months")
    assert not contains_answer("He had 180 months.", "18 months")
    assert not contains_answer("yes indeed", "yes")


def test_score_and_summarize() -> None:
    sources = (scored(1, "Lincoln had 18 months of formal schooling.", 0.8),)
    a = Answer("18 months [1]", sources=sources, timings=Timings(total_seconds=1.0))
    b = Answer("yes [1]", sources=sources, timings=Timings(total_seconds=3.0))
    c = Answer("Yes", sources=sources, timings=Timings(total_seconds=2.0))
    results = [score_example("How long?", "18 months", a), score_example("Was he?", "no", b),
               score_example("Is it?", "yes", c)]
    summary = summarize(results)
    assert summary["exact_match"] == pytest.approx(2 / 3) and summary["yes_no_accuracy"] == 0.5
    assert summary["answer_in_context"] == 1.0 and summary["answer_in_context_questions"] == 1
    assert summary["p50_seconds"] == 2.0 and summary["p95_seconds"] == pytest.approx(2.9)
    assert percentile([], 50) == 0.0
