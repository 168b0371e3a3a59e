"""Fixtures for the explain tests: synthetic answers built with the real prompt builder, and the
smallest bundled model (SmolLM2-135M) as the attention model — real weights, loaded once."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test that reaches for a hub must fail, not hang
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import importlib.util  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import pytest  # noqa: E402

from rag.core.answer import Answer  # noqa: E402
from rag.core.errors import RagloomError  # noqa: E402
from rag.core.types import Chunk, ScoredChunk  # noqa: E402

SMALL = "smollm2-135m"
PLANTED = "The vault of the old harbour bank is opened with the code 4817, known only to the night manager."
DISTRACTORS = (
    "The town museum opens at nine in the morning and closes at six, and tickets cost twelve euros for adults.",
    "The harbour ferry leaves every forty minutes from pier three, and the crossing to the island takes an hour.",
)
QUESTION = "What is the code of the bank vault?"
ANSWER = "The vault of the old harbour bank is opened with the code 4817."


def chunks(texts: Sequence[str]) -> list[ScoredChunk]:
    return [ScoredChunk(Chunk(i + 1, f"doc-{i + 1}", text, 0, len(text), {"title": f"Document {i + 1}"}), 0.5, i + 1)
            for i, text in enumerate(texts)]


def synthetic_answer(texts: Sequence[str], text: str = ANSWER, question: str = QUESTION) -> Answer:
    """An answer over ``texts`` whose messages come from the real QA prompt builder (zero-shot)."""
    from rag.generation.transformers_backend import TransformersGenerator
    from rag.prompts.builder import build_prompt
    from rag.prompts.tasks import get_task

    counter = TransformersGenerator(SMALL, tokenizer_only=True)
    prompt = build_prompt(get_task("qa"), question, chunks(texts), generator=counter, max_new_tokens=32)
    assert len(prompt.sources) == len(texts)
    return Answer(text, sources=prompt.sources, messages=prompt.messages, query=question)


def planted_at(position: int) -> list[str]:
    texts = list(DISTRACTORS)
    texts.insert(position, PLANTED)
    return texts


@pytest.fixture(scope="session")
def attention_model() -> str:
    """The bundled SmolLM2-135M, ready for the transformers backend (skips when it cannot be)."""
    if importlib.util.find_spec("gguf") is None or importlib.util.find_spec("accelerate") is None:
        pytest.skip("transformers reads GGUF files only with gguf and accelerate: bash setup/install_generation.sh")
    from rag.explain.attention import AttentionExplainer

    try:
        AttentionExplainer(SMALL).warm_up()
    except RagloomError as error:
        pytest.skip(f"bundled model {SMALL} not available: {error}")
    return SMALL
