"""Both backends carry the model's name: an index built by one opens with the other; other names are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexes.faiss_index import FaissIndex
from rag import RAG, Document
from rag.core.errors import IndexMismatchError

DOCS = [
    Document("cats", "Cats are small carnivorous mammals that purr when content."),
    Document("rust", "Rust is a systems programming language with memory safety and no garbage collector."),
    Document("tea", "Green tea is made from unoxidised leaves and is popular in Japan and China."),
]


def test_index_built_with_onnx_opens_with_torch(tmp_path: Path, onnx_embedder, torch_embedder) -> None:
    with RAG(tmp_path / "index", embedder=onnx_embedder) as rag:
        rag.ingest(DOCS)
        assert rag.info()["embedder"] == "all-MiniLM-L6-v2"
    with RAG.open(tmp_path / "index", embedder=torch_embedder) as rag:
        hits = rag.search("which language is memory safe?", k=3)
        assert hits[0].chunk.document_id == "rust"
        again = rag.ingest(DOCS)  # the torch path sees the same content: nothing to write
        assert (again.unchanged, again.chunks) == (3, 0)


def test_index_built_with_torch_opens_with_onnx(tmp_path: Path, onnx_embedder, torch_embedder) -> None:
    with RAG(tmp_path / "index", embedder=torch_embedder) as rag:
        rag.ingest(DOCS)
    with RAG.open(tmp_path / "index", embedder=onnx_embedder) as rag:
        hits = rag.search("a drink from Japan", k=3)
        assert hits[0].chunk.document_id == "tea"
        stored = rag.index.vectors_of([hits[0].chunk.id])[0]  # written by torch, compared with ONNX's
        assert float(stored @ onnx_embedder.embed_documents([DOCS[2].text])[0]) >= 0.99


def test_other_embedder_name_is_refused(tmp_path: Path, onnx_embedder) -> None:
    with RAG(tmp_path / "index", embedder=onnx_embedder) as rag:
        rag.ingest(DOCS[:1])
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        FaissIndex.open(tmp_path / "index", embedder="some-other-model")
