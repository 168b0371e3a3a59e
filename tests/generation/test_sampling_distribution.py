"""Temperature, top-k and top-p change the next-token distribution exactly as the contract says.

The reference is our own numpy implementation of the contract's transforms (temperature, then
top-k, then top-p) on the model's real logits; the backend's draws (many seeds, one token each)
must follow it. Counts are compared with total variation distance and exact support checks.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rag.core.sampling import SamplingParams
from rag.generation.llamacpp import _sampler_args

DRAWS = 400
PROMPT = [{"role": "user", "content": "Say one word, any word you like."}]


def contract_probabilities(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """Reference: softmax(logits / T), keep the top k, then the smallest set whose mass reaches top_p."""
    scaled = logits.astype(np.float64) / temperature
    order = np.argsort(-scaled, kind="stable")
    if top_k > 0:
        order = order[:top_k]
    probs = np.exp(scaled[order] - scaled[order].max())
    probs /= probs.sum()
    keep = int(np.searchsorted(np.cumsum(probs), top_p) + 1) if top_p < 1 else len(order)
    result = np.zeros_like(scaled)
    result[order[:keep]] = probs[:keep] / probs[:keep].sum()
    return result


@pytest.fixture(scope="module")
def next_token_logits(llama_gen, small_gguf) -> np.ndarray:
    from llama_cpp import Llama

    # A second, logits_all instance of the same file gives the raw logits of the next token; with the
    # generator's attention kernel, or the last digits differ and a top-k boundary token can swap.
    probe = Llama(model_path=str(small_gguf), n_ctx=128, n_threads=1, logits_all=True, verbose=False,
                  flash_attn=llama_gen.flash_attn)
    tokens = llama_gen.prompt_tokens(PROMPT)
    probe.eval(tokens)
    logits = np.array(probe.scores[len(tokens) - 1], dtype=np.float64)
    probe.close()
    return logits


def draw_first_tokens(llama_gen, sampling: SamplingParams, draws: int = DRAWS) -> Counter[int]:
    llm, tokens, counts = llama_gen.llama, llama_gen.prompt_tokens(PROMPT), Counter()
    for seed in range(draws):
        llm.set_seed(seed)
        stream = llm.generate(tokens, **_sampler_args(sampling))
        counts[next(stream)] += 1
        stream.close()
    return counts


def bucketed_distance(counts: Counter[int], reference: np.ndarray, buckets: int = 8) -> tuple[float, float]:
    """Total variation over the reference's top tokens plus one 'rest' bucket, and a 3-sigma noise bound."""
    total = sum(counts.values())
    top = np.argsort(-reference)[:buckets].tolist()
    expected = [reference[t] for t in top] + [1.0 - sum(reference[t] for t in top)]
    seen = [counts.get(t, 0) / total for t in top] + [1.0 - sum(counts.get(t, 0) for t in top) / total]
    distance = 0.5 * sum(abs(a - b) for a, b in zip(seen, expected, strict=True))
    noise = 0.5 * sum(3 * np.sqrt(max(p * (1 - p), 0.0) / total) for p in expected)
    return distance, noise + 0.02


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p"),
    [(1.0, 0, 1.0), (2.0, 40, 1.0), (0.5, 0, 1.0), (1.5, 0, 0.6), (1.0, 5, 1.0)],
)
def test_draws_follow_the_contract_distribution(llama_gen, next_token_logits, temperature, top_k, top_p) -> None:
    sampling = SamplingParams(greedy=False, temperature=temperature, top_k=top_k, top_p=top_p, max_new_tokens=1)
    reference = contract_probabilities(next_token_logits, temperature, top_k, top_p)
    counts = draw_first_tokens(llama_gen, sampling)
    assert set(counts) <= set(np.flatnonzero(reference).tolist()), "drew a token the filters remove"
    distance, bound = bucketed_distance(counts, reference)
    assert distance < bound, f"draws differ from the contract's distribution: TV {distance:.3f} >= {bound:.3f}"


def test_temperature_and_top_p_really_change_the_distribution(llama_gen, next_token_logits) -> None:
    cold = contract_probabilities(next_token_logits, 0.3, 0, 1.0)
    hot = contract_probabilities(next_token_logits, 2.5, 0, 1.0)
    nucleus = contract_probabilities(next_token_logits, 2.5, 0, 0.5)

    def entropy(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    assert entropy(hot) > entropy(cold) + 0.5 and np.count_nonzero(nucleus) < np.count_nonzero(hot)
    base = dict(greedy=False, top_k=0, max_new_tokens=1)
    cold_draws = draw_first_tokens(llama_gen, SamplingParams(temperature=0.3, top_p=1.0, **base), 200)
    hot_draws = draw_first_tokens(llama_gen, SamplingParams(temperature=2.5, top_p=1.0, **base), 200)
    nucleus_draws = draw_first_tokens(llama_gen, SamplingParams(temperature=2.5, top_p=0.5, **base), 200)
    assert len(hot_draws) > len(cold_draws)
    assert set(nucleus_draws) <= set(np.flatnonzero(nucleus).tolist())
    assert len(nucleus_draws) < len(hot_draws)


def test_order_matters_top_p_after_temperature(next_token_logits) -> None:
    # The contract's order (temperature before top-p) differs from llama-cpp-python's default
    # (top-p before temperature); this is why the backend builds its own sampler chain.
    ours = np.count_nonzero(contract_probabilities(next_token_logits, 3.0, 0, 0.6))
    probs = np.exp(next_token_logits - next_token_logits.max())
    probs = np.sort(probs / probs.sum())[::-1]
    theirs = int(np.searchsorted(np.cumsum(probs), 0.6) + 1)
    assert ours != theirs
