"""The llama.cpp backend on the smallest bundled model (SmolLM2-135M): determinism, seeds, stops, counting."""

from __future__ import annotations

import pytest

from rag.core.errors import ConfigError
from rag.core.protocols import Generator
from rag.core.sampling import SamplingParams
from rag.core.types import Generation
from rag.generation.llamacpp import LlamaCppGenerator

from .conftest import MESSAGES, SMALL

GREEDY = SamplingParams(max_new_tokens=24)
SAMPLED = SamplingParams(greedy=False, temperature=1.2, top_k=50, top_p=0.95, max_new_tokens=24, seed=1234)


def test_is_a_generator_with_model_context(llama_gen) -> None:
    assert isinstance(llama_gen, Generator)
    assert llama_gen.context_window == 2048
    assert llama_gen.n_threads == 1
    assert LlamaCppGenerator(SMALL).n_threads >= 1  # default: physical cores, and nothing loads yet


def test_greedy_is_reproducible(llama_gen) -> None:
    first = llama_gen.generate(MESSAGES, GREEDY)
    second = llama_gen.generate(MESSAGES, GREEDY)
    assert first.text and first.text == second.text
    assert 0 < first.completion_tokens <= GREEDY.max_new_tokens
    assert first.finish_reason in ("stop", "length")
    assert 0 <= first.first_token_seconds <= first.total_seconds


def test_seed_reproduces_sampling_and_seeds_differ(llama_gen) -> None:
    a = llama_gen.generate(MESSAGES, SAMPLED).text
    b = llama_gen.generate(MESSAGES, SAMPLED).text
    assert a == b
    others = {llama_gen.generate(MESSAGES, SAMPLED.with_(seed=s)).text for s in range(5)}
    assert len(others | {a}) > 1  # at temperature 1.2 five seeds don't all agree


def test_top_k_one_sampling_equals_greedy(llama_gen) -> None:
    greedy = llama_gen.generate(MESSAGES, GREEDY).text
    for seed in (0, 7):
        top1 = llama_gen.generate(MESSAGES, SAMPLED.with_(top_k=1, temperature=1.5, seed=seed)).text
        assert top1 == greedy


def test_max_new_tokens_gives_length(llama_gen) -> None:
    result = llama_gen.generate(MESSAGES, GREEDY.with_(max_new_tokens=3))
    assert result.completion_tokens == 3 and result.finish_reason == "length"


def test_stop_sequence_cuts_text(llama_gen) -> None:
    full = llama_gen.generate(MESSAGES, GREEDY).text
    cut_at = full.strip().split()[1]  # the second word of the greedy answer
    result = llama_gen.generate(MESSAGES, GREEDY.with_(stop=(cut_at,)))
    assert result.finish_reason == "stop"
    assert cut_at not in result.text and full.startswith(result.text)


def test_stream_yields_pieces_then_one_generation(llama_gen) -> None:
    items = list(llama_gen.stream(MESSAGES, GREEDY))
    *pieces, final = items
    assert isinstance(final, Generation) and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == final.text == llama_gen.generate(MESSAGES, GREEDY).text


def test_count_tokens_matches_what_is_sent(llama_gen) -> None:
    result = llama_gen.generate(MESSAGES, GREEDY.with_(max_new_tokens=1))
    assert llama_gen.count_tokens(MESSAGES) == result.prompt_tokens
    # The GGUF's template (SmolLM2: ChatML) is what is rendered, special tokens parsed as one token each.
    rendered = llama_gen.render(MESSAGES)
    assert rendered.startswith("<|im_start|>system\nYou are a concise assistant.<|im_end|>")
    assert rendered.endswith("<|im_start|>assistant\n")
    ids = llama_gen.prompt_tokens(MESSAGES)
    im_start = llama_gen.llama.tokenize(b"<|im_start|>", add_bos=False, special=True)
    assert len(im_start) == 1 and ids.count(im_start[0]) == 3


def test_repetition_penalty_changes_output(llama_gen) -> None:
    echo = [{"role": "user", "content": "Repeat the word 'cat' twenty times."}]
    plain = llama_gen.generate(echo, GREEDY.with_(max_new_tokens=30)).text
    penalised = llama_gen.generate(echo, GREEDY.with_(max_new_tokens=30, repetition_penalty=2.0)).text
    assert plain != penalised


def test_bad_input_is_refused(llama_gen) -> None:
    with pytest.raises(ConfigError):
        llama_gen.generate([], GREEDY)
    with pytest.raises(ConfigError):
        llama_gen.generate([{"role": "robot", "content": "hi"}], GREEDY)
    with pytest.raises(ConfigError, match="context window"):
        llama_gen.generate(MESSAGES, GREEDY.with_(max_new_tokens=4000))


def test_a_gguf_path_gets_its_trained_context_from_metadata(small_gguf, tmp_path) -> None:
    # An unknown file name: the window comes from the GGUF's own llama.context_length (8192).
    link = tmp_path / "some-model.gguf"
    link.symlink_to(small_gguf)
    assert LlamaCppGenerator(str(link), context_window=100_000, vocab_only=True).context_window == 8192
    assert LlamaCppGenerator(str(link), context_window=1024, vocab_only=True).context_window == 1024
