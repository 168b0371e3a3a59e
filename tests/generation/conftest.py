"""Fixtures for the generation tests: the smallest bundled model (SmolLM2-135M), loaded once."""

from __future__ import annotations

import os

# Before anything imports transformers or huggingface_hub: a test that reaches for a hub must fail, not hang.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import importlib.util  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag.core.errors import RagloomError  # noqa: E402
from rag.generation.models import resolve_model  # noqa: E402

SMALL = "smollm2-135m"
MESSAGES = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Name three colours of the rainbow."},
]


@pytest.fixture(scope="session")
def small_gguf() -> Path:
    try:
        return resolve_model(SMALL)
    except RagloomError as error:
        pytest.skip(f"bundled model {SMALL} not installed: {error}")


@pytest.fixture(scope="session")
def llama_gen(small_gguf: Path) -> Iterator[object]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: bash setup/install_generation.sh .venv/bin")
    from rag.generation.llamacpp import LlamaCppGenerator

    # One thread: llama.cpp's threads spin-wait, so two of them crawl when other jobs share the 2 cores.
    generator = LlamaCppGenerator(SMALL, context_window=2048, n_threads=1)
    generator.warm_up()
    yield generator
    generator.llama.close()


@pytest.fixture(scope="session")
def transformers_gen(small_gguf: Path) -> object:
    if importlib.util.find_spec("gguf") is None or importlib.util.find_spec("accelerate") is None:
        pytest.skip(
            "transformers reads GGUF files only with gguf and accelerate: bash setup/install_generation.sh .venv/bin"
        )
    from rag.generation.transformers_backend import TransformersGenerator

    generator = TransformersGenerator(SMALL, context_window=2048, n_threads=1)  # 1 thread: see llama_gen
    generator.warm_up()
    return generator
