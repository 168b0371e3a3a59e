"""Context budgeting with the real SmolLM2 tokenizer: lowest-ranked sources go first, whole; never over."""

from __future__ import annotations

import time

import pytest

from rag.prompts import ContextOverflowError, Example, build_prompt, get_task

from .conftest import ScriptedGenerator, scored

QA = get_task("qa")


def _chunks(n: int, words: int = 60) -> list:
    return [scored(i, f"Passage {i}. " + " ".join(f"fact{i}x{j}" for j in range(words)), 0.9 - i / 100)
            for i in range(1, n + 1)]


def test_drops_lowest_ranked_whole_and_fits(small_generator) -> None:
    gen = ScriptedGenerator([], small_generator, context_window=900)
    chunks = _chunks(12)
    prompt = build_prompt(QA, "What is fact3x7?", chunks, generator=gen, max_new_tokens=128)
    assert prompt.dropped, "12 passages of ~60 words cannot fit 772 tokens"
    kept = len(prompt.sources)
    assert prompt.sources == tuple(chunks[:kept]) and prompt.dropped == tuple(chunks[kept:])
    real = small_generator.count_tokens(prompt.messages)
    assert real == prompt.prompt_tokens <= 900 - 128
    text = prompt.messages[-1]["content"]
    for c in prompt.sources:
        assert c.chunk.text in text  # kept sources are whole
    for c in prompt.dropped:
        assert f"Passage {c.rank}." not in text
    assert any("dropped" in note for note in prompt.notes)
    # One more source would not have fitted (the selection is not needlessly small).
    unlimited = ScriptedGenerator([], small_generator, 10**6)
    bigger = build_prompt(QA, "What is fact3x7?", chunks[: kept + 1], generator=unlimited, max_new_tokens=128)
    assert bigger.prompt_tokens > 900 - 128


@pytest.mark.parametrize("window", [400, 700, 1500])
def test_never_exceeds_window(small_generator, window: int) -> None:
    gen = ScriptedGenerator([], small_generator, context_window=window)
    history = [{"role": "user", "content": "Earlier question " * 20}, {"role": "assistant", "content": "ok " * 30}] * 3
    prompt = build_prompt(QA, "What is fact1x1?", _chunks(8, 40), generator=gen, max_new_tokens=64,
                          history=history, examples=[Example("q?", "a [1]", ("a source",))] * 2)
    assert small_generator.count_tokens(prompt.messages) <= window - 64
    assert prompt.messages[-1]["role"] == "user" and "fact1x1?" in prompt.messages[-1]["content"]


def test_trims_history_before_examples_then_fails_clearly(small_generator) -> None:
    history = [{"role": "user", "content": "old " * 80}, {"role": "assistant", "content": "reply " * 80}]
    examples = [Example("When?", "1889 [1]", ("The tower was completed in 1889.",))]
    full = build_prompt(QA, "Q?", _chunks(1, 10), generator=ScriptedGenerator([], small_generator, 10**6),
                        max_new_tokens=16, history=history, examples=examples)
    # A window a little too small for everything: history goes, the example and the one source stay.
    gen = ScriptedGenerator([], small_generator, context_window=full.prompt_tokens + 16 - 60)
    prompt = build_prompt(QA, "Q?", _chunks(1, 10), generator=gen, max_new_tokens=16, history=history,
                          examples=examples)
    contents = [m["content"] for m in prompt.messages]
    assert not any(c.startswith("old") for c in contents)
    assert "1889 [1]" in contents and len(prompt.sources) == 1
    tiny = ScriptedGenerator([], small_generator, context_window=40)
    with pytest.raises(ContextOverflowError, match="window"):
        build_prompt(QA, "A question that is long enough " * 20, _chunks(2), generator=tiny, max_new_tokens=8)


def test_large_k_is_linear_not_quadratic(small_generator) -> None:
    """200 candidate chunks: the counting calls grow with k, not k squared."""
    calls = 0

    class Counting(ScriptedGenerator):
        def count_tokens(self, messages):
            nonlocal calls
            calls += 1
            return super().count_tokens(messages)

    gen = Counting([], small_generator, context_window=2048)
    started = time.perf_counter()
    prompt = build_prompt(QA, "What is fact5x5?", _chunks(200, 30), generator=gen, max_new_tokens=256)
    assert prompt.prompt_tokens <= 2048 - 256 and prompt.dropped
    assert calls <= 200 + 20, calls
    assert time.perf_counter() - started < 10
