"""The transformers reference backend on SmolLM2-135M, loaded from its GGUF via ``gguf_file``."""

from __future__ import annotations

import numpy as np

from rag.core.protocols import Generator
from rag.core.sampling import SamplingParams
from rag.core.types import Generation
from rag.generation.models import resolve_model

from .conftest import MESSAGES, SMALL

GREEDY = SamplingParams(max_new_tokens=16)
SAMPLED = SamplingParams(greedy=False, temperature=1.2, top_k=50, top_p=0.95, max_new_tokens=16, seed=99)


def test_loads_and_caches_converted_weights(transformers_gen) -> None:
    assert isinstance(transformers_gen, Generator)
    assert transformers_gen.context_window == 2048
    converted = transformers_gen._converted_dir(resolve_model(SMALL))
    assert (converted / "config.json").is_file() and list(converted.glob("*.safetensors"))


def test_same_prompt_tokens_as_llamacpp(transformers_gen, llama_gen) -> None:
    # One GGUF, one chat template: both backends must send the very same tokens.
    assert transformers_gen.render(MESSAGES) == llama_gen.render(MESSAGES)
    assert transformers_gen.prompt_ids(MESSAGES) == llama_gen.prompt_tokens(MESSAGES)
    assert transformers_gen.count_tokens(MESSAGES) == transformers_gen.generate(MESSAGES, GREEDY).prompt_tokens


def test_greedy_and_seeded_sampling_reproduce(transformers_gen) -> None:
    greedy = transformers_gen.generate(MESSAGES, GREEDY)
    assert greedy.text and greedy.text == transformers_gen.generate(MESSAGES, GREEDY).text
    assert transformers_gen.generate(MESSAGES, SAMPLED).text == transformers_gen.generate(MESSAGES, SAMPLED).text
    top1 = transformers_gen.generate(MESSAGES, SAMPLED.with_(top_k=1)).text
    assert top1 == greedy.text


def test_stream_and_length(transformers_gen) -> None:
    *pieces, final = list(transformers_gen.stream(MESSAGES, GREEDY.with_(max_new_tokens=5)))
    assert isinstance(final, Generation) and "".join(pieces) == final.text
    assert final.completion_tokens == 5 and final.finish_reason == "length"


def test_logits_processors_match_the_contract(transformers_gen) -> None:
    """generate()'s own processors (built from our kwargs) equal the reference transforms."""
    import torch
    from transformers import GenerationConfig

    from .test_sampling_distribution import contract_probabilities

    model = transformers_gen._model
    ids = torch.tensor([transformers_gen.prompt_ids(MESSAGES)])
    with torch.inference_mode():
        logits = model(ids).logits[0, -1:].float()
    for temperature, top_k, top_p in [(0.7, 0, 0.9), (1.5, 20, 1.0), (2.0, 40, 0.5)]:
        sampling = SamplingParams(greedy=False, temperature=temperature, top_k=top_k, top_p=top_p)
        kwargs = transformers_gen._generate_kwargs(ids[0].tolist(), sampling, None, None)
        config = GenerationConfig(**{k: kwargs[k] for k in ("do_sample", "temperature", "top_k", "top_p")})
        processors = model._get_logits_processor(
            generation_config=config,
            input_ids_seq_length=ids.shape[1],
            encoder_input_ids=ids,
            prefix_allowed_tokens_fn=None,
            logits_processor=None,
            device="cpu",
        )
        theirs = torch.softmax(processors(ids, logits.clone()), dim=-1)[0].numpy()
        ours = contract_probabilities(logits[0].numpy(), temperature, top_k, top_p)
        assert np.count_nonzero(theirs) == np.count_nonzero(ours)
        assert np.allclose(theirs, ours, atol=1e-5)
