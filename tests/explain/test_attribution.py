"""The model-free attribution, and how ``Answer.explain()`` chooses and falls back."""

from __future__ import annotations

import numpy as np
import pytest

from rag.core.answer import Answer
from rag.core.errors import RagloomError
from rag.explain import GROUNDING, AnswerExplainer, NothingToExplainError, explain_answer, grounding_explanation

from .conftest import planted_at, synthetic_answer


@pytest.mark.parametrize("position", [0, 2])
def test_grounding_points_at_the_source_that_backs_the_answer(embedder, position: int) -> None:
    answer = synthetic_answer(planted_at(position))
    for explanation in (grounding_explanation(answer, embedder), grounding_explanation(answer)):
        weights = [s.weight for s in explanation.sources]
        assert explanation.method == GROUNDING and explanation.model is None and explanation.heads is None
        assert int(np.argmax(weights)) == position and sum(weights) == pytest.approx(1.0)
        hottest = max(explanation.sources[position].spans, key=lambda span: span[2])
        assert "4817" in explanation.sources[position].text[hottest[0]:hottest[1]]
    assert "cosine" in grounding_explanation(answer, embedder).label
    assert "no embedder" in grounding_explanation(answer).label


def test_auto_falls_back_to_the_attribution_and_says_why(tmp_path) -> None:
    answer = synthetic_answer(planted_at(1))
    explanation = AnswerExplainer(str(tmp_path / "no-such-model"))(answer, "auto")
    assert explanation.method == GROUNDING
    assert any("attention unavailable" in note for note in explanation.notes)
    with pytest.raises(RagloomError):
        AnswerExplainer(str(tmp_path / "no-such-model"))(answer, "attention")
    with pytest.raises(RagloomError, match="unknown explain method"):
        explain_answer(answer, "saliency")


def test_nothing_to_explain_is_a_clear_error() -> None:
    with pytest.raises(NothingToExplainError):
        explain_answer(Answer("The documents do not contain the answer.", refused=True), "grounding")
    with pytest.raises(RagloomError, match="carries no explainer"):
        synthetic_answer(planted_at(0)).explain()
