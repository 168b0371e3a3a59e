"""Fixtures for the answering tests: the smallest real model (SmolLM2-135M via llama.cpp), loaded once,
and a scripted generator that counts tokens with that model's real tokenizer but replies from a script
(for checks that must not depend on what a 135M model happens to say)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test that reaches for a hub must fail, not hang
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import importlib.util  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from rag.core.errors import RagloomError  # noqa: E402
from rag.core.sampling import SamplingParams  # noqa: E402
from rag.core.types import Chunk, Generation, Message, ScoredChunk  # noqa: E402  # noqa: E402

SMALL = "smollm2-135m"


def _bundled_generator(name: str) -> Any:
    """A bundled model on llama.cpp with a 2048-token window (skips when the backend or model is missing)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: bash setup/install_generation.sh .venv/bin")
    from rag.generation import create_generator

    generator = create_generator("llamacpp", name, context_window=2048, n_threads=2)
    try:
        generator.warm_up()
    except RagloomError as error:
        pytest.skip(f"bundled model {name} not available: {error}")
    return generator


@pytest.fixture(scope="session")
def small_generator() -> Any:
    """SmolLM2-135M, the fast model for tests of the pipeline's shape."""
    return _bundled_generator(SMALL)


class ScriptedGenerator:
    """Replies from a script, counts tokens with a real tokenizer, records every prompt it is sent."""

    name = "scripted"

    def __init__(self, replies: Sequence[str], tokenizer: Any, context_window: int | None = None) -> None:
        self.replies = list(replies)
        self.tokenizer = tokenizer
        self._window = context_window or tokenizer.context_window
        self.calls: list[list[Message]] = []

    @property
    def context_window(self) -> int:
        return self._window

    def warm_up(self) -> None:
        pass

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return self.tokenizer.count_tokens(messages)

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        self.calls.append(list(messages))
        if not self.replies:
            raise AssertionError("the scripted generator ran out of replies")
        text = self.replies.pop(0)
        return Generation(text, self.count_tokens(messages), len(text.split()), "stop", 0.01, 0.02)

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        generation = self.generate(messages, sampling)
        for word in generation.text.split(" "):
            yield word + " "
        yield generation


class NoCallGenerator(ScriptedGenerator):
    """Fails the test if the model is ever asked for text."""

    def __init__(self, tokenizer: Any) -> None:
        super().__init__([], tokenizer)

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        raise AssertionError("the model must not be called")


def scored(i: int, text: str, score: float, **metadata: Any) -> ScoredChunk:
    return ScoredChunk(Chunk(1000 + i, f"doc-{i}", text, 0, len(text), {"title": f"Doc {i}", **metadata}), score, i)


@pytest.fixture()
def scripted(small_generator: Any):
    """A factory: ``scripted(["reply", ...], context_window=None)``."""

    def make(replies: Sequence[str], context_window: int | None = None) -> ScriptedGenerator:
        return ScriptedGenerator(replies, small_generator, context_window)

    return make


@pytest.fixture(scope="session")
def default_generator() -> Any:
    """The default model, for tests of what users get."""
    from rag.generation import DEFAULT_MODEL

    return _bundled_generator(DEFAULT_MODEL)
