"""The attention path on a real (tiny) model: SmolLM2-135M re-reads a synthetic prompt and answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.explain import ATTENTION, AttentionExplainer, explain_answer

from .conftest import DISTRACTORS, PLANTED, planted_at, synthetic_answer


@pytest.mark.parametrize("position", [0, 1, 2])
def test_the_planted_source_gets_the_most_attention(attention_model: str, position: int) -> None:
    explanation = explain_answer(synthetic_answer(planted_at(position)), "attention", model=attention_model)
    weights = [s.weight for s in explanation.sources]
    assert explanation.method == ATTENTION and explanation.model == attention_model
    assert int(np.argmax(weights)) == position, weights
    assert sum(weights) == pytest.approx(1.0)
    # The hottest words of the planted source are among the ones the answer repeats.
    planted = explanation.sources[position]
    top = sorted(planted.spans, key=lambda span: -span[2])[:8]
    assert any(word in planted.text[a:b] for a, b, _ in top for word in ("4817", "vault", "code", "bank", "harbour"))


def test_heat_map_and_per_head_data_line_up_with_the_source_text(attention_model: str) -> None:
    answer = synthetic_answer(planted_at(1))
    explanation = AttentionExplainer(attention_model, layers=4).explain(answer)
    assert [s.number for s in explanation.sources] == [1, 2, 3]
    assert [s.text for s in explanation.sources] == [DISTRACTORS[0], PLANTED, DISTRACTORS[1]]
    for source in explanation.sources:
        covered = "".join(source.text[a:b] for a, b, _ in source.spans)
        assert covered == source.text  # every character of the source belongs to exactly one token span
        assert all(0.0 <= heat <= 1.0 for _, _, heat in source.spans)
    assert max(heat for s in explanation.sources for _, _, heat in s.spans) == pytest.approx(1.0)
    heads = explanation.heads
    assert heads is not None and heads.layers == 30 and heads.heads == 9  # SmolLM2-135M: 30 layers, 9 heads
    assert explanation.layers == (26, 27, 28, 29)
    assert heads.mass.shape == (30, 9, sum(len(s.spans) for s in explanation.sources))
    # The average view is the mean of the chosen layers' heads: recompute it from the per-head data.
    by_source = heads.source_mass()[list(explanation.layers)].mean(axis=(0, 1))
    assert [s.weight for s in explanation.sources] == pytest.approx(list(by_source / by_source.sum()), rel=1e-4)
    assert 0.0 < explanation.source_share < 1.0
    one = explanation.head_view(0, 3)
    assert sum(s.weight for s in one) == pytest.approx(1.0) and [s.text for s in one] == [s.text for s in
                                                                                          explanation.sources]
    with pytest.raises(ValueError):
        explanation.head_view(30, 0)
    data = json.loads(json.dumps(explanation.to_dict()))
    assert [set(s) >= {"weight", "number", "spans"} for s in data["sources"]] == [True] * 3
    assert np.array(data["heads"]["source_mass"]).shape == (30, 9, 3)

