"""Shared fixtures for the speed-path tests: one ONNX export per session, in a private cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.embeddings import SentenceTransformerEmbedder, onnx_available

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "scifact"

if not onnx_available():  # pragma: no cover - the speed path is optional at run time
    pytest.skip("onnxruntime/onnx not installed", allow_module_level=True)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path):
    from rag.onnx_embedder import OnnxEmbedder

    model = OnnxEmbedder(cache_dir=onnx_cache)
    model.warm_up()  # exports once into the session's cache
    return model


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    model = SentenceTransformerEmbedder()
    model.warm_up()
    return model


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    """Three dozen real sentences: SciFact claims and the openings of abstracts (short and long)."""
    texts: list[str] = []
    if DATA.is_dir():
        with open(DATA / "queries.jsonl", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for _, line in zip(range(20), handle, strict=False)]
        with open(DATA / "corpus.jsonl", encoding="utf-8") as handle:
            for _, line in zip(range(16), handle, strict=False):
                record = json.loads(line)
                texts.append(f"{record['title']} {record['text']}"[:1200])
    texts += ["Cats purr when content.", "Rust guarantees memory safety without a garbage collector.",
              "Green tea is popular in Japan.", "x", "¿Dónde está la biblioteca? Ünïcödé text, 東京."]
    return texts
