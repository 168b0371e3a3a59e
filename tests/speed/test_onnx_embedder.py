"""The ONNX embedder against the torch one: same vectors (to int8 precision), same tokens, cached export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import embeddings
from rag.core.errors import ConfigError
from rag.embeddings import DEFAULT_EMBEDDER, SentenceTransformerEmbedder, create_embedder
from rag.onnx_embedder import OnnxEmbedder


def test_vectors_match_torch_per_text(onnx_embedder, torch_embedder, sentences) -> None:
    ours = onnx_embedder.embed_documents(sentences, batch_size=8)
    theirs = torch_embedder.embed_documents(sentences)
    assert ours.shape == theirs.shape == (len(sentences), 384)
    assert ours.dtype == np.float32
    cosine = (ours * theirs).sum(axis=1)
    # Real sentences stay >= 0.993; a one-letter text (in the fixture on purpose) is the worst case.
    assert cosine.min() >= 0.985, [(s[:40], round(float(c), 4)) for s, c in zip(sentences, cosine, strict=True)
                                   if c < 0.985]
    assert cosine.mean() >= 0.995


def test_vectors_are_unit_norm(onnx_embedder, sentences) -> None:
    norms = np.linalg.norm(onnx_embedder.embed_documents(sentences), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)


def test_batched_equals_one_by_one(onnx_embedder, sentences) -> None:
    """A text's vector never depends on the texts embedded with it (nor on their order)."""
    mixed = sentences[::-1]
    batched = onnx_embedder.embed_documents(mixed, batch_size=3)
    one_by_one = np.vstack([onnx_embedder.embed_documents([text]) for text in mixed])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-6)


def test_query_equals_document_and_is_cached_read_only(onnx_embedder) -> None:
    text = "does vitamin D lower the risk of fractures?"
    query = onnx_embedder.embed_query(text)
    np.testing.assert_allclose(query, onnx_embedder.embed_documents([text])[0], atol=1e-6)
    assert onnx_embedder.embed_query(text) is query
    assert not query.flags.writeable


def test_tokens_and_sizes_match_torch(onnx_embedder, torch_embedder, sentences) -> None:
    assert onnx_embedder.dimension == torch_embedder.dimension == 384
    assert onnx_embedder.max_tokens == torch_embedder.max_tokens
    long_text = " ".join(sentences * 12)  # longer than the model's window: counting must not truncate
    for text in [*sentences[:10], long_text]:
        assert onnx_embedder.count_tokens(text) == torch_embedder.count_tokens(text)
    assert onnx_embedder.count_tokens(long_text) > onnx_embedder.max_tokens


def test_empty_input(onnx_embedder) -> None:
    assert onnx_embedder.embed_documents([]).shape == (0, 384)


def test_export_is_cached_and_reused(onnx_embedder, onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = list(onnx_cache.rglob("*.onnx"))
    assert files == [onnx_embedder.model_file]  # one int8 file; no fp32 or temp file left behind
    assert not [p for p in onnx_cache.rglob("*") if p.is_file() and p.suffix != ".onnx"]
    stamp = files[0].stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("the cached export should have been reused")

    monkeypatch.setattr("rag.onnx_embedder.export_onnx", no_export)
    again = OnnxEmbedder(cache_dir=onnx_cache)
    again.warm_up()
    assert again.model_file == files[0] and files[0].stat().st_mtime_ns == stamp
    assert again.embed_query("cats") is not None


def test_cache_location_follows_ragloom_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from rag.config import cache_dir as cache_root

    monkeypatch.setenv("RAGLOOM_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    monkeypatch.delenv("RAGLOOM_CACHE")
    assert cache_root() == Path.home() / ".cache" / "ragloom"


def test_factory_picks_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(embeddings.BACKEND_ENV, raising=False)
    assert isinstance(create_embedder(), OnnxEmbedder)  # onnxruntime is installed here
    assert isinstance(create_embedder(backend="torch"), SentenceTransformerEmbedder)
    monkeypatch.setenv(embeddings.BACKEND_ENV, "torch")
    assert isinstance(create_embedder(), SentenceTransformerEmbedder)
    monkeypatch.setenv(embeddings.BACKEND_ENV, "onnx")
    assert isinstance(create_embedder(), OnnxEmbedder)
    with pytest.raises(ConfigError, match="backend"):
        create_embedder(backend="tpu")
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    monkeypatch.delenv(embeddings.BACKEND_ENV)
    assert isinstance(create_embedder(folder), SentenceTransformerEmbedder)  # pooling unknown: torch
    assert create_embedder().name == create_embedder(backend="torch").name == DEFAULT_EMBEDDER


def test_non_mean_pooling_is_refused(tmp_path: Path) -> None:
    from rag.onnx_embedder import export_onnx

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="mean pooling"):
        export_onnx(tmp_path, tmp_path / "out" / "model.onnx")
