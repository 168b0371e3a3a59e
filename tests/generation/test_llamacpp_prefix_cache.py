"""A chat's long prompt prefix survives a different prompt in between (``PrefixSnapshots``), with the
same greedy output as reading the prompt from scratch."""

from __future__ import annotations

import pytest

from rag.core.sampling import SamplingParams

from .conftest import SMALL

pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed: bash setup/install_generation.sh .venv/bin")
from rag.generation.llamacpp import LlamaCppGenerator  # noqa: E402

GREEDY = SamplingParams(max_new_tokens=12)
LONG_SYSTEM = ("You answer questions about lighthouses using only the numbered sources. " * 12).strip()


def _answer_prompt(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": LONG_SYSTEM}, {"role": "user", "content": question}]


REWRITE = [{"role": "system", "content": "Rewrite the question."}, {"role": "user", "content": "And when?"}]


def test_the_answer_prefix_is_restored_after_a_rewrite_prompt() -> None:
    gen = LlamaCppGenerator(SMALL, context_window=1024, n_threads=1)
    fresh = LlamaCppGenerator(SMALL, context_window=1024, n_threads=1)
    gen.generate(_answer_prompt("When was the lighthouse built?"), GREEDY)  # the long prefix is now cached
    gen.generate(REWRITE, GREEDY)  # a short, different prompt would evict it
    assert gen.snapshots.saved == 1
    follow_up = _answer_prompt("Who built the lighthouse?")
    shared = gen.generate(follow_up, GREEDY)
    assert gen.snapshots.restored == 1
    assert gen.llama.n_tokens >= len(gen.prompt_tokens(follow_up))  # the prompt is in the context
    assert shared.text == fresh.generate(follow_up, GREEDY).text  # restoring changes nothing but the time


def test_a_snapshot_evicted_by_the_save_before_it_is_still_restored() -> None:
    """Three long prompt families with room for two snapshots: going back to the oldest one saves the
    current prefix first (evicting the oldest snapshot), then restores that oldest one all the same."""
    gen = LlamaCppGenerator(SMALL, context_window=1024, n_threads=1)
    systems = [LONG_SYSTEM.replace("lighthouses", topic) for topic in ("lighthouses", "volcanoes", "rivers")]
    for system in systems:
        gen.generate([{"role": "system", "content": system}, {"role": "user", "content": "Why?"}], GREEDY)
    back = [{"role": "system", "content": systems[0]}, {"role": "user", "content": "How?"}]
    answer = gen.generate(back, GREEDY)
    assert gen.snapshots.restored == 1
    assert answer.text == LlamaCppGenerator(SMALL, context_window=1024, n_threads=1).generate(back, GREEDY).text
